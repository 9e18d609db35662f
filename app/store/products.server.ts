import { and, asc, count, desc, eq, isNotNull, isNull, sql, type SQL } from "drizzle-orm";
import { integer, real, sqliteTable } from "drizzle-orm/sqlite-core";
import { perConnection, type AppDatabase } from "#app/db/connection.server.ts";
import { products } from "#app/db/schema.ts";
import { MAX_QUERY_LENGTH } from "#app/core/limits.ts";
import { clampPage } from "#app/core/pages.ts";

export const PAGE_SIZE = 12;
const MAX_QUERY_TERMS = 8;

export const sorts = ["relevance", "newest", "price-asc", "price-desc"] as const;
export type Sort = (typeof sorts)[number];

// The FTS5 index from drizzle/0001_add_product_search.sql, described here
// (not in schema.ts) so queries can join it while drizzle-kit, which cannot
// model virtual tables, never sees it. rowid is products.id; rank is FTS5's
// bm25 relevance (lower is better).
const productsFts = sqliteTable("products_fts", {
  rowid: integer("rowid").notNull(),
  rank: real("rank").notNull(),
});

// Pages select only the columns they render: the catalog never reads
// descriptions, and no page reads timestamps.
export const cardColumns = {
  id: products.id,
  slug: products.slug,
  name: products.name,
  priceCents: products.priceCents,
  stock: products.stock,
  image: products.image,
};

// Words that occur in nearly every description. Matching them finds (and
// ranks) almost the whole catalog, which is slow and useless, so they are
// left out of searches.
const STOP_WORDS = new Set(
  "a an and are as at be by for from in is it of on or the to with".split(" "),
);

/**
 * Turns whatever a shopper typed into a safe FTS5 query. Every run of
 * letters and digits becomes a quoted term, and all terms must match. Terms
 * of 3 or more characters match as prefixes ("mug"* finds mug and mugs);
 * shorter ones only as whole words, because a one- or two-letter prefix
 * matches most of the catalog. FTS5 syntax characters (quotes, *, -, ^, :,
 * parentheses, NEAR, AND/OR/NOT) never reach MATCH unquoted, so no input is
 * a syntax error. Returns null when nothing searchable is left.
 */
export function toFtsQuery(input: string): string | null {
  const words = input.normalize("NFKC").toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const terms = words.filter((word) => !STOP_WORDS.has(word)).slice(0, MAX_QUERY_TERMS);
  if (terms.length === 0) return null;
  return terms.map((term) => (term.length >= 3 ? `"${term.slice(0, 40)}"*` : `"${term}"`)).join(" ");
}

export function parseSort(value: string | null | undefined, searching: boolean): Sort {
  const known = sorts.find((s) => s === value);
  // Relevance only means something for a search.
  if (known && (known !== "relevance" || searching)) return known;
  return searching ? "relevance" : "newest";
}

function ordering(sort: Sort): SQL[] {
  switch (sort) {
    case "relevance":
      return [asc(productsFts.rank), desc(products.id)];
    case "price-asc":
      return [asc(products.priceCents), asc(products.id)];
    case "price-desc":
      return [desc(products.priceCents), desc(products.id)];
    case "newest":
      return [desc(products.createdAt), desc(products.id)];
  }
}

export type ListOptions = { page?: number; query?: string | null; sort?: string | null };

// Every catalog query is built by drizzle and compiled by SQLite once per
// connection, then run with new parameters: a page view does no SQL
// building or parsing.
// Archived products (staff stopped selling them) are not in the catalog or
// its search; their product pages stay up for links from past orders.
const forSale = isNull(products.archivedAt);

const prepared = perConnection((db: AppDatabase) => {
  const matches = sql`${productsFts} MATCH ${sql.placeholder("match")}`;
  const limit = sql.placeholder("limit");
  const offset = sql.placeholder("offset");
  const browse = (sort: Sort) =>
    db.select(cardColumns).from(products).where(forSale).orderBy(...ordering(sort)).limit(limit).offset(offset).prepare();
  const search = (sort: Sort) =>
    db
      .select(cardColumns)
      .from(products)
      .innerJoin(productsFts, eq(productsFts.rowid, products.id))
      .where(and(matches, forSale))
      .orderBy(...ordering(sort))
      .limit(limit)
      .offset(offset)
      .prepare();
  return {
    // Products for sale = all products − archived ones. SQLite counts a whole
    // table from its smallest index without reading a row, and the archived
    // ones from the index that leads with archived_at; counting
    // `WHERE archived_at IS NULL` directly visits every product (0.5–2 ms a
    // page at 10,000 products, more than the rest of the catalog's SQL).
    countAll: db.select({ n: count() }).from(products).prepare(),
    countArchived: db.select({ n: count() }).from(products).where(isNotNull(products.archivedAt)).prepare(),
    countMatches: db
      .select({ n: count() })
      .from(productsFts)
      .innerJoin(products, eq(products.id, productsFts.rowid))
      .where(and(matches, forSale))
      .prepare(),
    // Relevance needs a search, so browsing has no relevance statement.
    browse: { newest: browse("newest"), "price-asc": browse("price-asc"), "price-desc": browse("price-desc") },
    search: Object.fromEntries(sorts.map((sort) => [sort, search(sort)])) as Record<Sort, ReturnType<typeof search>>,
    bySlug: db
      .select({ ...cardColumns, description: products.description, sku: products.sku, archivedAt: products.archivedAt })
      .from(products)
      .where(eq(products.slug, sql.placeholder("slug")))
      .prepare(),
  };
});

/**
 * One page of the catalog, optionally filtered by a search. Out-of-range
 * pages clamp to the nearest real page instead of showing an empty one.
 */
export function listProducts(db: AppDatabase, options: ListOptions = {}) {
  const query = (options.query ?? "").trim().slice(0, MAX_QUERY_LENGTH);
  const sort = parseSort(options.sort, query !== "");
  const match = query ? toFtsQuery(query) : null;
  if (query && !match) return { items: [], total: 0, page: 1, pageCount: 1, query, sort };

  const statement = prepared(db);
  const total = match
    ? statement.countMatches.get({ match })!.n
    : statement.countAll.get()!.n - statement.countArchived.get()!.n;
  const { page, pageCount, offset } = clampPage(options.page, total, PAGE_SIZE);
  const window = { limit: PAGE_SIZE, offset };
  const items = match
    ? statement.search[sort].all({ match, ...window })
    : statement.browse[sort === "relevance" ? "newest" : sort].all(window);
  return { items, total, page, pageCount, query, sort };
}

/** One product as the catalog lists it: the columns in cardColumns. */
export type CatalogItem = ReturnType<typeof listProducts>["items"][number];

export function getProductBySlug(db: AppDatabase, slug: string) {
  return prepared(db).bySlug.get({ slug });
}

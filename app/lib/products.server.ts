import { asc, count, desc, eq, sql, type SQL } from "drizzle-orm";
import { integer, real, sqliteTable } from "drizzle-orm/sqlite-core";
import type { AppDatabase } from "~/db/connection.server";
import { products } from "~/db/schema";
import { MAX_QUERY_LENGTH } from "./limits";

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
const cardColumns = {
  id: products.id,
  slug: products.slug,
  name: products.name,
  priceCents: products.priceCents,
  stock: products.stock,
  image: products.image,
};

export type ProductCard = {
  id: number;
  slug: string;
  name: string;
  priceCents: number;
  stock: number;
  image: string;
};

/**
 * Turns whatever a shopper typed into a safe FTS5 query: every run of letters
 * and digits becomes a quoted prefix term ("mug"* matches mug and mugs), and
 * the terms must all match. FTS5 syntax characters (quotes, *, -, ^, :,
 * parentheses, NEAR, AND/OR/NOT) can never reach MATCH unquoted, so no input
 * is a syntax error. Returns null when nothing searchable is left.
 */
export function toFtsQuery(input: string): string | null {
  const terms = input.normalize("NFKC").toLowerCase().match(/[\p{L}\p{N}]+/gu);
  if (!terms) return null;
  return terms
    .slice(0, MAX_QUERY_TERMS)
    .map((term) => `"${term.slice(0, 40)}"*`)
    .join(" ");
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

/**
 * One page of the catalog, optionally filtered by a search. Out-of-range
 * pages clamp to the nearest real page instead of showing an empty one.
 */
export function listProducts(db: AppDatabase, options: ListOptions = {}) {
  const query = (options.query ?? "").trim().slice(0, MAX_QUERY_LENGTH);
  const sort = parseSort(options.sort, query !== "");
  const match = query ? toFtsQuery(query) : null;
  if (query && !match) return { items: [], total: 0, page: 1, pageCount: 1, query, sort };

  const total = match
    ? db.select({ n: count() }).from(productsFts).where(sql`${productsFts} MATCH ${match}`).get()!.n
    : db.select({ n: count() }).from(products).get()!.n;
  const pageCount = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const page = Math.min(Math.max(1, Math.trunc(options.page ?? 1) || 1), pageCount);

  const base = db.select(cardColumns).from(products).$dynamic();
  const filtered = match
    ? base
        .innerJoin(productsFts, eq(productsFts.rowid, products.id))
        .where(sql`${productsFts} MATCH ${match}`)
    : base;
  const items: ProductCard[] = filtered
    .orderBy(...ordering(sort))
    .limit(PAGE_SIZE)
    .offset((page - 1) * PAGE_SIZE)
    .all();
  return { items, total, page, pageCount, query, sort };
}

export function getProductBySlug(db: AppDatabase, slug: string) {
  return db
    .select({ ...cardColumns, description: products.description })
    .from(products)
    .where(eq(products.slug, slug))
    .get();
}

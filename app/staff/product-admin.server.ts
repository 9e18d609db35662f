// Products as staff manage them (/admin/products): the form's rules, create,
// edit, archive, and the list with search and paging. Stock is not edited
// here: a new product's stock is its opening balance in the ledger, and every
// later change goes through an adjustment or an order (inventory.server.ts).
import { and, count, desc, eq, isNotNull, isNull, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { orderItems, products, stockMovements } from "#app/db/schema.ts";
import { GENERATED_SKU, skuForId } from "#app/db/sku.ts";
import { catalogChanged } from "#app/store/catalog-changes.server.ts";
import { moveStock } from "#app/store/inventory.server.ts";
import { plainTextProblem } from "#app/core/plain-text.ts";
import { toFtsQuery } from "#app/store/products.server.ts";
import { clampPage } from "#app/core/pages.ts";
import { wholeNumberField } from "#app/core/forms.server.ts";
import { minorDigits, parsePrice } from "#app/core/money.ts";

export const ADMIN_PAGE_SIZE = 20;
export const MAX_PRICE_CENTS = 999_999_999;
export const MAX_INITIAL_STOCK = 100_000;

/** "Oak Stool, large" → "oak-stool-large"; accents dropped, other scripts left out. */
export function slugify(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80)
    .replace(/-+$/, "");
}

/** Text shoppers read: NFC, trimmed, and nothing hidden (app/core/plain-text.ts). */
const text = (what: string, label: string, max: number, options: { multiline?: boolean } = {}) =>
  z
    .string()
    .normalize("NFC")
    .trim()
    .min(1, `Enter ${what}.`)
    .max(max, `Use at most ${max} characters.`)
    .superRefine((value, ctx) => {
      const problem = plainTextProblem(value, { label, emptyMessage: `Enter ${what}`, multiline: options.multiline });
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });

const wholeNumber = (label: string, max: number) =>
  wholeNumberField({ notWhole: `Enter ${label} as a whole number, 0 or more.` }, (number) =>
    number > max ? `Enter at most ${max.toLocaleString("en-US")}.` : undefined,
  );

/** A price in the store's currency, as the price field's messages show one. */
const examplePrice = (currency: string) => (minorDigits(currency) === 0 ? "1800" : "12.50");

/**
 * The product form, for a store selling in `currency` (STORE_CURRENCY). The
 * slug may be left blank (made from the name) and, for a new product, so
 * may the SKU (the store makes one: CS-000042).
 */
export const productSchema = (currency: string) =>
  z
    .object({
      name: text("the product's name", "name", 120),
      slug: z.string().trim().toLowerCase().max(80, "Use at most 80 characters."),
      sku: z
        .string()
        .trim()
        .toUpperCase()
        .max(40, "Use at most 40 characters.")
        .regex(/^([A-Z0-9][A-Z0-9._-]*)?$/, "Use letters, digits, dots, dashes and underscores, starting with a letter or digit."),
      price: z
        .string()
        .trim()
        .min(1, `Enter the price, like ${examplePrice(currency)}.`)
        .transform((value, ctx) => {
          const cents = parsePrice(value, currency);
          if (cents === null) ctx.addIssue({ code: "custom", message: `Enter the price in ${currency === "usd" ? "dollars" : currency.toUpperCase()}, like ${examplePrice(currency)}.` });
          else if (cents > MAX_PRICE_CENTS) ctx.addIssue({ code: "custom", message: "That price is too high." });
          return cents ?? 0;
        }),
      description: text("a description", "description", 2000, { multiline: true }),
    })
    .transform((form, ctx) => {
      const slug = form.slug || slugify(form.name);
      if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug)) {
        ctx.addIssue({
          code: "custom",
          path: ["slug"],
          message: form.slug
            ? "Use lower-case letters a–z, digits and single dashes, like oak-stool."
            : "Enter a slug (the product's web address), like oak-stool.",
        });
      }
      return { name: form.name, slug, sku: form.sku, priceCents: form.price, description: form.description };
    });

export const productFields = ["name", "slug", "sku", "price", "description"] as const;

/** A new product's opening stock. */
export const initialStockSchema = z.object({ stock: wholeNumber("the stock", MAX_INITIAL_STOCK) });

export type ProductInput = {
  name: string;
  slug: string;
  /** "" for a new product: the store generates one from its id. */
  sku: string;
  description: string;
  priceCents: number;
  image: string;
};

/** A slug or SKU another product has: the unique index said so. */
export class DuplicateValue extends Error {
  readonly field: "slug" | "sku";
  constructor(field: "slug" | "sku") {
    super(`duplicate ${field}`);
    this.field = field;
  }
}

/**
 * The unique indexes decide, inside the write: a lookup before the insert
 * would race another staff member saving the same SKU at the same moment.
 */
function duplicateField(error: unknown): DuplicateValue | undefined {
  const e = error as { code?: string; message?: string };
  if (e?.code !== "SQLITE_CONSTRAINT_UNIQUE") return undefined;
  if (e.message?.includes("products.slug")) return new DuplicateValue("slug");
  if (e.message?.includes("products.sku")) return new DuplicateValue("sku");
  return undefined;
}

/** Refuses a typed SKU that looks like one the store generates (it could collide with a future product's). */
export function reservedSkuMessage(sku: string, current?: string) {
  return GENERATED_SKU.test(sku) && sku !== current
    ? "Codes like CS-000042 are made by the store from a product's number. Choose another, or leave it blank on a new product."
    : undefined;
}

/**
 * Adds a product, with its opening stock as an 'initial' movement in the
 * ledger. Without a SKU it gets one made from its id (CS-000042, see
 * app/db/sku.ts). Throws DuplicateValue if the slug or SKU is taken.
 */
export function createProduct(
  db: AppDatabase,
  input: Omit<ProductInput, "sku"> & { sku?: string; stock?: number },
  staffId: number | null = null,
) {
  const { stock = 0, sku = "", ...fields } = input;
  try {
    return db.transaction(
      () => {
        // A generated SKU is made from the id, so the id is chosen here
        // instead of by SQLite: the number SQLite itself would pick (past
        // both the highest id and the AUTOINCREMENT counter), read under the
        // write lock so no other insert can take it first.
        const { next } = db.get<{ next: number }>(sql`
          SELECT max(
            coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'products'), 0),
            coalesce((SELECT max(id) FROM products), 0)
          ) + 1 AS next`);
        const created = db
          .insert(products)
          .values({ ...fields, id: next, sku: sku || skuForId(next), stock: 0 })
          .returning({ id: products.id, slug: products.slug, sku: products.sku })
          .get();
        if (stock > 0) moveStock(db, { productId: created.id, delta: stock, reason: "initial", staffId, note: "new product" });
        catalogChanged({ productIds: [created.id], lists: true });
        return created;
      },
      { behavior: "immediate" },
    );
  } catch (error) {
    throw duplicateField(error) ?? error;
  }
}

/** Saves the form's fields (not the stock). Undefined if there is no such product. */
export function updateProduct(db: AppDatabase, id: number, input: ProductInput) {
  let updated;
  try {
    updated = db
      .update(products)
      .set(input)
      .where(eq(products.id, id))
      .returning({ id: products.id, slug: products.slug, sku: products.sku })
      .get();
  } catch (error) {
    throw duplicateField(error) ?? error;
  }
  // A new name, price or description can move it in any list or search.
  if (updated) catalogChanged({ productIds: [id], lists: true });
  return updated;
}

/** Archives (hides from the catalog, stops sales) or brings a product back. False if there is no such product. */
export function setArchived(db: AppDatabase, id: number, archived: boolean, now = new Date()) {
  const { changes } = db
    .update(products)
    .set({ archivedAt: archived ? now : null })
    .where(eq(products.id, id))
    .run();
  if (changes === 1) catalogChanged({ productIds: [id], lists: true });
  return changes === 1;
}

/**
 * Deletes a product that was never sold, with its stock history. One that
 * was sold stays for its orders: archive it instead.
 */
export function deleteProduct(db: AppDatabase, id: number): "deleted" | "sold" | "missing" {
  return db.transaction(
    () => {
      const sold = db.select({ id: orderItems.id }).from(orderItems).where(eq(orderItems.productId, id)).limit(1).get();
      if (sold) return "sold";
      db.delete(stockMovements).where(eq(stockMovements.productId, id)).run();
      if (db.delete(products).where(eq(products.id, id)).run().changes !== 1) return "missing";
      catalogChanged({ productIds: [id], lists: true });
      return "deleted";
    },
    { behavior: "immediate" },
  );
}

export const productStatuses = ["active", "archived", "all"] as const;
export type ProductStatus = (typeof productStatuses)[number];

export function parseProductStatus(value: string | null): ProductStatus {
  return productStatuses.find((s) => s === value) ?? "active";
}

/** The staff's product list: search by name, description or SKU; active, archived or all; newest first. */
export function listAdminProducts(db: AppDatabase, options: { query?: string | null; status?: ProductStatus; page?: number }) {
  const query = (options.query ?? "").trim().slice(0, 100);
  const status = options.status ?? "active";
  const conditions: SQL[] = [];
  if (status === "active") conditions.push(isNull(products.archivedAt));
  if (status === "archived") conditions.push(isNotNull(products.archivedAt));
  if (query) {
    const match = toFtsQuery(query);
    // A SKU prefix (LIKE with its wildcards escaped), or a full-text match.
    const skuPrefix = `${query.toUpperCase().replace(/[\\%_]/g, "\\$&")}%`;
    conditions.push(
      match
        ? sql`(${products.sku} LIKE ${skuPrefix} ESCAPE '\\' OR ${products.id} IN (SELECT rowid FROM products_fts WHERE products_fts MATCH ${match}))`
        : sql`${products.sku} LIKE ${skuPrefix} ESCAPE '\\'`,
    );
  }
  const where = and(...conditions);
  const total = db.select({ n: count() }).from(products).where(where).get()!.n;
  const { page, pageCount } = clampPage(options.page, total, ADMIN_PAGE_SIZE);
  const items = db
    .select({
      id: products.id,
      name: products.name,
      sku: products.sku,
      priceCents: products.priceCents,
      stock: products.stock,
      image: products.image,
      archived: sql<boolean>`${products.archivedAt} IS NOT NULL`.mapWith(Boolean),
    })
    .from(products)
    .where(where)
    .orderBy(desc(products.id))
    .limit(ADMIN_PAGE_SIZE)
    .offset((page - 1) * ADMIN_PAGE_SIZE)
    .all();
  return { items, total, page, pageCount, query, status };
}

/** One product for its edit page, and whether it was ever sold (then it can only be archived). */
export function getAdminProduct(db: AppDatabase, id: number) {
  const product = db
    .select({
      id: products.id,
      name: products.name,
      slug: products.slug,
      sku: products.sku,
      description: products.description,
      priceCents: products.priceCents,
      stock: products.stock,
      image: products.image,
      archivedAt: products.archivedAt,
    })
    .from(products)
    .where(eq(products.id, id))
    .get();
  if (!product) return undefined;
  const sold = db.select({ id: orderItems.id }).from(orderItems).where(eq(orderItems.productId, id)).limit(1).get();
  return { ...product, sold: sold !== undefined };
}

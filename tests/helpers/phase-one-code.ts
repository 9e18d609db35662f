// The code the SKU tutorial's phase 1 shipped with (docs/tutorial, page 2),
// frozen as it was: createProduct picking the id and making the SKU from it,
// the product page's and the catalog's reads. The app's own code has moved
// on (archived products, the stock ledger) and needs the current schema,
// which the server guarantees by migrating before it listens. These copies
// let the upgrade tests keep proving what the tutorial claims: code written
// for phase 1 works after each of the three SKU migrations.
import type { AppDatabase } from "#app/db/connection.server.ts";
import { skuForId } from "#app/db/sku.ts";

export type PhaseOneInput = { slug: string; name: string; description: string; priceCents: number; image: string };

export function phaseOneCreateProduct(db: AppDatabase, input: PhaseOneInput) {
  const sqlite = db.$client;
  return sqlite.transaction(() => {
    const next = sqlite
      .prepare(
        `SELECT max(
           coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'products'), 0),
           coalesce((SELECT max(id) FROM products), 0)
         ) + 1`,
      )
      .pluck()
      .get() as number;
    return sqlite
      .prepare(
        `INSERT INTO products (id, slug, name, description, price_cents, image, sku)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id, sku`,
      )
      .get(next, input.slug, input.name, input.description, input.priceCents, input.image, skuForId(next)) as {
      id: number;
      sku: string;
    };
  }).immediate();
}

/** The product page's read at phase 1: the SKU is '' until the backfill. */
export function phaseOneProductSku(db: AppDatabase, slug: string) {
  return (db.$client.prepare("SELECT sku FROM products WHERE slug = ?").get(slug) as { sku: string } | undefined)?.sku;
}

/** The catalog's first page at phase 1. */
export function phaseOneCatalogPage(db: AppDatabase) {
  return db.$client.prepare("SELECT id, slug, name, price_cents, stock, image FROM products ORDER BY created_at DESC, id DESC LIMIT 12").all();
}

import { sql } from "drizzle-orm";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { products, type Product } from "#app/db/schema.ts";
import { skuForId } from "#app/db/sku.ts";

export type ProductInput = {
  slug: string;
  name: string;
  description: string;
  priceCents: number;
  stock?: number;
  image: string;
};

// The store has no admin pages yet: this is the function one (or an import
// script) calls to add products. The tests use it to show that products
// added during and after the SKU migration get a SKU.

/**
 * Adds a product with a generated SKU (CS-000042, see app/db/sku.ts). Written
 * for phase 1 of the SKU migration and correct after phase 2: it never relies
 * on the column's default, so it works whether or not the default exists.
 */
export function createProduct(db: AppDatabase, input: ProductInput): Product {
  return db.transaction(
    (tx) => {
      // The SKU is made from the id, so the id is chosen here instead of by
      // SQLite: the number SQLite itself would pick (past both the highest id
      // and the AUTOINCREMENT counter), read under the write lock so no other
      // insert can take it first.
      const { next } = tx.get<{ next: number }>(sql`
        SELECT max(
          coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'products'), 0),
          coalesce((SELECT max(id) FROM products), 0)
        ) + 1 AS next`);
      return tx
        .insert(products)
        .values({ ...input, id: next, sku: skuForId(next) })
        .returning()
        .get();
    },
    { behavior: "immediate" },
  );
}

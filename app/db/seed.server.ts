import { sql } from "drizzle-orm";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { demoProducts } from "#app/db/demo-products.ts";
import { products } from "#app/db/schema.ts";

/**
 * Fills an empty catalog with the demo products. A catalog that already has
 * products is left alone, so running it again (or on every start) never
 * duplicates or resurrects anything. Returns how many products it inserted.
 */
export function seedDemoProducts(db: AppDatabase): number {
  return db.transaction(
    (tx) => {
      const { count } = tx.select({ count: sql<number>`count(*)` }).from(products).get()!;
      if (count > 0) return 0;
      const rows = demoProducts.map((p) => ({ ...p, image: `/images/products/${p.slug}.svg` }));
      tx.insert(products).values(rows).run();
      // Their opening balances in the stock ledger (docs/admin.md), so that
      // stock = sum(movements) holds from the first page view. Plain SQL:
      // this module runs in the tutorial's sandbox too, whose schema.ts
      // predates the ledger.
      tx.run(sql`INSERT INTO stock_movements (product_id, delta, reason, note)
        SELECT id, stock, 'initial', 'demo catalog' FROM products WHERE stock > 0 ORDER BY id`);
      return rows.length;
    },
    // Take the write lock before the count, so two processes seeding at once
    // cannot both see an empty table.
    { behavior: "immediate" },
  );
}

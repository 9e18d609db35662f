// Migration 0010 on a store full of data: it only swaps the catalog's sort
// indexes for ones that lead with archived_at, changes no row, and the
// catalog's queries use them (docs/benchmarks.md has what that is worth).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { migrate, MIGRATIONS_FOLDER, readMigrations } from "#app/db/migrator.server.ts";
import { listProducts, PAGE_SIZE } from "#app/store/products.server.ts";
import { openForTest, tempDir } from "#tests/helpers/db.ts";
import { fillStore } from "#tests/helpers/store-data.ts";

const BEFORE = "0009_index_orders_by_status";
const INDEXES = "0010_index_products_for_sale";

const plan = (db: ReturnType<typeof openForTest>, sql: string) =>
  (db.$client.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(12, 0) as { detail: string }[]).map((r) => r.detail).join(" | ");

describe("0010: indexes for the products for sale", () => {
  it("changes no row, and the catalog reads pages and counts from the new indexes", () => {
    const db = openForTest(join(tempDir("store-catalog-indexes-"), "store.db"));
    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: "0001_add_product_search" });
    fillStore(db.$client, { products: 3000, orders: 500 });
    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: BEFORE });
    // Staff archived some.
    db.$client.prepare("UPDATE products SET archived_at = unixepoch() WHERE id % 7 = 0").run();
    const forSale = db.$client.prepare("SELECT count(*) FROM products WHERE archived_at IS NULL").pluck().get() as number;
    const snapshot = () => db.$client.prepare("SELECT * FROM products ORDER BY id").all();
    const before = snapshot();
    const pages = (["newest", "price-asc", "price-desc"] as const).map((sort) => listProducts(db, { sort, page: 40 }).items);

    expect(readMigrations(MIGRATIONS_FOLDER).map((m) => m.tag)).toContain(INDEXES);
    expect(migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: INDEXES }).applied.map((m) => m.tag)).toEqual([INDEXES]);
    expect(db.$client.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(snapshot()).toEqual(before);

    // The same answers, from the new indexes.
    expect((["newest", "price-asc", "price-desc"] as const).map((sort) => listProducts(db, { sort, page: 40 }).items)).toEqual(pages);
    expect(listProducts(db).total).toBe(forSale);
    expect(listProducts(db).pageCount).toBe(Math.ceil(forSale / PAGE_SIZE));
    const cols = "id, slug, name, price_cents, stock, image";
    expect(plan(db, `SELECT ${cols} FROM products WHERE archived_at IS NULL ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`)).toBe(
      "SEARCH products USING INDEX products_for_sale_newest_idx (archived_at=?)",
    );
    expect(plan(db, `SELECT ${cols} FROM products WHERE archived_at IS NULL ORDER BY price_cents, id LIMIT ? OFFSET ?`)).toBe(
      "SEARCH products USING INDEX products_for_sale_price_idx (archived_at=?)",
    );
    // Counting the archived ones reads only their index entries.
    expect(db.$client.prepare("EXPLAIN QUERY PLAN SELECT count(*) FROM products WHERE archived_at IS NOT NULL").all()).toEqual([
      expect.objectContaining({ detail: expect.stringMatching(/^SEARCH products USING COVERING INDEX products_for_sale_\w+_idx \(archived_at>\?\)$/) }),
    ]);
  });
});

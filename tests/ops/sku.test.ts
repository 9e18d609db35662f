import { afterEach, describe, expect, it } from "vitest";
import { closeDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { demoProducts } from "#app/db/demo-products.ts";
import { seedDemoProducts } from "#app/db/seed.server.ts";
import { GENERATED_SKU, SKU_FROM_ID_SQL, skuForId } from "#app/db/sku.ts";
import { createProduct } from "#app/staff/product-admin.server.ts";
import { getProductBySlug } from "#app/store/products.server.ts";
import { freshDatabase } from "#tests/helpers/db.ts";

const open: AppDatabase[] = [];
function fresh() {
  const { db } = freshDatabase();
  open.push(db);
  return db;
}
afterEach(() => {
  for (const db of open.splice(0)) closeDatabase(db);
});

const input = (slug: string) => ({
  slug,
  name: `Thing ${slug}`,
  description: "A thing.",
  priceCents: 500,
  image: `/images/products/${slug}.svg`,
});

describe("generated SKUs", () => {
  it("are the same in TypeScript and in the backfill's SQL", () => {
    const db = fresh();
    const sqlSku = db.$client.prepare(`SELECT ${SKU_FROM_ID_SQL.replaceAll("`id`", "?")} AS sku`).pluck();
    for (const id of [1, 42, 999_999, 1_000_000, 12_345_678]) {
      expect(sqlSku.get(id)).toBe(skuForId(id));
      expect(skuForId(id)).toMatch(GENERATED_SKU);
    }
    expect(skuForId(42)).toBe("CS-000042");
  });

  it("never collide with the demo catalog's typed-in SKUs", () => {
    const skus = demoProducts.map((p) => p.sku);
    expect(new Set(skus).size).toBe(skus.length);
    for (const sku of skus) expect(sku).not.toMatch(GENERATED_SKU);
  });
});

describe("createProduct", () => {
  it("gives a new product a SKU made from its id, shown by the product query", () => {
    const db = fresh();
    seedDemoProducts(db);
    const created = createProduct(db, input("oak-stool"));
    expect(created.id).toBe(demoProducts.length + 1);
    expect(created.sku).toBe(skuForId(created.id));
    expect(getProductBySlug(db, "oak-stool")).toMatchObject({ sku: created.sku, name: "Thing oak-stool" });
    expect(getProductBySlug(db, "stoneware-mug")?.sku).toBe("KIT-101");
  });

  it("never reuses the id, and so the SKU, of a deleted product", () => {
    const db = fresh();
    const first = createProduct(db, input("first"));
    const second = createProduct(db, input("second"));
    db.$client.prepare("DELETE FROM products WHERE id = ?").run(second.id);
    const third = createProduct(db, input("third"));
    expect(third.id).toBe(second.id + 1);
    expect(new Set([first.sku, second.sku, third.sku]).size).toBe(3);
  });

  it("picks the next id after rows inserted with explicit ids", () => {
    const db = fresh();
    db.$client
      .prepare("INSERT INTO products (id, slug, name, description, price_cents, image, sku) VALUES (500, 'x', 'X', 'x', 1, 'x', 'X-1')")
      .run();
    expect(createProduct(db, input("after")).sku).toBe("CS-000501");
  });
});

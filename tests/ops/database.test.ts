import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { demoProducts } from "#app/db/demo-products.ts";
import { migrate, MigrationError, MIGRATIONS_FOLDER, MIGRATIONS_TABLE, migrationState, readMigrations } from "#app/db/migrator.server.ts";
import { seedDemoProducts } from "#app/db/seed.server.ts";
import { getProductBySlug, listProducts, PAGE_SIZE } from "#app/store/products.server.ts";
import { freshDatabase, tempDir } from "#tests/helpers/db.ts";
import { appendMigration, migrationsFolderUpTo } from "#tests/helpers/migrations.ts";

const open: AppDatabase[] = [];
function track(db: AppDatabase) {
  open.push(db);
  return db;
}
afterEach(() => {
  for (const db of open.splice(0)) closeDatabase(db);
});

function names(db: AppDatabase, type: "table" | "index" | "trigger") {
  return (
    db.$client
      .prepare("SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all(type) as { name: string }[]
  ).map((r) => r.name);
}

/** Everything that describes a database's schema and migration history. */
function fingerprint(db: AppDatabase) {
  return {
    schema: db.$client.prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").all(),
    migrations: db.$client.prepare(`SELECT hash, created_at FROM "${MIGRATIONS_TABLE}"`).all(),
  };
}

describe("opening a database", () => {
  it("creates the folder and sets the production pragmas", () => {
    const path = join(tempDir(), "nested", "deeper", "store.db");
    const db = track(openDatabase(path));
    expect(db.$client.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.$client.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(db.$client.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
    expect(db.$client.pragma("busy_timeout", { simple: true })).toBe(5000);
  });
});

describe("migrations on a fresh file", () => {
  it("creates every table, index and search trigger", () => {
    const db = track(openDatabase(join(tempDir(), "store.db")));
    const result = migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER });
    const all = readMigrations(MIGRATIONS_FOLDER);
    expect(result.applied.map((m) => m.tag)).toEqual(all.map((m) => m.tag));

    expect(names(db, "table")).toEqual(
      expect.arrayContaining([MIGRATIONS_TABLE, "order_items", "orders", "products", "products_fts"]),
    );
    expect(names(db, "index")).toEqual(
      expect.arrayContaining([
        "order_items_order_id_idx",
        "order_items_product_id_idx",
        "orders_checkout_token_unique",
        "orders_number_unique",
        "orders_public_id_unique",
        "products_for_sale_newest_idx",
        "products_for_sale_price_idx",
        "products_sku_unique",
        "products_slug_unique",
      ]),
    );
    expect(names(db, "trigger")).toEqual([
      "products_fts_after_delete",
      "products_fts_after_insert",
      "products_fts_after_update",
    ]);
    const fks = db.$client.pragma("foreign_key_list(order_items)") as { table: string; on_delete: string }[];
    expect(fks.map((f) => [f.table, f.on_delete]).sort()).toEqual([
      ["orders", "CASCADE"],
      ["products", "RESTRICT"],
    ]);
    // After the SKU tutorial's phase 2: required, no default, never empty.
    const sku = (db.$client.pragma("table_info(products)") as { name: string; notnull: number; dflt_value: unknown }[]).find(
      (c) => c.name === "sku",
    );
    expect(sku).toMatchObject({ notnull: 1, dflt_value: null });
    expect(db.$client.prepare("SELECT sql FROM sqlite_master WHERE name = 'products'").pluck().get()).toContain(
      `CONSTRAINT "products_sku_check" CHECK(sku <> '')`,
    );
    // The migrator restores the connection's foreign key setting afterwards.
    expect(db.$client.pragma("foreign_keys", { simple: true })).toBe(1);
  });

  it("records rows drizzle-kit understands: one per file, hash and journal timestamp", () => {
    const { db } = freshDatabase();
    track(db);
    const rows = db.$client
      .prepare(`SELECT hash, created_at FROM "${MIGRATIONS_TABLE}" ORDER BY created_at`)
      .all() as { hash: string; created_at: number }[];
    expect(rows).toEqual(readMigrations(MIGRATIONS_FOLDER).map((m) => ({ hash: m.hash, created_at: m.when })));
  });

  it("is a no-op the second time", () => {
    const { db } = freshDatabase();
    track(db);
    const before = fingerprint(db);
    const again = migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER });
    expect(again.applied).toEqual([]);
    expect(fingerprint(db)).toEqual(before);
    expect(migrationState(db.$client, MIGRATIONS_FOLDER).pending).toEqual([]);
  });
});

describe("a failing migration", () => {
  const all = readMigrations(MIGRATIONS_FOLDER);
  function folderWithExtra(sql: string, when?: number) {
    const folder = migrationsFolderUpTo(all.at(-1)!.tag);
    const tag = "9999_broken_on_purpose";
    appendMigration(folder, tag, sql, when);
    return { folder, tag };
  }

  it("throws naming the file and leaves the database exactly as it was", () => {
    const { db } = freshDatabase();
    track(db);
    seedDemoProducts(db);
    const before = fingerprint(db);
    const { folder, tag } = folderWithExtra(
      "CREATE TABLE half_done (id integer);\n--> statement-breakpoint\nUPDATE products SET stock = 0;\n--> statement-breakpoint\nINSERT INTO no_such_table VALUES (1);",
    );
    let error: unknown;
    try {
      migrate(db.$client, { migrationsFolder: folder });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).migration).toBe(tag);
    expect((error as Error).message).toContain("no such table: no_such_table");
    expect(fingerprint(db)).toEqual(before);
    const stock = db.$client.prepare("SELECT sum(stock) AS s FROM products").get() as { s: number };
    expect(stock.s).toBe(demoProducts.reduce((sum, p) => sum + p.stock, 0));
    expect(db.$client.inTransaction).toBe(false);
    expect(db.$client.pragma("foreign_keys", { simple: true })).toBe(1);
  });

  it("refuses a pending migration older than the newest applied one", () => {
    const { db } = freshDatabase();
    track(db);
    // As if merged from a branch made before the newest migration was.
    const { folder } = folderWithExtra("CREATE TABLE merged_late (id integer);", all[0]!.when - 1);
    expect(() => migrate(db.$client, { migrationsFolder: folder })).toThrow(/older than the newest applied/);
    expect(names(db, "table")).not.toContain("merged_late");
  });
});

describe("demo data", () => {
  it("fills an empty catalog once; seeding again changes nothing", () => {
    const { db } = freshDatabase();
    track(db);
    expect(seedDemoProducts(db)).toBe(demoProducts.length);
    expect(seedDemoProducts(db)).toBe(0);
    expect(listProducts(db, { page: 1 }).total).toBe(demoProducts.length);
  });

  it("leaves a catalog that already has products alone", () => {
    const { db } = freshDatabase();
    track(db);
    seedDemoProducts(db);
    // (its stock history first: the ledger's foreign key keeps a product that has one)
    db.$client.prepare("DELETE FROM stock_movements WHERE product_id = (SELECT id FROM products WHERE slug = 'wool-throw')").run();
    db.$client.prepare("DELETE FROM products WHERE slug = 'wool-throw'").run();
    expect(seedDemoProducts(db)).toBe(0);
    expect(getProductBySlug(db, "wool-throw")).toBeUndefined();
  });

  it("has an image file for every product", () => {
    for (const p of demoProducts) {
      const svg = readFileSync(join(MIGRATIONS_FOLDER, "..", "public", "images", "products", `${p.slug}.svg`), "utf8");
      expect(svg).toContain("<svg");
    }
  });
});

describe("product queries", () => {
  it("pages through the catalog newest first without overlap", () => {
    const { db } = freshDatabase();
    track(db);
    seedDemoProducts(db);
    const pageCount = Math.ceil(demoProducts.length / PAGE_SIZE);
    const seen: string[] = [];
    for (let page = 1; page <= pageCount; page++) {
      const result = listProducts(db, { page: page });
      expect(result.page).toBe(page);
      expect(result.pageCount).toBe(pageCount);
      seen.push(...result.items.map((p) => p.slug));
    }
    expect(new Set(seen).size).toBe(demoProducts.length);
    // Out-of-range pages clamp instead of showing an empty page.
    expect(listProducts(db, { page: 999 }).page).toBe(pageCount);
    expect(listProducts(db, { page: -3 }).page).toBe(1);
  });

  it("finds a product by slug with its description, and nothing for an unknown slug", () => {
    const { db } = freshDatabase();
    track(db);
    seedDemoProducts(db);
    const mug = getProductBySlug(db, "stoneware-mug");
    expect(mug).toMatchObject({
      name: "Stoneware Mug",
      sku: "KIT-101",
      priceCents: 1800,
      image: "/images/products/stoneware-mug.svg",
    });
    expect(mug?.description).toMatch(/speckled glaze/);
    expect(getProductBySlug(db, "no-such-thing")).toBeUndefined();
  });

  it("keeps the search index in step with the products table", () => {
    const { db } = freshDatabase();
    track(db);
    seedDemoProducts(db);
    const hits = (q: string) =>
      (db.$client.prepare("SELECT rowid FROM products_fts WHERE products_fts MATCH ?").all(q) as unknown[]).length;
    expect(hits("glaze")).toBe(1);
    db.$client.prepare("UPDATE products SET description = 'plain' WHERE slug = 'stoneware-mug'").run();
    expect(hits("glaze")).toBe(0);
    // (its stock history first: the ledger's foreign key keeps a product that has one)
    db.$client.prepare("DELETE FROM stock_movements WHERE product_id = (SELECT id FROM products WHERE slug = 'espresso-cup-pair')").run();
    db.$client.prepare("DELETE FROM products WHERE slug = 'espresso-cup-pair'").run();
    expect(hits("espresso")).toBe(0);
  });
});

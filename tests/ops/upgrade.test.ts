// The SKU migrations on a store that already has data: applied one at a
// time through the runner the server uses, checked for lost or changed rows
// after each; the app's code at every step; the failing variant; and what
// drizzle-orm's own migrate() does to the phase-2 table rebuild.
import { createHash } from "node:crypto";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate as drizzleMigrate } from "drizzle-orm/better-sqlite3/migrator";
import { describe, expect, it } from "vitest";
import { closeDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { migrate, MigrationError, MIGRATIONS_FOLDER, readMigrations } from "#app/db/migrator.server.ts";
import { skuForId } from "#app/db/sku.ts";
import { createProduct } from "#app/staff/product-admin.server.ts";
import { openForTest, tempDir } from "#tests/helpers/db.ts";
import { fingerprint, migrationsFolderUpTo } from "#tests/helpers/migrations.ts";
import { phaseOneCatalogPage, phaseOneCreateProduct, phaseOneProductSku } from "#tests/helpers/phase-one-code.ts";
import { fillStore } from "#tests/helpers/store-data.ts";

const BEFORE_TUTORIAL = "0001_add_product_search";
const PHASE_1 = "0002_add_sku_to_products";
const BACKFILL = "0003_backfill_product_skus";
const PHASE_2 = "0004_require_product_sku";

/** A store as it was before the tutorial, with data in it. */
function storeBeforeTutorial(size: { products: number; orders: number }) {
  const path = join(tempDir("store-upgrade-"), "store.db");
  const db = openForTest(path);
  migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: BEFORE_TUTORIAL });
  const data = fillStore(db.$client, size);
  return { db, path, data };
}

const rows = (db: AppDatabase, sql: string) => db.$client.prepare(sql).all();
const value = (db: AppDatabase, sql: string) => db.$client.prepare(sql).pluck().get();
const digest = (data: unknown) => createHash("sha256").update(JSON.stringify(data)).digest("hex");

/** Everything the SKU migrations must not change. */
function business(db: AppDatabase) {
  return {
    counts: rows(db, "SELECT (SELECT count(*) FROM products) p, (SELECT count(*) FROM orders) o, (SELECT count(*) FROM order_items) i"),
    products: digest(
      rows(db, "SELECT id, slug, name, description, price_cents, stock, image, created_at, updated_at FROM products ORDER BY id"),
    ),
    // The columns the store had before the tutorial: later migrations add
    // columns (payment, the phone), which must leave these as they were.
    orders: digest(
      rows(
        db,
        "SELECT id, public_id, number, checkout_token, email, customer_name, address_line1, address_line2, city, postal_code, country, status, total_cents, created_at, updated_at FROM orders ORDER BY id",
      ),
    ),
    items: digest(rows(db, "SELECT * FROM order_items ORDER BY id")),
    counter: value(db, "SELECT seq FROM sqlite_sequence WHERE name = 'products'"),
  };
}

function searchIsConsistent(db: AppDatabase) {
  // Throws ("database disk image is malformed") if the index and the
  // products table disagree about any row.
  db.$client.prepare("INSERT INTO products_fts(products_fts, rank) VALUES ('integrity-check', 1)").run();
}

const search = (db: AppDatabase, query: string) =>
  (db.$client.prepare("SELECT rowid FROM products_fts WHERE products_fts MATCH ? ORDER BY rowid").pluck().all(query) as number[]);

describe("upgrading a store with realistic data", () => {
  it("applies each SKU migration on its own without losing or changing a row", () => {
    const { db, data } = storeBeforeTutorial({ products: 4000, orders: 1500 });
    expect(data.orderItems).toBeGreaterThan(3000);
    const baseline = business(db);
    const sample = rows(db, "SELECT id, name FROM products WHERE id % 97 = 0") as { id: number; name: string }[];
    const byName = (p: { name: string }) => `name:"${p.name.split(" ").at(-1)}"`;

    const all = readMigrations(MIGRATIONS_FOLDER).map((m) => m.tag);
    const later = all.slice(all.indexOf(BEFORE_TUTORIAL) + 1);
    expect(later.slice(0, 3)).toEqual([PHASE_1, BACKFILL, PHASE_2]);
    for (const tag of later) {
      const result = migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: tag });
      expect(result.applied.map((m) => m.tag), tag).toEqual([tag]);

      expect(business(db), tag).toEqual(baseline);
      expect(value(db, "SELECT count(*) FROM order_items i LEFT JOIN products p ON p.id = i.product_id WHERE p.id IS NULL"), tag).toBe(0);
      expect(value(db, "SELECT count(*) FROM order_items i LEFT JOIN orders o ON o.id = i.order_id WHERE o.id IS NULL"), tag).toBe(0);
      expect(db.$client.pragma("foreign_key_check"), tag).toEqual([]);
      expect(db.$client.pragma("integrity_check", { simple: true }), tag).toBe("ok");
      expect(db.$client.pragma("foreign_keys", { simple: true }), tag).toBe(1);
      searchIsConsistent(db);
      for (const p of sample) expect(search(db, byName(p)), `${tag} ${p.name}`).toEqual([p.id]);
      expect(search(db, "cajnik").length, tag).toBeGreaterThan(50); // diacritics folded: Čajník

      const skus = rows(db, "SELECT id, sku FROM products") as { id: number; sku: string }[];
      if (tag === PHASE_1) expect(new Set(skus.map((p) => p.sku)), tag).toEqual(new Set([""]));
      if (tag !== PHASE_1) {
        expect(skus.every((p) => p.sku === skuForId(p.id)), tag).toBe(true);
        expect(value(db, "SELECT count(DISTINCT sku) FROM products"), tag).toBe(skus.length);
      }
    }

    // After the rebuild: the recreated triggers keep search current, and the
    // AUTOINCREMENT counter still remembers the deleted newest products.
    expect(rows(db, "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")).toEqual([
      { name: "products_fts_after_delete" },
      { name: "products_fts_after_insert" },
      { name: "products_fts_after_update" },
    ]);
    const maxId = value(db, "SELECT max(id) FROM products") as number;
    expect(baseline.counter).toBeGreaterThan(maxId);
    const created = createProduct(db, {
      slug: "zwiebeltopf-neu",
      name: "Zwiebeltopf Neu",
      description: "Steingut",
      priceCents: 2500,
      image: "x",
    });
    expect(created.id).toBe((baseline.counter as number) + 1);
    expect(search(db, "zwiebeltopf neu")).toEqual([created.id]);
    db.$client.prepare("UPDATE products SET name = 'Krautfass' WHERE id = ?").run(created.id);
    expect(search(db, "zwiebeltopf neu")).toEqual([]);
    expect(search(db, "krautfass")).toEqual([created.id]);
    db.$client.prepare("DELETE FROM products WHERE id = ?").run(created.id);
    expect(search(db, "krautfass")).toEqual([]);
    searchIsConsistent(db);
  });
});

describe("the app at every step", () => {
  const newProduct = (slug: string) => ({ slug, name: `New ${slug}`, description: "new", priceCents: 900, image: "x" });
  // What code from before the tutorial does: insert without a SKU.
  const oldCodeInsert = (db: AppDatabase, slug: string) =>
    db.$client
      .prepare("INSERT INTO products (slug, name, description, price_cents, image) VALUES (?, 'Old', 'old', 100, 'x')")
      .run(slug);

  // The phase-1 release's own code (tests/helpers/phase-one-code.ts): today's
  // app needs today's schema, which it always has (it migrates first).
  it("phase-1 code reads and writes before and after phase 2; old code only until phase 2", () => {
    const { db } = storeBeforeTutorial({ products: 200, orders: 40 });
    const existing = (rows(db, "SELECT slug FROM products ORDER BY id LIMIT 1") as { slug: string }[])[0]!.slug;

    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: PHASE_1 });
    // Between phase 1 and the backfill, old rows have '' and the page hides it.
    expect(phaseOneProductSku(db, existing)).toBe("");
    const a = phaseOneCreateProduct(db, newProduct("made-in-phase-1"));
    expect(phaseOneProductSku(db, "made-in-phase-1")).toBe(skuForId(a.id));
    // A server still on the old code during the rollout keeps working.
    oldCodeInsert(db, "old-code-during-phase-1");
    expect(phaseOneCatalogPage(db).length).toBeGreaterThan(0);

    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: BACKFILL });
    expect(phaseOneProductSku(db, existing)).toMatch(/^CS-\d{6}$/);
    expect(phaseOneProductSku(db, "old-code-during-phase-1")).toMatch(/^CS-\d{6}$/);
    expect(phaseOneProductSku(db, "made-in-phase-1")).toBe(skuForId(a.id));

    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: PHASE_2 });
    const b = phaseOneCreateProduct(db, newProduct("made-after-phase-2"));
    expect(phaseOneProductSku(db, "made-after-phase-2")).toBe(skuForId(b.id));
    expect(phaseOneProductSku(db, "made-in-phase-1")).toBe(skuForId(a.id));
    // Phase 2 is for when no old code is left: it now gets a clear error.
    expect(() => oldCodeInsert(db, "old-code-after-phase-2")).toThrow("NOT NULL constraint failed: products.sku");
    expect(() => db.$client.prepare("UPDATE products SET sku = '' WHERE id = ?").run(b.id)).toThrow(
      "CHECK constraint failed: products_sku_check",
    );
    expect(() => db.$client.prepare("UPDATE products SET sku = ? WHERE id = ?").run(a.sku, b.id)).toThrow(
      "UNIQUE constraint failed: products.sku",
    );
  });

  it("phase 2 refuses to run over a product the backfill missed, and changes nothing", () => {
    const { db } = storeBeforeTutorial({ products: 100, orders: 10 });
    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: BACKFILL });
    db.$client.prepare("INSERT INTO products (slug, name, description, price_cents, image) VALUES ('late', 'Late', 'l', 1, 'x')").run();
    const before = fingerprint(db.$client);
    expect(() => migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: PHASE_2 })).toThrow(
      `${PHASE_2} failed: CHECK constraint failed: products_sku_check; rolled back`,
    );
    expect(fingerprint(db.$client)).toBe(before);
  });
});

describe("adding the column NOT NULL without a default (the failing variant)", () => {
  // Exactly what drizzle-kit generates for `sku: text("sku").notNull()`; the
  // tutorial test checks that against drizzle-kit itself.
  const FAILING_SQL = "ALTER TABLE `products` ADD `sku` text NOT NULL;";

  it("fails on a table with rows and leaves the database exactly as it was", () => {
    const { db } = storeBeforeTutorial({ products: 300, orders: 30 });
    const folder = migrationsFolderUpTo(BEFORE_TUTORIAL, { tag: "0002_add_sku_to_products", sql: FAILING_SQL });
    const before = fingerprint(db.$client);
    let error: unknown;
    try {
      migrate(db.$client, { migrationsFolder: folder });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toBe(
      "0002_add_sku_to_products failed: Cannot add a NOT NULL column with default value NULL; rolled back, nothing was applied",
    );
    expect(fingerprint(db.$client)).toBe(before);
    expect(db.$client.inTransaction).toBe(false);
  });

  it("works on an empty table, which is why it passes on a fresh development database", () => {
    const db = openForTest(join(tempDir(), "store.db"));
    const folder = migrationsFolderUpTo(BEFORE_TUTORIAL, { tag: "0002_add_sku_to_products", sql: FAILING_SQL });
    expect(migrate(db.$client, { migrationsFolder: folder }).applied).toHaveLength(3);
  });
});

describe("the phase-2 rebuild: drizzle-orm's migrate() against the project's runner", () => {
  /** A store at the backfill with orders, and a second copy of the file. */
  function twoCopiesAtBackfill(folder: string) {
    const path = join(tempDir("store-rebuild-"), "store.db");
    const db = openForTest(path);
    migrate(db.$client, { migrationsFolder: folder, to: BEFORE_TUTORIAL });
    fillStore(db.$client, { products: 500, orders: 200 });
    migrate(db.$client, { migrationsFolder: folder, to: BACKFILL });
    closeDatabase(db); // closing twice (again after the test) is harmless
    const copy = join(tempDir("store-rebuild-"), "store.db");
    copyFileSync(path, copy);
    return [openForTest(path), openForTest(copy)] as const;
  }

  function drizzleMigrateResult(db: AppDatabase, folder: string) {
    try {
      drizzleMigrate(drizzle({ client: db.$client }), { migrationsFolder: folder });
      return "reported success";
    } catch (error) {
      const cause = (error as Error).cause as Error | undefined;
      return `${(error as Error).message.replace(/\s+/g, " ").trim()} | ${cause?.message}`;
    }
  }

  it("with ON DELETE RESTRICT (this schema): migrate() fails on the DROP TABLE; the runner succeeds", () => {
    const [viaDrizzle, viaRunner] = twoCopiesAtBackfill(MIGRATIONS_FOLDER);
    const before = business(viaDrizzle);
    const unchanged = fingerprint(viaDrizzle.$client);
    // better-sqlite3 opens with foreign keys on; connection.server.ts keeps them on.
    expect(viaDrizzle.$client.pragma("foreign_keys", { simple: true })).toBe(1);

    expect(drizzleMigrateResult(viaDrizzle, MIGRATIONS_FOLDER)).toBe(
      "Failed to run the query ' DROP TABLE `products`;' | FOREIGN KEY constraint failed",
    );
    expect(fingerprint(viaDrizzle.$client)).toBe(unchanged);

    migrate(viaRunner.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: PHASE_2 });
    expect(business(viaRunner)).toEqual(before);
    expect(viaRunner.$client.pragma("foreign_key_check")).toEqual([]);
  });

  it("with ON DELETE CASCADE: migrate() reports success and has deleted every order item; the runner keeps them", () => {
    // The same migrations, but order_items.product_id declared ON DELETE CASCADE.
    const folder = migrationsFolderUpTo(PHASE_2);
    const first = join(folder, "0000_create_store_tables.sql");
    const sql = readFileSync(first, "utf8");
    expect(sql).toContain("REFERENCES `products`(`id`) ON UPDATE no action ON DELETE restrict");
    writeFileSync(first, sql.replace("ON DELETE restrict", "ON DELETE cascade"));

    const [viaDrizzle, viaRunner] = twoCopiesAtBackfill(folder);
    const before = business(viaDrizzle);
    expect((before.counts[0] as { i: number }).i).toBeGreaterThan(300);

    expect(drizzleMigrateResult(viaDrizzle, folder)).toBe("reported success");
    expect(value(viaDrizzle, "SELECT count(*) FROM order_items")).toBe(0);
    expect(value(viaDrizzle, "SELECT count(*) FROM orders")).toBe(200);

    migrate(viaRunner.$client, { migrationsFolder: folder });
    expect(business(viaRunner)).toEqual(before);
  });
});

// The SKU backfill, both ways: the migration's single UPDATE and the batched
// command for large tables, which must agree and leave each other nothing.
import { spawnSync } from "node:child_process";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { backfillSkus } from "#app/ops/backfill-skus.server.ts";
import { closeDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { migrate, MIGRATIONS_FOLDER } from "#app/db/migrator.server.ts";
import { skuForId } from "#app/db/sku.ts";
import { openForTest, PROJECT_ROOT, tempDir } from "#tests/helpers/db.ts";
import { phaseOneCreateProduct } from "#tests/helpers/phase-one-code.ts";
import { fillStore } from "#tests/helpers/store-data.ts";

const PHASE_1 = "0002_add_sku_to_products";
const BACKFILL = "0003_backfill_product_skus";

/** A database at phase 1 with 600 products that have no SKU yet, and two that do. */
function phaseOneDatabase() {
  const path = join(tempDir(), "store.db");
  const db = openForTest(path);
  migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: "0001_add_product_search" });
  fillStore(db.$client, { products: 600, orders: 50 });
  migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: PHASE_1 });
  const created = [1, 2].map((n) =>
    phaseOneCreateProduct(db, { slug: `new-${n}`, name: `New ${n}`, description: "new", priceCents: 1, image: "x" }),
  );
  return { db, path, created };
}

const skus = (db: AppDatabase) =>
  db.$client.prepare("SELECT id, sku FROM products ORDER BY id").all() as { id: number; sku: string }[];

describe("the backfill migration", () => {
  it("gives every product without a SKU the one made from its id, and leaves the others alone", () => {
    const { db, created } = phaseOneDatabase();
    expect(skus(db).filter((p) => p.sku === "")).toHaveLength(skus(db).length - 2);
    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: BACKFILL });
    for (const { id, sku } of skus(db)) expect(sku).toBe(skuForId(id));
    expect(created.map((p) => p.sku)).toEqual(created.map((p) => skuForId(p.id)));
  });
});

describe("the batched backfill", () => {
  it("gives the same SKUs as the migration, in short transactions, and leaves the migration nothing", () => {
    const { db, path } = phaseOneDatabase();
    const viaMigration = join(tempDir(), "store.db");
    db.$client.pragma("wal_checkpoint(TRUNCATE)");
    copyFileSync(path, viaMigration);
    const other = openForTest(viaMigration);
    migrate(other.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: BACKFILL });

    // A second connection that never waits: it can only write if no batch
    // holds the lock, which is what the store needs between batches.
    const store = openForTest(path);
    store.$client.pragma("busy_timeout = 0");
    const bump = store.$client.prepare("UPDATE products SET stock = stock + 1 WHERE id = (SELECT min(id) FROM products)");
    const result = backfillSkus(db.$client, { batchSize: 64, pauseMs: 0, onBatch: () => bump.run() });

    const total = skus(db).length;
    expect(result.updated).toBe(total - 2);
    expect(result.batches).toBeGreaterThan(5);
    expect(result.lockMs).toHaveLength(result.batches);
    expect(skus(db)).toEqual(skus(other));

    const before = db.$client.prepare("SELECT total_changes() AS n").get() as { n: number };
    const applied = migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: BACKFILL });
    expect(applied.applied.map((m) => m.tag)).toEqual([BACKFILL]);
    const after = db.$client.prepare("SELECT total_changes() AS n").get() as { n: number };
    // One change: the __drizzle_migrations row. The UPDATE found no product.
    expect(after.n - before.n).toBe(1);
    expect(skus(db)).toEqual(skus(other));
  });

  it("is safe to run twice and on a table that is already done", () => {
    const { db } = phaseOneDatabase();
    const missing = db.$client.prepare("SELECT count(*) FROM products WHERE sku = ''").pluck().get() as number;
    expect(missing).toBeGreaterThan(0);
    expect(backfillSkus(db.$client, { batchSize: 1000, pauseMs: 0 }).updated).toBe(missing);
    expect(backfillSkus(db.$client, { batchSize: 1000, pauseMs: 0 }).updated).toBe(0);
  });

  it("runs as `npm run db:backfill-skus` against DATABASE_PATH, and refuses a database before phase 1", () => {
    const { db, path } = phaseOneDatabase();
    closeDatabase(db);
    const run = (databasePath: string) =>
      spawnSync(process.execPath, ["app/cli/cli.ts", "backfill-skus", "--batch-size", "100", "--pause-ms", "0"], {
        cwd: PROJECT_ROOT,
        env: { PATH: process.env.PATH, DATABASE_PATH: databasePath },
        encoding: "utf8",
      });
    const done = run(path);
    expect(done.stderr).toBe("");
    expect(done.status).toBe(0);
    expect(done.stdout).toMatch(/backfill-skus: \d+ products given a SKU in 7 batches/);
    const check = openForTest(path);
    expect(check.$client.prepare("SELECT count(*) FROM products WHERE sku = ''").pluck().get()).toBe(0);

    const old = join(tempDir(), "store.db");
    const oldDb = openForTest(old);
    migrate(oldDb.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: "0001_add_product_search" });
    const refused = run(old);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("products has no sku column: deploy phase 1");

    const missing = run(join(tempDir(), "nothing-here.db"));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("no database at");
  });
});

import { closeSync, copyFileSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { migrate, MIGRATIONS_FOLDER } from "#app/db/migrator.server.ts";
import { orderItems, orders, products } from "#app/db/schema.ts";
import { seedDemoProducts } from "#app/db/seed.server.ts";
import { parseEnv } from "#app/core/env.server.ts";
import { orderLimits } from "#app/shop/cart.server.ts";

export const PROJECT_ROOT = join(import.meta.dirname, "..", "..");

/** The caps on one order, as the store reads them from this environment (the defaults in the tests). */
export const ORDER_LIMITS = orderLimits(parseEnv(process.env));

let template: string | undefined;

// Folders tempDir() made in this test file: tests/setup.ts removes them
// after the file, so runs of `npm test` do not pile up in the temp folder
// (about 500 MB a run). KEEP_TEST_DIRS=1 keeps them for a look after a failure.
const madeHere: string[] = [];

export function tempDir(prefix = "store-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  madeHere.push(dir);
  return dir;
}

export function removeTempDirs() {
  if (process.env.KEEP_TEST_DIRS === "1") return;
  for (const dir of madeHere.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  template = undefined; // it lived in one of them
}

/**
 * A fresh, fully migrated database file of its own. Migrating once into a
 * template and copying it is much faster than migrating for every test.
 */
export function freshDatabase(): { db: AppDatabase; path: string } {
  if (!template) {
    template = join(tempDir("store-template-"), "template.db");
    const db = openDatabase(template);
    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER });
    // Closing checkpoints the WAL, so the single file holds everything.
    closeDatabase(db);
  }
  const path = join(tempDir(), "store.db");
  copyFileSync(template, path);
  return { db: openDatabase(path), path };
}

// Connections a test opened through the helpers below; tests/setup.ts closes
// them after each test.
const openedByTest: AppDatabase[] = [];
export function closeTestDatabases() {
  for (const db of openedByTest.splice(0)) closeDatabase(db);
}

/** Opens the database at `path`; closed after the current test. */
export function openForTest(path: string): AppDatabase {
  const db = openDatabase(path);
  openedByTest.push(db);
  return db;
}

/** A fresh migrated database with the demo catalog; closed after the current test. */
export function seededDatabase(): AppDatabase {
  const { db } = freshDatabase();
  openedByTest.push(db);
  seedDemoProducts(db);
  return db;
}

export function productBySlug(db: AppDatabase, slug: string) {
  return db.select().from(products).where(eq(products.slug, slug)).get()!;
}

export function setStock(db: AppDatabase, slug: string, stock: number) {
  db.update(products).set({ stock }).where(eq(products.slug, slug)).run();
}

/** Everything checkout may write: every product's stock, every order and order item. */
export function writes(db: AppDatabase) {
  return {
    stock: db.select({ id: products.id, stock: products.stock }).from(products).all(),
    orders: db.select().from(orders).all(),
    items: db.select().from(orderItems).all(),
  };
}

/**
 * Damages the database file at `path` (closed) the way a failing disk does:
 * the first page of `table` overwritten, the file's header intact, so SQLite
 * opens it and integrity_check finds the damage.
 */
export function damageTable(path: string, table: string) {
  const db = openDatabase(path);
  const { rootpage } = db.$client.prepare("SELECT rootpage FROM sqlite_master WHERE name = ?").get(table) as { rootpage: number };
  const pageSize = db.$client.pragma("page_size", { simple: true }) as number;
  closeDatabase(db);
  const fd = openSync(path, "r+");
  writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (rootpage - 1) * pageSize);
  closeSync(fd);
}

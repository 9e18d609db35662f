// A practice copy of the project as it was before the SKU tutorial, for
// following docs/tutorial by hand (and for the test that walks it):
//
//   npm run tutorial:sandbox -- ../sku-sandbox
//
// It holds what the tutorial's commands need: package.json (the same npm
// scripts), drizzle.config.ts, app/core, app/db, app/ops and app/cli, drizzle/ up to
// 0001_add_product_search, node_modules linked to this project's, and
// data/store.db: a store at that migration with thousands of products and
// orders, standing in for production. app/db/schema.ts is
// tests/tutorial/schema.before.ts, the schema as it was before the tutorial.
// Run by Node directly: erasable TypeScript, #app/… imports with extensions.
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { migrate } from "#app/db/migrator.server.ts";
import { truncateMigrations } from "#tests/helpers/migrations.ts";
import { fillStore, type StoreData } from "#tests/helpers/store-data.ts";

export const PROJECT_ROOT = join(import.meta.dirname, "..", "..");
/** The last migration before the tutorial. */
export const START_TAG = "0001_add_product_search";

export function createSandbox(dir: string, size = { products: 3000, orders: 1000 }): StoreData {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`${dir} is not empty`);
  mkdirSync(join(dir, "app"), { recursive: true });
  for (const entry of ["package.json", "drizzle.config.ts", "drizzle", "app/core", "app/db", "app/ops", "app/cli"]) {
    cpSync(join(PROJECT_ROOT, entry), join(dir, entry), { recursive: true });
  }
  cpSync(join(PROJECT_ROOT, "tests", "tutorial", "schema.before.ts"), join(dir, "app", "db", "schema.ts"));
  symlinkSync(join(PROJECT_ROOT, "node_modules"), join(dir, "node_modules"), "dir");

  // drizzle/ as it was: the journal, SQL files and snapshots up to START_TAG.
  const folder = join(dir, "drizzle");
  truncateMigrations(folder, START_TAG);

  const db = openDatabase(join(dir, "data", "store.db"));
  try {
    migrate(db.$client, { migrationsFolder: join(dir, "drizzle") });
    return fillStore(db.$client, size);
  } finally {
    closeDatabase(db);
  }
}

function main() {
  const target = process.argv[2];
  if (!target) {
    console.error("usage: npm run tutorial:sandbox -- <empty directory>");
    process.exit(2);
  }
  const dir = resolve(target);
  const data = createSandbox(dir);
  console.log(`sandbox ready in ${dir}`);
  console.log(`  data/store.db: at ${START_TAG}, ${data.products} products, ${data.orders} orders, ${data.orderItems} order items`);
  console.log(`next: cd ${target} && npm run db:status   (then follow docs/tutorial)`);
}

if (import.meta.main) main();

// How long each step of the SKU migration holds SQLite's write lock on a big
// catalog, and what that does to a store taking orders meanwhile:
//
//   npm run bench:migrations [-- --products 1000000 --orders 100000]
//
// Builds a store at 0001_add_product_search, then times on copies of it:
// phase 1 (ALTER TABLE ADD), the one-statement backfill (0003), the batched
// backfill (db:backfill-skus) followed by 0003 finding nothing, and phase 2
// (the table rebuild). While each runs, a second thread places an order
// every 20 ms through its own connection, as the server would (busy timeout
// 5 s), and reports how long its writes waited. Not part of `npm test`.
import { copyFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { backfillSkus } from "#app/ops/backfill-skus.server.ts";
import { backupDatabase } from "#app/db/backup.server.ts";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { migrate, MIGRATIONS_FOLDER } from "#app/db/migrator.server.ts";
import { fillStore } from "#tests/helpers/store-data.ts";

const { values } = parseArgs({
  options: {
    products: { type: "string", default: "1000000" },
    orders: { type: "string", default: "100000" },
    "batch-size": { type: "string", default: "2000" },
    "pause-ms": { type: "string", default: "10" },
  },
});
const PRODUCTS = Number(values.products);
const ORDERS = Number(values.orders);
const BATCH = Number(values["batch-size"]);
const PAUSE = Number(values["pause-ms"]);
const dir = mkdtempSync(join(tmpdir(), "store-bench-"));

const ms = (n: number) => `${n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString("en")} ms`;
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0;

// A checkout loop in another thread: short IMMEDIATE write transactions on a
// connection of its own, with the server's 5 s busy timeout.
const WRITER = `
const { workerData, parentPort } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 5000");
const stop = new Int32Array(workerData.stop);
const insert = db.prepare(\`INSERT INTO orders (public_id, number, checkout_token, email, customer_name,
  address_line1, city, postal_code, country, total_cents) VALUES (?, ?, ?, 'b@example.com', 'Bench', '1 Road', 'Town', '1', 'DE', 100)\`);
const begin = db.prepare("BEGIN IMMEDIATE"), commit = db.prepare("COMMIT");
const waits = []; let failed = 0; let n = 0;
while (Atomics.load(stop, 0) === 0) {
  const id = "bench-" + workerData.label + "-" + n++;
  const t0 = performance.now();
  try { begin.run(); insert.run(id, id, id); commit.run(); waits.push(performance.now() - t0); }
  catch (e) { failed++; if (db.inTransaction) db.prepare("ROLLBACK").run(); }
  Atomics.wait(stop, 0, 0, 20);
}
db.close();
parentPort.postMessage({ waits, failed });
`;

type Checkouts = { waits: number[]; failed: number };

/** Runs `work` while a checkout thread writes to the same file. */
async function withCheckouts<T>(path: string, label: string, work: () => T): Promise<{ result: T; checkouts: Checkouts }> {
  const stop = new SharedArrayBuffer(4);
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WRITER, { eval: true, workerData: { path, stop, driver, label } });
  const done = new Promise<Checkouts>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  await new Promise((r) => setTimeout(r, 300)); // let it place a few orders first
  const result = work();
  await new Promise((r) => setTimeout(r, 300));
  Atomics.store(new Int32Array(stop), 0, 1);
  const checkouts = await done;
  await worker.terminate();
  return { result, checkouts };
}

const describeCheckouts = (c: Checkouts) =>
  `checkouts meanwhile: ${c.waits.length} placed, slowest ${ms(Math.max(0, ...c.waits))}` +
  (c.failed > 0 ? `, ${c.failed} FAILED (SQLITE_BUSY after the 5 s busy timeout)` : ", none failed");

function copy(from: string, name: string) {
  const to = join(dir, name);
  copyFileSync(from, to);
  return to;
}

function timedMigrate(db: AppDatabase, to: string) {
  const t0 = performance.now();
  const result = migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to });
  return { total: performance.now() - t0, statements: result.applied[0]?.ms ?? 0 };
}

function foreignKeyCheckMs(db: AppDatabase) {
  const t0 = performance.now();
  db.$client.pragma("foreign_key_check");
  return performance.now() - t0;
}

async function main() {
  const cpu = cpus();
  console.log(`Migration benchmark, ${new Date().toISOString().slice(0, 10)}`);
  console.log(`machine: ${process.platform} ${process.arch}, ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? "?"}), Node ${process.version}`);

  // --- the store before the tutorial --------------------------------------
  const base = join(dir, "base.db");
  let db = openDatabase(base);
  const sqliteVersion = db.$client.prepare("SELECT sqlite_version()").pluck().get();
  migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: "0001_add_product_search" });
  const t0 = performance.now();
  const data = fillStore(db.$client, {
    products: PRODUCTS,
    orders: ORDERS,
    onProgress: (n) => {
      if (n % 250_000 === 0) console.log(`  filling: ${n.toLocaleString("en")} products`);
    },
  });
  closeDatabase(db);
  console.log(`SQLite ${sqliteVersion}; store built in ${ms(performance.now() - t0)}: ${data.products.toLocaleString("en")} products, ` +
    `${data.orders.toLocaleString("en")} orders, ${data.orderItems.toLocaleString("en")} order items, ` +
    `${(statSync(base).size / 1e6).toFixed(0)} MB`);
  console.log("");

  // --- the snapshot taken before migrating ---------------------------------
  // db:backup, and the runner's snapshot before migrating, copy without the
  // write lock: orders go on, but a starting server waits this long.
  const snap = await withCheckouts(base, "snapshot", () => backupDatabase(base, join(dir, "snapshot.db")));
  console.log(`snapshot / db:backup (VACUUM INTO) of this database: ${ms(snap.result.ms)}, ` +
    `${(snap.result.bytes / 1e6).toFixed(0)} MB, no write lock held`);
  console.log(`  ${describeCheckouts(snap.checkouts)}`);
  rmSync(join(dir, "snapshot.db"));

  // --- phase 1 -------------------------------------------------------------
  const phase1 = copy(base, "phase1.db");
  db = openDatabase(phase1);
  const fk = foreignKeyCheckMs(db);
  const p1 = await withCheckouts(phase1, "p1", () => timedMigrate(db, "0002_add_sku_to_products"));
  console.log(`phase 1, 0002_add_sku_to_products: ALTER TABLE ${ms(p1.result.statements)}; whole run ${ms(p1.result.total)} ` +
    `(a whole-database foreign_key_check, which the runner does only for rebuilds, would add ${ms(fk)})`);
  console.log(`  ${describeCheckouts(p1.checkouts)}`);
  closeDatabase(db);
  const small = join(dir, "small.db");
  db = openDatabase(small);
  migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: "0001_add_product_search" });
  fillStore(db.$client, { products: 10_000, orders: 0 });
  console.log(`  for comparison, on 10,000 products: ALTER TABLE ${ms(timedMigrate(db, "0002_add_sku_to_products").statements)}`);
  closeDatabase(db);

  // --- backfill in one statement -------------------------------------------
  const single = copy(phase1, "single.db");
  db = openDatabase(single);
  const one = await withCheckouts(single, "single", () => timedMigrate(db, "0003_backfill_product_skus"));
  console.log(`backfill in one statement, 0003_backfill_product_skus: ${ms(one.result.total)}, write lock held throughout`);
  console.log(`  ${describeCheckouts(one.checkouts)}`);
  closeDatabase(db);

  // --- backfill in batches, then the migration as a safety net -------------
  const batched = copy(phase1, "batched.db");
  db = openDatabase(batched);
  const b = await withCheckouts(batched, "batched", () => backfillSkus(db.$client, { batchSize: BATCH, pauseMs: PAUSE }));
  console.log(`backfill in batches, npm run db:backfill-skus (--batch-size ${BATCH} --pause-ms ${PAUSE}): ` +
    `${ms(b.result.ms)} for ${b.result.updated.toLocaleString("en")} products in ${b.result.batches} batches`);
  console.log(`  lock held per batch: median ${ms(percentile(b.result.lockMs, 0.5))}, p99 ${ms(percentile(b.result.lockMs, 0.99))}, ` +
    `longest ${ms(Math.max(...b.result.lockMs))}`);
  console.log(`  ${describeCheckouts(b.checkouts)}`);
  const after = await withCheckouts(batched, "after", () => timedMigrate(db, "0003_backfill_product_skus"));
  console.log(`  then 0003_backfill_product_skus finds nothing left: ${ms(after.result.total)}`);
  closeDatabase(db);

  // --- phase 2: the rebuild -------------------------------------------------
  db = openDatabase(batched);
  const p2 = await withCheckouts(batched, "p2", () => timedMigrate(db, "0004_require_product_sku"));
  console.log(`phase 2, 0004_require_product_sku (table rebuild): ${ms(p2.result.total)}, write lock held throughout`);
  console.log(`  ${describeCheckouts(p2.checkouts)}`);
  const t1 = performance.now();
  const check = db.$client.pragma("integrity_check", { simple: true });
  console.log(`afterwards: PRAGMA integrity_check = ${String(check)} (${ms(performance.now() - t1)})`);
  closeDatabase(db);
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Fills in the SKU of every product that still has '' (phase 1 of the SKU
// migration), in small batches, while the store keeps serving:
//
//   npm run db:backfill-skus [-- --batch-size 2000 --pause-ms 10]   (node app/cli/cli.ts backfill-skus)
//
// The migration 0003_backfill_product_skus does the same in one UPDATE, which
// holds SQLite's write lock until every row is done: fine for thousands of
// rows, a stalled checkout for millions (see docs/tutorial for timings). Run
// this after phase 1 is deployed and before the deploy that carries 0003;
// the migration then finds nothing left and commits at once. Safe to stop and
// run again: rows that already have a SKU are never touched.
import type Database from "better-sqlite3";
import { SKU_FROM_ID_SQL } from "#app/db/sku.ts";
import { KnownError } from "#app/core/errors.ts";

export type BackfillBatch = { fromId: number; toId: number; updated: number; lockMs: number };

export type BackfillResult = {
  updated: number;
  batches: number;
  /** How long each batch held the write lock, in order. */
  lockMs: number[];
  ms: number;
};

export type BackfillOptions = {
  /** Ids per batch (a range of the primary key, so at most this many rows). */
  batchSize?: number;
  /** Pause between batches, so writers waiting on the lock get their turn. */
  pauseMs?: number;
  onBatch?: (batch: BackfillBatch) => void;
};

export class BackfillError extends KnownError {
  override name = "BackfillError";
}

export function backfillSkus(sqlite: Database.Database, options: BackfillOptions = {}): BackfillResult {
  const batchSize = options.batchSize ?? 2000;
  const pauseMs = options.pauseMs ?? 10;
  const columns = sqlite.pragma("table_info(products)") as { name: string }[];
  if (!columns.some((c) => c.name === "sku")) {
    throw new BackfillError("products has no sku column: deploy phase 1 (0002_add_sku_to_products) first");
  }
  const started = performance.now();
  const { lo, hi } = sqlite.prepare("SELECT coalesce(min(id), 1) AS lo, coalesce(max(id), 0) AS hi FROM products").get() as {
    lo: number;
    hi: number;
  };
  // Ranges of the primary key, not `WHERE sku = '' LIMIT n`: with no index on
  // sku, every LIMIT batch would rescan the rows already done, and the last
  // batches would hold the lock longest. Products added meanwhile (id > hi)
  // come from phase-1 code, which always sets a SKU.
  const update = sqlite.prepare(
    `UPDATE products SET sku = ${SKU_FROM_ID_SQL} WHERE id >= ? AND id < ? AND sku = ''`,
  );
  const begin = sqlite.prepare("BEGIN IMMEDIATE");
  const commit = sqlite.prepare("COMMIT");
  const result: BackfillResult = { updated: 0, batches: 0, lockMs: [], ms: 0 };
  for (let from = lo; from <= hi; from += batchSize) {
    const t0 = performance.now();
    // Each batch is its own short write transaction: the store's checkouts
    // wait for at most one batch, never for the whole table.
    begin.run();
    let updated: number;
    try {
      updated = update.run(from, from + batchSize).changes;
      commit.run();
    } catch (error) {
      if (sqlite.inTransaction) sqlite.prepare("ROLLBACK").run();
      throw error;
    }
    const lockMs = performance.now() - t0;
    result.updated += updated;
    result.batches += 1;
    result.lockMs.push(lockMs);
    options.onBatch?.({ fromId: from, toId: Math.min(from + batchSize - 1, hi), updated, lockMs });
    if (pauseMs > 0) sleep(pauseMs);
  }
  result.ms = performance.now() - started;
  return result;
}

function sleep(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

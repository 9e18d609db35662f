// WAL checkpoints off the event loop (docs/decisions/042-checkpoints-off-the-event-loop.md).
//
// SQLite's automatic checkpoint runs inside the commit that takes the WAL
// past 1,000 pages, on the thread that commits: in the store, the event loop.
// That commit copies the pages back into the database file and fsyncs it
// while every other request on the process waits (measured by
// `npm run bench:writer`: an order that ran it took 8 ms at the median and up
// to 94 ms, against 0.3 ms for one that did not; one order in about 37 ran it).
// So the server's connections leave that work to a thread of their own: every
// CHECKPOINT_INTERVAL_MS it runs a PASSIVE checkpoint on its own connection,
// which never waits for a lock (nor for Litestream's reader: decision 031),
// and the serving connections keep the automatic checkpoint only as a safety
// net, at SAFETY_NET_PAGES, for when the thread is not running or falls behind.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { AppDatabase } from "#app/db/connection.server.ts";

/** The serving connections' automatic checkpoint: 10,000 pages (about 40 MB of WAL), far past what the thread lets through. */
export const SAFETY_NET_PAGES = 10_000;
export const CHECKPOINT_INTERVAL_MS = 250;

/** A connection that serves requests: its commits checkpoint only past the safety net. */
export function leaveCheckpointsToTheThread(db: AppDatabase) {
  db.$client.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
}

export type Checkpointer = { stop: () => Promise<void> };

// The thread's code, plain CommonJS: it loads the same better-sqlite3 the
// server uses (its path handed in), and the built server has no file of its own for it.
const THREAD = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
let failed = false;
const timer = setInterval(() => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
    failed = false;
  } catch (error) {
    // Said once per run of failures, not every interval.
    if (!failed) parentPort.postMessage({ failed: error && error.code ? String(error.code) : "error" });
    failed = true;
  }
}, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Starts the checkpoint thread for the database at `path`. One per host is
 * enough (the process that runs the background loops); if it cannot start or
 * its connection fails, it says so once and the safety net checkpoints.
 */
export function startCheckpointer(path: string, log: (line: string) => void, intervalMs = CHECKPOINT_INTERVAL_MS): Checkpointer {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const thread = new Worker(THREAD, { eval: true, workerData: { driver, path, intervalMs } });
  // The thread must never keep a stopping process alive.
  thread.unref();
  thread.on("message", (message: { failed?: string }) => {
    if (message.failed) log(`checkpoints: the background checkpoint failed (${message.failed}); commits checkpoint past ${SAFETY_NET_PAGES} pages meanwhile`);
  });
  const exited = new Promise<void>((resolve) => thread.once("exit", () => resolve()));
  thread.on("error", (error) => log(`checkpoints: the checkpoint thread stopped (${error.name}); commits checkpoint past ${SAFETY_NET_PAGES} pages`));
  return {
    /** Ends the thread after the checkpoint under way, if any: call before closing the database. */
    async stop() {
      // Held open until it has closed its connection.
      thread.ref();
      thread.postMessage("stop");
      await exited;
    },
  };
}

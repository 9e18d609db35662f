// A worker's side of several server processes on one port (the primary's:
// app/ops/cluster.server.ts; why: docs/decisions/039-workers-on-one-host.md).
// What one process kept in memory is shared on purpose: the rate limits count
// in the primary, catalog changes are relayed to every worker's micro-cache,
// and the background loops run in slot 1 only (its replacement takes them over).
import cluster from "node:cluster";
import { ClusterMemoryStoreWorker } from "@express-rate-limit/cluster-memory-store";
import { catalogChanged, onCatalogChange, type CatalogChange } from "#app/store/catalog-changes.server.ts";
import type { RateLimitStores } from "#app/web/rate-limits.server.ts";

/** Set by the primary in each worker's environment: its slot, 1 to WEB_CONCURRENCY. */
export const WORKER_SLOT_ENV = "STORE_WORKER_SLOT";
/** Set by the primary when the schema was current as it started the worker. */
export const WORKER_SCHEMA_READY_ENV = "STORE_SCHEMA_READY";

export const BACKGROUND_SLOT = 1;

/** From the primary to a worker. */
export type ToWorker =
  | { store: "host-ready" }
  | { store: "schema-ready" }
  | { store: "catalog-changed"; change: CatalogChange }
  | { store: "shutdown"; signal: string; count: number }
  /** With a connection's handle: the primary listens, the workers serve. */
  | { store: "connection" }
  /** The primary has closed the port and handed over every connection it accepted. */
  | { store: "last-connection" };

/** From a worker to the primary. */
export type ToPrimary =
  | { store: "listening" }
  /** Stopping: send no more connections, then say "last-connection". */
  | { store: "stopping" }
  | { store: "catalog-changed"; change: CatalogChange };

export function isToWorker(message: unknown): message is ToWorker {
  return typeof message === "object" && message !== null && typeof (message as { store?: unknown }).store === "string";
}
export const isToPrimary = isToWorker as (message: unknown) => message is ToPrimary;

export type Worker = {
  slot: number;
  background: boolean;
  /** Whether the schema was current when the primary started this worker. */
  schemaReady: boolean;
};

/** This process's place among the workers, or null when it is the only server process. */
export function thisWorker(): Worker | null {
  if (!cluster.isWorker) return null;
  const slot = Number(process.env[WORKER_SLOT_ENV]);
  return { slot, background: slot === BACKGROUND_SLOT, schemaReady: process.env[WORKER_SCHEMA_READY_ENV] === "1" };
}

export function tellPrimary(message: ToPrimary) {
  // The channel is gone when the primary is: the worker is about to exit anyway.
  if (process.connected) process.send!(message);
}

/** Each limit counts in the primary's memory, under its own name. */
export const primaryRateLimitStores: RateLimitStores = (name) => new ClusterMemoryStoreWorker({ prefix: name });

/**
 * Sends this worker's catalog changes to the primary, and publishes the
 * other workers' changes here, where the micro-cache hears them as if this
 * worker had made them.
 */
export function shareCatalogChanges() {
  let relaying = false;
  onCatalogChange((change) => {
    if (!relaying) tellPrimary({ store: "catalog-changed", change });
  });
  process.on("message", (message: unknown) => {
    if (!isToWorker(message) || message.store !== "catalog-changed") return;
    relaying = true;
    try {
      catalogChanged(message.change);
    } finally {
      relaying = false;
    }
  });
}

// The primary of several server processes on one port
// (docs/decisions/039-workers-on-one-host.md says how and why). server.ts
// has run the startup once before it starts them; the primary serves
// nothing itself. It owns the listener and hands each connection to the
// next worker in turn, because Node's own port sharing resets the
// connections it holds when the last worker stops listening. It replaces
// workers that die (backing off when one dies before it listens), keeps the
// rate-limit counts, relays catalog changes, and on SIGTERM/SIGINT stops
// the workers as a single process stops, exiting 1 if one's drain failed.
import { createServer, type Socket } from "node:net";
import cluster, { type Worker } from "node:cluster";
import { ClusterMemoryStorePrimary } from "@express-rate-limit/cluster-memory-store";
import type { Env } from "#app/core/env.server.ts";
import { closeListenerWhenQuiet } from "#app/web/drain.server.ts";
import { isToPrimary, WORKER_SCHEMA_READY_ENV, WORKER_SLOT_ENV, type ToWorker } from "#app/web/cluster.server.ts";

/** How long past the workers' own drain deadline the primary waits before it kills one. */
export const KILL_GRACE_MS = 2_000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;

type Slot = {
  n: number;
  worker?: Worker;
  listening: boolean;
  /** Deaths before listening, in a row. */
  failures: number;
  restart?: NodeJS.Timeout;
};

export type Workers = {
  /** The release step has applied the pending migrations: every worker may serve. */
  schemaReady(): void;
  /** Forwards a stop (count 1: drain; 2 or more: exit now) and resolves with the exit code once every worker has exited. */
  stop(signal: string, count: number): Promise<number>;
};

export function startWorkers(
  config: Env,
  { schemaReady, log, fail }: { schemaReady: boolean; log: (line: string) => void; fail: (line: string) => void },
): Workers {
  const slots: Slot[] = Array.from({ length: config.WEB_CONCURRENCY }, (_, i) => ({ n: i + 1, listening: false, failures: 0 }));
  let hostUp = false;
  /** Set by the host's stop: the signal, and how many times it came. */
  let stoppedBy: { signal: string; count: number } | undefined;
  let drainFailed = false;
  let allExited!: () => void;
  const done = new Promise<void>((resolve) => (allExited = resolve));

  new ClusterMemoryStorePrimary().init();

  const send = (worker: Worker | undefined, message: ToWorker) => {
    if (worker?.isConnected()) worker.send(message);
  };
  const live = () => slots.filter((slot) => slot.worker);
  const describe = (slot: Slot, worker: Worker) => `worker ${slot.n} (pid ${worker.process.pid})`;

  // The port. pauseOnConnect: the primary reads nothing; the worker it hands
  // a connection to reads the request.
  const listener = createServer({ pauseOnConnect: true });
  let accepted = 0;
  let turn = 0;
  /** Connections accepted while no worker was ready (one died, its replacement starts). */
  const waiting: Socket[] = [];
  /** Hand-overs not yet confirmed by the worker's end of the channel. */
  const handing = new Set<Promise<void>>();

  function handOver(socket: Socket) {
    const ready = slots.filter((slot) => slot.listening && slot.worker?.isConnected());
    if (ready.length === 0) return void waiting.push(socket);
    const worker = ready[turn++ % ready.length]!.worker!;
    const sent = new Promise<void>((resolve) => {
      worker.send({ store: "connection" } satisfies ToWorker, socket, (error) => {
        handing.delete(sent);
        // The worker went away before it got it: the next one takes it.
        if (error && !socket.destroyed) handOver(socket);
        resolve();
      });
    });
    handing.add(sent);
  }
  listener.on("connection", (socket: Socket) => {
    accepted++;
    handOver(socket);
  });
  listener.on("error", (error) => fail(`cannot listen on ${config.HOST}:${config.PORT}: ${error.message}`));

  function fork(slot: Slot) {
    slot.restart = undefined;
    slot.listening = false;
    const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot.n), [WORKER_SCHEMA_READY_ENV]: schemaReady ? "1" : "0" });
    slot.worker = worker;
    worker.on("message", (message: unknown) => {
      if (!isToPrimary(message)) return;
      if (message.store === "catalog-changed") {
        for (const other of slots) if (other.worker !== worker) send(other.worker, message);
      } else if (message.store === "stopping") {
        // Stopped alone (a signal to its pid): the others take the connections.
        // In the host's own stop, the port closes first (stop below).
        if (stoppedBy) return;
        slot.listening = false;
        void Promise.all(handing).then(() => send(worker, { store: "last-connection" }));
      } else if (message.store === "listening") {
        if (stoppedBy) {
          // Started while the host stops (a signal during startup, or a
          // replacement under way): it may have missed the stop, and it is
          // handed no connections, so it can drain at once. Nor does a host
          // still starting open the port.
          send(worker, { store: "shutdown", ...stoppedBy });
          send(worker, { store: "last-connection" });
          return;
        }
        slot.listening = true;
        slot.failures = 0;
        if (hostUp) {
          send(worker, { store: "host-ready" });
          log(`${describe(slot, worker)} listening`);
          for (const socket of waiting.splice(0)) handOver(socket);
        } else if (slots.every((s) => s.listening)) {
          hostUp = true;
          log(`workers: ${slots.length} (WEB_CONCURRENCY=${config.WEB_CONCURRENCY}), pids ${slots.map((s) => s.worker!.process.pid).join(", ")}`);
          listener.listen(config.PORT, config.HOST, () => {
            for (const s of slots) send(s.worker, { store: "host-ready" });
            const address = listener.address();
            const bound =
              typeof address === "object" && address
                ? `${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`
                : `${config.HOST}:${config.PORT}`;
            log(`listening on ${bound} (production)`);
          });
        }
      }
    });
    worker.on("exit", (code, signal) => exited(slot, worker, code, signal));
  }

  function exited(slot: Slot, worker: Worker, code: number | null, signal: string | null) {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    if (stoppedBy) {
      if (code !== 0) drainFailed = true;
      if (live().length === 0) allExited();
      return;
    }
    if (!hostUp) {
      // At startup a worker fails for a reason every worker shares (the
      // build is missing, the port is taken): stop, as a single process would.
      fail(`${describe(slot, worker)} ${how} while starting: stopping`);
      return;
    }
    if (slot.listening) {
      log(`${describe(slot, worker)} ${how}; starting a new one`);
      fork(slot);
      return;
    }
    slot.failures++;
    const wait = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (slot.failures - 1));
    log(`${describe(slot, worker)} ${how} before listening (${slot.failures} in a row); starting a new one in ${wait} ms`);
    slot.restart = setTimeout(() => fork(slot), wait);
  }

  for (const slot of slots) fork(slot);

  return {
    schemaReady() {
      schemaReady = true;
      for (const slot of slots) send(slot.worker, { store: "schema-ready" });
    },
    stop(signal, count) {
      for (const slot of slots) clearTimeout(slot.restart);
      const first = !stoppedBy;
      stoppedBy = { signal, count };
      for (const slot of slots) send(slot.worker, { store: "shutdown", signal, count });
      if (first) {
        // The workers wait SHUTDOWN_DELAY_MS, still taking connections; then
        // the port closes once its queue is empty, what it accepted is handed
        // over, and they hear that nothing more comes.
        setTimeout(async () => {
          if (listener.listening) await closeListenerWhenQuiet(listener, () => accepted);
          else listener.close();
          await Promise.all(handing);
          for (const socket of waiting.splice(0)) socket.destroy();
          for (const slot of slots) send(slot.worker, { store: "last-connection" });
        }, config.SHUTDOWN_DELAY_MS);
        // A worker whose own deadline cannot fire (its event loop is stuck)
        // is killed, and the exit code says the drain failed.
        setTimeout(() => {
          for (const slot of live()) {
            log(`${describe(slot, slot.worker!)} still running ${KILL_GRACE_MS} ms past the drain deadline: killing it`);
            drainFailed = true;
            slot.worker!.process.kill("SIGKILL");
          }
        }, config.SHUTDOWN_DELAY_MS + config.SHUTDOWN_TIMEOUT_MS + KILL_GRACE_MS).unref();
      }
      if (live().length === 0) allExited();
      return done.then(() => (drainFailed || count > 1 ? 1 : 0));
    },
  };
}

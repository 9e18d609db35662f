// A bench-only probe, loaded into every server process of a benchmark run
// with `node --import ./tests/bench/loop-probe.ts` (BENCH_PROBE=1 in
// tests/bench/http.ts; node:cluster passes the flag on to the workers). It
// never runs in production: nothing in app/ imports it.
//
// It records, in wall-clock milliseconds (comparable across processes):
//  - the event loop's delay histogram (perf_hooks.monitorEventLoopDelay),
//  - every stall: a 2 ms timer that fired 15 ms or more late, with how much
//    of it the event loop's thread ran and how much it waited for a CPU
//    (/proc/self/task/<pid>/schedstat: a stall it spent waiting for a CPU is
//    the machine's, one it spent running is our code's),
//  - every garbage collection (PerformanceObserver "gc"),
//  - every request: when the server saw it begin and finish, and whether the
//    micro-cache replayed it (X-Micro-Cache), from node:http's own
//    diagnostics channels,
//  - WAL checkpoints: the -shm file's wal-index says how many frames the
//    last checkpoint copied back (nBackfill); it is read on every tick, so a
//    change inside a stalled tick means that stall held a checkpoint.
// and writes them as JSON to BENCH_PROBE_DIR/<pid>.json when the process exits.
import { subscribe } from "node:diagnostics_channel";
import { closeSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from "node:perf_hooks";

const dir = process.env.BENCH_PROBE_DIR!;
const shm = process.env.DATABASE_PATH ? `${process.env.DATABASE_PATH}-shm` : undefined;
const wall = () => performance.timeOrigin + performance.now();

type Request = { start: number; end: number; method: string; url: string; status: number; cache: string };
const requests: Request[] = [];
const stalls: { at: number; ms: number; checkpoint: boolean; ranMs: number; waitedMs: number }[] = [];
const gcs: { at: number; ms: number; kind: number }[] = [];
const checkpoints: { at: number; frames: number }[] = [];

const histogram = monitorEventLoopDelay({ resolution: 5 });
histogram.enable();

new PerformanceObserver((list) => {
  for (const entry of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
    gcs.push({ at: performance.timeOrigin + entry.startTime, ms: entry.duration, kind: entry.detail?.kind ?? 0 });
  }
}).observe({ entryTypes: ["gc"] });

const started = new WeakMap<IncomingMessage, number>();
subscribe("http.server.request.start", (message) => {
  started.set((message as { request: IncomingMessage }).request, wall());
});
subscribe("http.server.response.finish", (message) => {
  const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
  requests.push({
    start: started.get(request) ?? Number.NaN,
    end: wall(),
    method: request.method ?? "",
    url: request.url ?? "",
    status: response.statusCode,
    cache: String(response.getHeader("x-micro-cache") ?? ""),
  });
});

// The wal-index header (https://sqlite.org/walformat.html): the checkpoint
// info follows two 48-byte copies of the header; nBackfill is its first u32.
const header = Buffer.alloc(100);
let shmFd: number | undefined;
function backfill(): number | undefined {
  if (!shm) return undefined;
  try {
    shmFd ??= openSync(shm, "r");
    return readSync(shmFd, header, 0, 100, 0) === 100 ? header.readUInt32LE(96) : undefined;
  } catch {
    return undefined;
  }
}

/** The event loop's thread: on a CPU and waiting for one, ms since it started (Linux). */
const schedstat = `/proc/self/task/${process.pid}/schedstat`;
function sched(): [number, number] {
  try {
    const [ran, waited] = readFileSync(schedstat, "utf8").split(" ").map(Number);
    return [ran! / 1e6, waited! / 1e6];
  } catch {
    return [Number.NaN, Number.NaN];
  }
}

const TICK_MS = 2;
const STALL_MS = 15;
let last = wall();
let lastBackfill = backfill();
let lastSched = sched();
setInterval(() => {
  const now = wall();
  const nowSched = sched();
  const filled = backfill();
  // It grows when a checkpoint copies frames back; it drops to 0 when the next writer starts the log over.
  const checkpoint = filled !== undefined && lastBackfill !== undefined && filled > lastBackfill;
  if (checkpoint) checkpoints.push({ at: now, frames: filled });
  lastBackfill = filled;
  if (now - last >= TICK_MS + STALL_MS) {
    stalls.push({ at: last, ms: now - last, checkpoint, ranMs: nowSched[0] - lastSched[0], waitedMs: nowSched[1] - lastSched[1] });
  }
  last = now;
  lastSched = nowSched;
}, TICK_MS).unref();

process.on("exit", () => {
  if (shmFd !== undefined) closeSync(shmFd);
  mkdirSync(dir, { recursive: true });
  const ms = (ns: number) => ns / 1e6;
  writeFileSync(
    join(dir, `${process.pid}.json`),
    JSON.stringify({
      pid: process.pid,
      worker: process.env.NODE_UNIQUE_ID !== undefined,
      loopDelay: { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), count: histogram.count },
      stalls,
      gcs,
      checkpoints,
      requests,
    }),
  );
});

// The single writer's ceiling: `npm run bench:writer` (part of `npm run
// bench`). However many workers serve pages, every order is one write
// transaction on one SQLite file, one at a time (docs/benchmarks.md#workers).
// This places orders in a loop on one connection, with no HTTP, no rendering
// and no other process: what the file takes when writing is all there is, the
// figure a host's order rate cannot pass. Beside it, in the same run, the
// smallest write transaction (one row), as the floor.
//
// Environment: BENCH_DURATION (seconds per figure, default 3).
import { closeSync, mkdtempSync, openSync, readFileSync, readSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "#app/core/env.server.ts";
import { leaveCheckpointsToTheThread, startCheckpointer } from "#app/db/checkpointer.server.ts";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { migrate, MIGRATIONS_FOLDER } from "#app/db/migrator.server.ts";
import { seedDemoProducts } from "#app/db/seed.server.ts";
import { orderLimits } from "#app/shop/cart.server.ts";
import { newToken, placeOrder } from "#app/shop/orders.server.ts";

const DURATION_MS = Number(process.env.BENCH_DURATION ?? 3) * 1000;
const path = join(mkdtempSync(join(tmpdir(), "store-writer-")), "bench.db");
const db = openDatabase(path);
migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER });
seedDemoProducts(db);
// Enough stock for every order below (the ledger is not this figure's business).
db.$client.prepare("UPDATE products SET stock = 100000000").run();
const ids = (db.$client.prepare("SELECT id FROM products ORDER BY id").all() as { id: number }[]).map((p) => p.id);
const limits = orderLimits(parseEnv({ NODE_ENV: "production" }));
const details = {
  email: "writer@example.com",
  customerName: "Writer Bench",
  addressLine1: "1 Serial Street",
  addressLine2: "",
  city: "Lockstep",
  postalCode: "00001",
  country: "United States",
};

function timed(name: string, once: (i: number) => void) {
  for (let i = 0; i < 200; i++) once(i); // warm up
  let n = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  while (performance.now() - started < DURATION_MS) once(n++);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const perSecond = n / seconds;
  console.log(
    `${name.padEnd(52)} ${perSecond.toFixed(0).padStart(6)} /s  ${(1000 / perSecond).toFixed(3)} ms each  ` +
      `CPU ${((used.user + used.system) / 1000 / n).toFixed(3)} ms each`,
  );
  return perSecond;
}

db.$client.exec("CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, value TEXT NOT NULL)");
const insert = db.$client.prepare("INSERT INTO bench_floor (value) VALUES (?)");
const floor = timed("one-row write transaction (floor)", (i) => insert.run(`row ${i}`));
const orders = timed("placeOrder, 2 lines (quantities 2 and 3)", (i) => {
  const result = placeOrder(
    db,
    {
      checkoutToken: newToken(),
      details,
      cart: [
        { productId: ids[i % ids.length]!, quantity: 2 },
        { productId: ids[(i + 7) % ids.length]!, quantity: 3 },
      ],
    },
    limits,
  );
  if (result.status !== "placed") throw new Error(`order ${i}: ${result.status}`);
});
// One order at a time, timed, and whether a checkpoint ran inside it:
// first as SQLite does by itself (the automatic checkpoint every 1,000 WAL
// pages, run by the commit that passes them, on the committing thread: in a
// server, the event loop), then as the server does (app/db/checkpointer.server.ts:
// a thread checkpoints, the commits only past the safety net). The -shm
// file's wal-index says how many frames the last checkpoint copied back
// (nBackfill, https://sqlite.org/walformat.html).
const shm = openSync(`${path}-shm`, "r");
const header = Buffer.alloc(100);
const backfill = () => (readSync(shm, header, 0, 100, 0), header.readUInt32LE(96));
const at = (list: number[], q: number) => [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor(q * list.length))] ?? Number.NaN;
let next = 0;
/** This thread's time on a CPU and waiting for one, ms (Linux schedstat): the rest of a slow order's wall time it was blocked (I/O, a lock). */
const schedstat = `/proc/self/task/${process.pid}/schedstat`;
const sched = (): [number, number] => {
  try {
    const [ran, waited] = readFileSync(schedstat, "utf8").split(" ").map(Number);
    return [ran! / 1e6, waited! / 1e6];
  } catch {
    return [Number.NaN, Number.NaN];
  }
};
async function oneAtATime(name: string) {
  const plain: number[] = [];
  const checkpointing: number[] = [];
  // Orders over 5 ms: where their time went.
  const slow = { n: 0, wall: 0, ran: 0, waited: 0 };
  for (let started = performance.now(); performance.now() - started < DURATION_MS; ) {
    const i = next++;
    const before = backfill();
    const s0 = sched();
    const t = performance.now();
    const result = placeOrder(
      db,
      { checkoutToken: newToken(), details, cart: [{ productId: ids[i % ids.length]!, quantity: 2 }, { productId: ids[(i + 7) % ids.length]!, quantity: 3 }] },
      limits,
    );
    const ms = performance.now() - t;
    if (ms > 5) {
      const s1 = sched();
      slow.n++;
      slow.wall += ms;
      slow.ran += s1[0] - s0[0];
      slow.waited += s1[1] - s0[1];
    }
    if (result.status !== "placed") throw new Error(`order ${i}: ${result.status}`);
    // nBackfill grows when a checkpoint copies frames back (here, or in the
    // thread meanwhile), and drops to 0 when the next writer starts the log over (cheap).
    (backfill() > before ? checkpointing : plain).push(ms);
    // A server's event loop has other work between orders: give the thread its turn.
    if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const all = [...plain, ...checkpointing];
  console.log(
    `${name.padEnd(52)} p50 ${at(all, 0.5).toFixed(2)} p99 ${at(all, 0.99).toFixed(2)} p99.9 ${at(all, 0.999).toFixed(2)} max ${at(all, 1).toFixed(2)} ms; ` +
      `${checkpointing.length} of ${all.length} saw a checkpoint (p50 ${at(checkpointing, 0.5).toFixed(2)}, max ${at(checkpointing, 1).toFixed(2)} ms); ` +
      `${slow.n} over 5 ms: ${slow.wall.toFixed(0)} ms in all, on a CPU ${slow.ran.toFixed(0)}, waiting for one ${slow.waited.toFixed(0)}, blocked (I/O, locks) ${(slow.wall - slow.ran - slow.waited).toFixed(0)}`,
  );
}
console.log("\nplaceOrder one at a time, wall time each:");
await oneAtATime("automatic checkpoint, in the commit (SQLite's default)");
leaveCheckpointsToTheThread(db);
const checkpointer = startCheckpointer(path, (line) => console.log(line));
await oneAtATime("checkpoints on a thread (the server's)");
await checkpointer.stop();
db.$client.pragma("wal_autocheckpoint = 1000");
await oneAtATime("automatic checkpoint, in the commit, again");
closeSync(shm);
console.log(`\nThe writer's ceiling: about ${orders.toFixed(0)} orders/s on this machine (${((100 * orders) / floor).toFixed(1)}% of one-row writes), on ${path}`);
closeDatabase(db);

// What migration 0015 (index_payment_lookups) buys on a large store
// (docs/benchmarks.md): `npm run bench:payments`, never part of `npm test`.
// On a scratch database of 100,000 orders (60% paid with Stripe, each with a
// PaymentIntent) and 3 webhook rows per Stripe order spread over a year, it
// times, without the two indexes (the baseline) and then with them, in the
// same process: the order lookup of a `charge.refunded` webhook (by
// PaymentIntent), and the sweep's prune of payment_events when there is
// nothing to prune (every turn but the first); then the migration's two
// CREATE INDEX statements, and the first prune of a year's backlog.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { migrate, MIGRATIONS_FOLDER } from "#app/db/migrator.server.ts";
import { prunePaymentEvents } from "#app/store/payment-events.server.ts";

const ORDERS = Number(process.env.BENCH_PAYMENTS_ORDERS ?? 100_000);
const RUNS = Number(process.env.BENCH_PAYMENTS_RUNS ?? 500);
const KEEP_DAYS = 30;

const dir = mkdtempSync(join(tmpdir(), "store-bench-payments-"));
const db = openDatabase(join(dir, "store.db"));
migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER });
const sqlite = db.$client;
const migration = readFileSync(
  join(MIGRATIONS_FOLDER, readdirSync(MIGRATIONS_FOLDER).find((f) => f.startsWith("0015_"))!),
  "utf8",
)
  .split("--> statement-breakpoint")
  .map((s) => s.trim())
  .filter(Boolean);
// The baseline: the store as it was before 0015.
sqlite.exec("DROP INDEX orders_payment_intent_idx; DROP INDEX payment_events_created_at_idx");

let seed = 11;
const rand = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const NOW = Math.floor(Date.now() / 1000);
const t0 = performance.now();
const intents: string[] = [];
sqlite.transaction(() => {
  const order = sqlite.prepare(
    `INSERT INTO orders (public_id, number, checkout_token, email, customer_name, address_line1, city, postal_code, country,
       status, total_cents, created_at, updated_at, payment_provider, payment_reference, payment_intent, paid_at)
     VALUES (?, ?, ?, ?, 'Customer', '1 Street', 'Town', '12345', 'Iceland', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  );
  const event = sqlite.prepare("INSERT INTO payment_events (id, type, order_id, outcome, created_at) VALUES (?, ?, ?, ?, ?)");
  // Rows arrive in time order, as in a real store: old rows sit together.
  const times: number[] = [];
  for (let i = 0; i < ORDERS; i++) times.push(NOW - Math.floor(rand() * 365 * 86_400));
  times.sort((a, b) => a - b);
  for (let i = 0; i < ORDERS; i++) {
    const at = times[i]!;
    const stripe = rand() < 0.6;
    const intent = stripe ? `pi_bench_${i}` : null;
    const { id } = order.get(
      `pub-${i}`, `B-${i}`, `tok-${i}`, `c${i}@example.com`, stripe ? "paid" : "shipped", 1_000 + i, at, at,
      stripe ? "stripe" : "manual", stripe ? `cs_bench_${i}` : null, intent, at,
    ) as { id: number };
    if (!intent) continue;
    intents.push(intent);
    event.run(`evt_${i}_a`, "session.completed", id, "paid", at);
    event.run(`evt_${i}_b`, "session.completed", id, "ignored: already paid", at + 5);
    event.run(`evt_${i}_c`, "other", null, "ignored: payment_intent.succeeded", at + 1);
  }
})();
sqlite.exec("ANALYZE");
const counts = sqlite.prepare("SELECT (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM payment_events) AS events").get() as {
  orders: number;
  events: number;
};
console.log(
  `store: ${counts.orders.toLocaleString("en")} orders, ${counts.events.toLocaleString("en")} webhook rows over 365 days (filled in ${((performance.now() - t0) / 1000).toFixed(1)} s); ${RUNS} runs each, median and p95\n`,
);

// The refund webhook's lookup, as app/store/payment-events.server.ts asks it.
const byIntent = sqlite.prepare("SELECT id, status, currency FROM orders WHERE payment_intent = ?");
const queries: Record<string, () => unknown> = {
  "refund webhook: the order by PaymentIntent": () => byIntent.get(intents[Math.floor(rand() * intents.length)]),
  // Every sweep after the first finds nothing older than the window: a year ago, nothing is left.
  "sweep: prune with nothing to prune": () => prunePaymentEvents(db, 400),
};
const ms = (x: number) => (x < 1 ? `${(x * 1000).toFixed(0)} µs` : `${x.toFixed(2)} ms`);
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;

function measure() {
  const times = new Map<string, number[]>(Object.keys(queries).map((k) => [k, []]));
  for (const run of Object.values(queries)) run();
  for (let r = 0; r < RUNS; r++) {
    for (const [name, run] of Object.entries(queries)) {
      const start = performance.now();
      run();
      times.get(name)!.push(performance.now() - start);
    }
  }
  return times;
}

const before = measure();
const built: string[] = [];
for (const statement of migration) {
  const start = performance.now();
  sqlite.exec(statement);
  built.push(`${statement.replace(/\s+/g, " ")}: ${ms(performance.now() - start)}`);
}
sqlite.exec("ANALYZE");
const after = measure();

console.log("| query | without the indexes (before 0015) | with them | p95 before | p95 after |\n| --- | ---: | ---: | ---: | ---: |");
for (const name of Object.keys(queries)) {
  const [b, a] = [before.get(name)!, after.get(name)!];
  console.log(`| ${name} | ${ms(quantile(b, 0.5))} | ${ms(quantile(a, 0.5))} | ${ms(quantile(b, 0.95))} | ${ms(quantile(a, 0.95))} |`);
}
console.log(`\nmigration 0015, each statement holding the write lock:\n${built.map((b) => `  ${b}`).join("\n")}`);
// The first prune of a year's backlog, batch by batch as `payments prune`
// does (the sweep takes one batch a turn): each batch holds the write lock.
const batches: number[] = [];
let pruned = 0;
for (let n = -1; n !== 0; ) {
  const start = performance.now();
  n = prunePaymentEvents(db, KEEP_DAYS);
  batches.push(performance.now() - start);
  pruned += n;
}
console.log(
  `\nfirst prune (keep ${KEEP_DAYS} days): ${pruned.toLocaleString("en")} rows deleted in ${batches.length} batches of up to 2,000, ${ms(batches.reduce((s, x) => s + x, 0))} in all; the longest batch held the write lock ${ms(Math.max(...batches))}, the median ${ms(quantile(batches, 0.5))}`,
);

closeDatabase(db);
rmSync(dir, { recursive: true, force: true });

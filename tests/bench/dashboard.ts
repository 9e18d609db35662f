// What the staff dashboard's queries cost on a large store (docs/benchmarks.md):
// `npm run bench:dashboard`, never part of `npm test`. On a scratch database
// of 100,000 orders (1 to 4 lines each, quantities 1 to 3) spread over the
// last 365 days in every status, and 2,000 products, each query of
// app/staff/dashboard.server.ts runs many times, interleaved with the
// baseline `SELECT count(*) FROM orders` in the same process: A as the
// migrations index the tables, B with covering indexes added (would a
// migration pay?), C with the (status, created_at) index dropped. Each
// query's plan is printed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { migrate, MIGRATIONS_FOLDER } from "#app/db/migrator.server.ts";
import { storeDays } from "#app/core/store-days.ts";
import { CHART_DAYS, dailySales, lastDays, lowStock, recentOrders, topProducts } from "#app/staff/dashboard.server.ts";

const ORDERS = Number(process.env.BENCH_DASHBOARD_ORDERS ?? 100_000);
const PRODUCTS = 2_000;
const RUNS = Number(process.env.BENCH_DASHBOARD_RUNS ?? 50);
const ZONE = process.env.BENCH_DASHBOARD_ZONE ?? "America/New_York";

const dir = mkdtempSync(join(tmpdir(), "store-bench-dashboard-"));
const db = openDatabase(join(dir, "store.db"));
migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER });
const sqlite = db.$client;

// --- the store -------------------------------------------------------------------
let seed = 7;
const rand = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const NOW = Math.floor(Date.now() / 1000);
const t0 = performance.now();
sqlite.transaction(() => {
  const product = sqlite.prepare(
    "INSERT INTO products (slug, name, description, price_cents, stock, image, sku) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  for (let p = 1; p <= PRODUCTS; p++) {
    product.run(`p-${p}`, `Product ${p}`, "A product.", 100 + Math.floor(rand() * 20_000), Math.floor(rand() * 60), `/images/p-${p}.svg`, `SKU-${p}`);
  }
  const order = sqlite.prepare(
    `INSERT INTO orders (public_id, number, checkout_token, email, customer_name, address_line1, city, postal_code, country,
       status, total_cents, created_at, updated_at, hold_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  );
  const item = sqlite.prepare("INSERT INTO order_items (order_id, product_id, product_name, unit_price_cents, quantity) VALUES (?, ?, ?, ?, ?)");
  const total = sqlite.prepare("UPDATE orders SET total_cents = ? WHERE id = ?");
  // Most orders are shipped; a store's mix of the rest.
  const statuses = ["shipped", "shipped", "shipped", "shipped", "paid", "cancelled", "refunded", "placed"];
  const at: number[] = [];
  for (let i = 0; i < ORDERS; i++) at.push(NOW - Math.floor(rand() * 365 * 86_400));
  at.sort((a, b) => a - b); // ids rise with time, as in a real store
  for (let i = 0; i < ORDERS; i++) {
    const status = i > ORDERS - 20 ? "awaiting_payment" : statuses[Math.floor(rand() * statuses.length)]!;
    const { id } = order.get(
      `pub-${i}`, `B-${i}`, `tok-${i}`, `c${i}@example.com`, `Customer ${i}`, "1 Street", "Town", "12345", "Iceland",
      status, 0, at[i], at[i], status === "awaiting_payment" ? NOW + 1_800 : null,
    ) as { id: number };
    let sum = 0;
    for (let l = 1 + Math.floor(rand() * 4); l > 0; l--) {
      const productId = 1 + Math.floor(rand() * PRODUCTS);
      const price = 100 + Math.floor(rand() * 20_000);
      const quantity = 1 + Math.floor(rand() * 3);
      item.run(id, productId, `Product ${productId}`, price, quantity);
      sum += price * quantity;
    }
    total.run(sum, id);
  }
})();
sqlite.exec("ANALYZE");
const counts = sqlite.prepare("SELECT (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM order_items) AS items").get() as {
  orders: number;
  items: number;
};
console.log(`store: ${counts.orders.toLocaleString("en")} orders, ${counts.items.toLocaleString("en")} order lines, ${PRODUCTS} products (filled in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
console.log(`days cut in ${ZONE}; ${RUNS} runs of each, interleaved with the baseline; median and p95\n`);

// --- the measurements ----------------------------------------------------------
const baseline = sqlite.prepare("SELECT count(*) FROM orders").pluck();
const queries: Record<string, () => unknown> = {
  "baseline: SELECT count(*) FROM orders": () => baseline.get(),
  "dailySales (30 days) + the three totals": () => {
    const series = dailySales(db, storeDays(new Date(), ZONE, CHART_DAYS));
    return [lastDays(series, 1), lastDays(series, 7), lastDays(series, 30)];
  },
  "topProducts (30 days, top 5)": () => topProducts(db, storeDays(new Date(), ZONE, CHART_DAYS)[0]!.start),
  "recentOrders (5)": () => recentOrders(db),
  "lowStock": () => lowStock(db),
};
const ms = (x: number) => `${x.toFixed(2)} ms`;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;

function measure(label: string) {
  const times = new Map<string, number[]>(Object.keys(queries).map((k) => [k, []]));
  for (const run of Object.values(queries)) run(); // warm the page cache
  for (let r = 0; r < RUNS; r++) {
    for (const [name, run] of Object.entries(queries)) {
      const start = performance.now();
      run();
      times.get(name)!.push(performance.now() - start);
    }
  }
  console.log(`${label}`);
  console.log(`| query | median | p95 |\n| --- | ---: | ---: |`);
  for (const [name, xs] of times) console.log(`| ${name} | ${ms(quantile(xs, 0.5))} | ${ms(quantile(xs, 0.95))} |`);
  const all = [...times].filter(([n]) => !n.startsWith("baseline")).reduce((s, [, xs]) => s + quantile(xs, 0.5), 0);
  console.log(`| the dashboard's queries together | ${ms(all)} | |\n`);
}

function plans() {
  const days = JSON.stringify(storeDays(new Date(), ZONE, CHART_DAYS));
  const show = (name: string, sqlText: string, ...params: unknown[]) =>
    console.log(`${name}:\n${(sqlite.prepare(`EXPLAIN QUERY PLAN ${sqlText}`).all(...params) as { detail: string }[]).map((r) => `  ${r.detail}`).join("\n")}`);
  show(
    "dailySales plan",
    `WITH days(date, start_at, end_at) AS (SELECT value ->> 'date', value ->> 'start', value ->> 'end' FROM json_each(?))
     SELECT days.date, count(orders.id), coalesce(sum((SELECT sum(order_items.quantity) FROM order_items WHERE order_items.order_id = orders.id)), 0),
            coalesce(sum(orders.total_cents), 0)
     FROM days LEFT JOIN orders ON orders.status IN ('paid', 'shipped') AND orders.created_at >= days.start_at AND orders.created_at < days.end_at
     GROUP BY days.date ORDER BY days.date`,
    days,
  );
  show(
    "topProducts plan",
    `SELECT products.id, sum(order_items.quantity) AS units FROM orders JOIN order_items ON order_items.order_id = orders.id
     JOIN products ON products.id = order_items.product_id WHERE orders.status IN ('paid', 'shipped') AND orders.created_at >= ?
     GROUP BY products.id ORDER BY units DESC LIMIT 5`,
    NOW - 30 * 86_400,
  );
  console.log("");
}

plans();
measure("A. As migrated (orders_status_created_at_idx on status, created_at; order_items_order_id_idx):");
// Would covering indexes pay? Every column the two big queries read, in the index.
sqlite.exec("CREATE INDEX bench_items_covering ON order_items (order_id, product_id, quantity, unit_price_cents)");
sqlite.exec("CREATE INDEX bench_orders_covering ON orders (status, created_at, total_cents)");
sqlite.exec("ANALYZE");
plans();
measure("B. Plus covering indexes on order_items and orders (not in the migrations):");
sqlite.exec("DROP INDEX bench_items_covering; DROP INDEX bench_orders_covering; DROP INDEX orders_status_created_at_idx; ANALYZE");
plans();
measure("C. Without orders_status_created_at_idx (only orders_created_at_idx):");

closeDatabase(db);
rmSync(dir, { recursive: true, force: true });

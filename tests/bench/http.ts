// HTTP benchmark: `npm run bench:http` (part of `npm run bench`; never part
// of `npm test`). Method and recorded figures: docs/benchmarks.md.
//
//  1. seeds 10,000 products into a scratch database,
//  2. starts the production server on it (a child process; run `npm run build` first),
//  3. drives it from this process with autocannon at 1, 8 and 32 connections:
//     catalog, a deep catalog page, search, product pages, and checkout,
//  4. does the same against two baselines started here too: a bare node:http
//     server sending the catalog page's bytes, and the smallest React Router
//     page the store has (its 404 page: root loader and layout, no query),
//  5. checks the database afterwards: orders match the redirects, no stock
//     was oversold, every order adds up.
//
// Environment: BENCH_DURATION (seconds per run, default 5),
// BENCH_PROFILE=1 (write a CPU profile of the server to the scratch folder).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import autocannon, { type Options, type Request, type Result } from "autocannon";
import { eq, sql } from "drizzle-orm";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { migrate, MIGRATIONS_FOLDER } from "#app/db/migrator.server.ts";
import { orderItems, orders, products } from "#app/db/schema.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = [1, 8, 32];
const PRODUCT_COUNT = 10_000;
const scratch = mkdtempSync(join(tmpdir(), "store-bench-"));
const children: ChildProcess[] = [];

// --- 1. a catalog of 10,000 products ----------------------------------------

// A small deterministic PRNG, so every run benchmarks the same catalog.
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = random(42);
const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;

const adjectives = ["Speckled", "Matte", "Glazed", "Hand-Thrown", "Woven", "Brushed", "Slim", "Heavy", "Folding", "Stacking", "Tall", "Compact", "Rustic", "Polished", "Recycled", "Pocket", "Travel", "Classic", "Round", "Square"];
const materials = ["Oak", "Walnut", "Stoneware", "Porcelain", "Linen", "Wool", "Brass", "Steel", "Glass", "Cork", "Bamboo", "Cotton", "Leather", "Copper", "Clay"];
const nouns = ["Mug", "Bowl", "Notebook", "Lamp", "Candle", "Tray", "Planter", "Vase", "Coaster", "Pen", "Basket", "Jar", "Carafe", "Throw", "Tote", "Clock", "Shelf", "Stool", "Kettle", "Box"];
const uses = ["for a tidy desk", "for slow mornings", "for the kitchen table", "that lasts for years", "for small flats", "for gifts", "for long evenings", "for the window sill"];
const details = [
  "Made in small batches; no two are quite alike.",
  "Wipe clean with a damp cloth.",
  "Ships flat and assembles without tools.",
  "Finished with a food-safe oil.",
  "Sold singly; mix and match colours.",
  "Designed in Lisbon, made in Porto.",
  "Dishwasher safe on the top rack.",
  "Comes in a recycled paper box.",
];
const images = ["stoneware-mug", "linen-notebook", "desk-lamp", "soy-candle", "bamboo-tray", "ceramic-planter", "glass-carafe", "brass-pen", "canvas-tote", "wool-throw"];

function seed(db: AppDatabase) {
  const now = Math.floor(Date.now() / 1000);
  const rows = Array.from({ length: PRODUCT_COUNT }, (_, i) => {
    const adjective = pick(adjectives);
    const material = pick(materials);
    const noun = pick(nouns);
    const name = `${adjective} ${material} ${noun}`;
    return {
      slug: `${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${i + 1}`,
      name,
      description: `A ${adjective.toLowerCase()} ${noun.toLowerCase()} in ${material.toLowerCase()}, ${pick(uses)}. ${pick(details)}`,
      priceCents: 500 + Math.floor(rand() * 200) * 50,
      stock: 10_000,
      sku: `BENCH-${i + 1}`,
      image: `/images/products/${pick(images)}.svg`,
      createdAt: new Date((now - Math.floor(rand() * 365 * 86_400)) * 1000),
    };
  });
  db.transaction((tx) => {
    // SQLite caps the number of bound parameters per statement.
    for (let i = 0; i < rows.length; i += 500) tx.insert(products).values(rows.slice(i, i + 500)).run();
  });
  return rows;
}

// --- processes ----------------------------------------------------------------

type Server = { url: string; pid: number };

function startProcess(args: string[], env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve({ url: match[1]!.replace("localhost", "127.0.0.1"), pid: child.pid! });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}:\n${output}`)));
  });
}

function stopAll() {
  return Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        }),
    ),
  );
}

// --- measuring ----------------------------------------------------------------

// CPU time a process has used, in ms (Linux; elsewhere NaN). Throughput on a
// shared machine swings with other load; the server's CPU time per request
// is the steadier figure.
function cpuMs(pid: number) {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return Number.NaN;
  const fields = readFileSync(stat, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, 100 ticks/s
}

type Row = {
  target: string;
  connections: number;
  rps: number;
  cpuPerRequest: number;
  p50: number;
  p99: number;
  errors: number;
  statuses: Record<string, number>;
};
const rows: Row[] = [];

/**
 * Runs autocannon and times it to the last response: autocannon itself ends
 * a fixed-amount run on its next 1-second tick, which would understate short
 * runs' throughput.
 */
function load(options: Options): Promise<{ result: Result; seconds: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let last = started;
    const tracker = autocannon(options, (error, result) => {
      if (error) reject(error);
      else resolve({ result, seconds: (last - started) / 1000 });
    });
    tracker.on("response", () => (last = performance.now()));
  });
}

async function measure(
  target: string,
  server: Server,
  path: string,
  connections: number,
  options: { requests?: Request[]; amount?: number; record?: boolean } = {},
): Promise<Row> {
  const cpuBefore = cpuMs(server.pid);
  const { result, seconds } = await load({
    url: `${server.url}${path}`,
    connections,
    ...(options.amount ? { amount: options.amount } : { duration: DURATION }),
    requests: options.requests,
    timeout: 10,
  });
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  const completed = Object.values(statuses).reduce((a, b) => a + b, 0);
  const row = {
    target,
    connections,
    rps: completed / seconds,
    cpuPerRequest: (cpuMs(server.pid) - cpuBefore) / completed,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    statuses,
  };
  if (options.record !== false) {
    rows.push(row);
    console.log(
      `${target.padEnd(34)} c=${String(connections).padStart(2)}  ${row.rps.toFixed(0).padStart(6)} req/s  ` +
        `p50 ${String(row.p50).padStart(3)} ms  p99 ${String(row.p99).padStart(3)} ms  ` +
        `cpu ${row.cpuPerRequest.toFixed(2)} ms/req  ` +
        `errors ${row.errors}  ${JSON.stringify(statuses)}`,
    );
  }
  return row;
}

/** Each request takes the next path from the list, round robin. */
function rotating(paths: string[]): Request[] {
  let i = 0;
  return [{ method: "GET", setupRequest: (request) => ({ ...request, path: paths[i++ % paths.length] }) }];
}

async function measurePage(target: string, server: Server, path: string, requests?: Request[]) {
  await measure(target, server, path, 8, { requests, amount: 200, record: false }); // warm up
  for (const connections of CONNECTIONS) await measure(target, server, path, connections, { requests });
}

// --- checkout -----------------------------------------------------------------

type Session = { cookie: string; token: string };
const customer = new URLSearchParams({
  email: "bench@example.com",
  customerName: "Bench Mark",
  addressLine1: "1 Load Street",
  addressLine2: "",
  city: "Throughput",
  postalCode: "12345",
  country: "Benchland",
}).toString();

/** A shopper's cart and checkout token, made through the real pages. */
async function prepareSession(base: string, cart: { id: number; slug: string }[]): Promise<Session> {
  let cookie = "";
  const remember = (response: Response) => {
    const set = response.headers.getSetCookie()[0];
    if (set) cookie = set.split(";")[0]!;
  };
  for (const product of cart) {
    const response = await fetch(`${base}/products/${product.slug}`, {
      method: "POST",
      headers: { Origin: base, Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" },
      body: `productId=${product.id}&quantity=1`,
      redirect: "manual",
    });
    if (response.status !== 302) throw new Error(`add to cart answered ${response.status}`);
    remember(response);
    await response.arrayBuffer();
  }
  const page = await fetch(`${base}/checkout`, { headers: { Cookie: cookie } });
  remember(page);
  const token = /name="checkoutToken" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!token) throw new Error("no checkout token");
  return { cookie, token };
}

async function prepareSessions(base: string, count: number, cartFor: (i: number) => { id: number; slug: string }[]) {
  const sessions: Session[] = [];
  for (let i = 0; i < count; i += 16) {
    const batch = Array.from({ length: Math.min(16, count - i) }, (_, j) => prepareSession(base, cartFor(i + j)));
    sessions.push(...(await Promise.all(batch)));
  }
  return sessions;
}

/** Posts the checkout form once per prepared session: every request is a different shopper. */
function checkoutRequests(base: string, sessions: Session[]): Request[] {
  let i = 0;
  return [
    {
      method: "POST",
      path: "/checkout",
      setupRequest: (request) => {
        const session = sessions[i++ % sessions.length]!;
        return {
          ...request,
          headers: {
            Origin: base,
            Cookie: session.cookie,
            "Content-Type": "application/x-www-form-urlencoded",
          },
          body: `${customer}&checkoutToken=${session.token}`,
        };
      },
    },
  ];
}

// --- run ------------------------------------------------------------------------

async function main() {
  const databasePath = join(scratch, "bench.db");
  const db = openDatabase(databasePath);
  migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER });
  let t = performance.now();
  const catalog = seed(db);
  console.log(`seeded ${PRODUCT_COUNT} products in ${(performance.now() - t).toFixed(0)} ms (${databasePath})`);
  const ids = db.select({ id: products.id, slug: products.slug }).from(products).orderBy(products.id).all();

  t = performance.now();
  const profile = process.env.BENCH_PROFILE === "1" ? ["--cpu-prof", `--cpu-prof-dir=${scratch}`] : [];
  const store = await startProcess([...profile, "server.ts"], {
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: "0",
    DATABASE_PATH: databasePath,
    SEED_DEMO_DATA: "false",
    SESSION_SECRETS: "3f8a1c6e9b2d7f4a0c5e8b1d6f3a9c2e7b4d0f5a8c1e6b3d9f2a7c4e0b5d8f61",
  });
  console.log(`store listening at ${store.url} after ${(performance.now() - t).toFixed(0)} ms`);

  const catalogHtml = await (await fetch(store.url)).text();
  const pagePath = join(scratch, "catalog.html");
  writeFileSync(pagePath, catalogHtml);
  const baseline = await startProcess(["tests/bench/static-server.ts", pagePath]);
  const bytes = Buffer.byteLength(catalogHtml);
  console.log(`catalog page: ${(bytes / 1024).toFixed(1)} kB; node:http baseline at ${baseline.url}\n`);

  const searches = ["mug", "oak", "linen notebook", "brass lamp", "speckled", "stool", "walnut tray", "gifts", "glazed bowl", "cork"];
  await measurePage(`node:http static ${(bytes / 1024).toFixed(0)} kB (baseline)`, baseline, "/");
  await measurePage("React Router minimal page (404)", store, "/no-such-page");
  await measurePage("catalog /", store, "/");
  await measurePage("catalog /?page=400&sort=price-asc", store, "/?page=400&sort=price-asc");
  await measurePage("search /?q=…", store, "/", rotating(searches.map((q) => `/?q=${encodeURIComponent(q)}`)));
  await measurePage(
    "product /products/<slug>",
    store,
    "/",
    rotating(Array.from({ length: 500 }, (_, i) => `/products/${ids[(i * 7919) % ids.length]!.slug}`)),
  );

  // Checkout: each order is a different shopper with 2 products in the cart.
  const cartFor = (i: number) => [ids[(i * 13) % 200]!, ids[200 + ((i * 7) % 200)]!];
  const amounts: Record<number, number> = { 1: 300, 8: 1000, 32: 1500 };
  let redirects = 0;
  for (const connections of CONNECTIONS) {
    const sessions = await prepareSessions(store.url, amounts[connections]!, (i) => cartFor(i + connections * 10_000));
    const row = await measure("checkout POST /checkout (orders/s)", store, "/checkout", connections, {
      requests: checkoutRequests(store.url, sessions),
      amount: sessions.length,
    });
    redirects += row.statuses["302"] ?? 0;
  }

  // Oversell: 400 shoppers, 100 in stock, all at once.
  const scarce = ids[9_999]!;
  db.update(products).set({ stock: 100 }).where(eq(products.id, scarce.id)).run();
  const rush = await prepareSessions(store.url, 400, () => [scarce]);
  const race = await measure("checkout race: 400 shoppers, stock 100", store, "/checkout", 32, {
    requests: checkoutRequests(store.url, rush),
    amount: rush.length,
  });
  redirects += race.statuses["302"] ?? 0;

  await stopAll();

  // --- verify the database ------------------------------------------------------
  const problems: string[] = [];
  const orderCount = db.select({ n: sql<number>`count(*)` }).from(orders).get()!.n;
  if (orderCount !== redirects) problems.push(`${orderCount} orders but ${redirects} redirects to a confirmation`);
  const mismatched = db.$client
    .prepare(
      `SELECT count(*) AS n FROM orders o WHERE total_cents !=
        (SELECT sum(unit_price_cents * quantity) FROM order_items WHERE order_id = o.id)`,
    )
    .get() as { n: number };
  if (mismatched.n > 0) problems.push(`${mismatched.n} orders whose items do not add up`);
  const soldRows = db
    .select({ id: orderItems.productId, sold: sql<number>`sum(${orderItems.quantity})` })
    .from(orderItems)
    .groupBy(orderItems.productId)
    .all();
  const stockNow = new Map(db.select({ id: products.id, stock: products.stock }).from(products).all().map((p) => [p.id, p.stock]));
  for (const { id, sold } of soldRows) {
    const initial = id === scarce.id ? 100 : catalog[id - 1]!.stock;
    if (stockNow.get(id)! + sold !== initial) problems.push(`product ${id}: ${sold} sold, ${stockNow.get(id)} left of ${initial}`);
  }
  if ((race.statuses["302"] ?? 0) !== 100 || (race.statuses["409"] ?? 0) !== 300) {
    problems.push(`race: expected 100 orders and 300 refusals, got ${JSON.stringify(race.statuses)}`);
  }
  if (stockNow.get(scarce.id) !== 0) problems.push(`race: ${stockNow.get(scarce.id)} left of the scarce product`);
  for (const row of rows) {
    const expected = row.target.includes("404") ? "404" : row.target.startsWith("checkout race") ? null : row.target.startsWith("checkout") ? "302" : "200";
    const unexpected = Object.keys(row.statuses).filter((code) => expected && code !== expected);
    if (row.errors > 0 || unexpected.length > 0) {
      problems.push(`${row.target} c=${row.connections}: ${row.errors} errors, statuses ${JSON.stringify(row.statuses)}`);
    }
  }
  closeDatabase(db);

  // --- report ---------------------------------------------------------------------
  const base = new Map(rows.filter((r) => r.target.includes("baseline")).map((r) => [r.connections, r.rps]));
  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model.trim()}, ` +
    `${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}, ${DURATION} s per run\n`);
  console.log("| target | conns | req/s | p50 ms | p99 ms | server CPU ms/req | vs node:http |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    const ratio = r.target.startsWith("checkout") ? "" : `${((100 * r.rps) / base.get(r.connections)!).toFixed(0)}%`;
    console.log(
      `| ${r.target} | ${r.connections} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.cpuPerRequest.toFixed(2)} | ${ratio} |`,
    );
  }

  console.log("\nTargets at 32 connections (pages: >= 10% of the node:http baseline and p99 < 50 ms; checkout: >= 300 orders/s):");
  for (const r of rows.filter((r) => r.connections === 32 && !/baseline|404|race/.test(r.target))) {
    const ok = r.target.startsWith("checkout") ? r.rps >= 300 : r.rps >= 0.1 * base.get(32)! && r.p99 < 50;
    console.log(`  ${ok ? "met   " : "MISSED"}  ${r.target}: ${r.rps.toFixed(0)}/s, p99 ${r.p99} ms`);
  }
  console.log(`\nDatabase after the run: ${orderCount} orders, ${problems.length === 0 ? "no oversell, every order adds up" : "PROBLEMS:"}`);
  for (const p of problems) console.log(`  - ${p}`);
  if (process.env.BENCH_PROFILE === "1") console.log(`CPU profile of the server in ${scratch}`);
  if (problems.length > 0) process.exitCode = 1;
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await stopAll();
}

// Several workers on one port and one SQLite file (WEB_CONCURRENCY=2, the
// production server, real files; docs/decisions/039-workers-on-one-host.md).
// Which worker answered is read from the log: a worker's lines start
// [store w1] or [store w2], access lines included. Requests that must reach
// both workers go on a new connection each, which the primary hands to the
// workers in turn.
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { rmSync, renameSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { orders, products } from "#app/db/schema.ts";
import { adjustStock, ledgerDrift } from "#app/store/inventory.server.ts";
import { createStaff } from "#app/staff/staff.server.ts";
import { productBySlug, tempDir } from "#tests/helpers/db.ts";
import { placeOrder, type AckedOrder } from "#tests/helpers/orders-under-load.ts";
import { delay, stageApp, startServer, stopServer, spawnServer, type ServerProcess } from "#tests/helpers/server.ts";
import { shopper } from "#tests/helpers/shopper.ts";
import { startSmtpSink, type SmtpSink } from "#tests/helpers/smtp.ts";
import { browser, productForm, staffAccount } from "#tests/helpers/staff.ts";
import { demoProducts } from "#app/db/demo-products.ts";

const servers: ServerProcess[] = [];
const sinks: SmtpSink[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => stopServer(s, "SIGKILL")));
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

/** A store with two workers, once both listen. */
async function twoWorkers(env: Record<string, string> = {}, cwd?: string) {
  const server = await startServer({ cwd, env: { SEED_DEMO_DATA: "true", WEB_CONCURRENCY: "2", ...env } });
  servers.push(server);
  expect(server.output()).toMatch(/\[store\] workers: 2 \(WEB_CONCURRENCY=2\), pids \d+, \d+/);
  return server;
}

/** The pid of worker `n`, from the primary's lines. */
function workerPid(server: ServerProcess, n: number): number {
  const pids = [...server.output().matchAll(/\[store\] (?:workers: 2 \(WEB_CONCURRENCY=2\), pids (\d+), (\d+)|worker (\d) \(pid (\d+)\) listening)/g)];
  let pid = 0;
  for (const m of pids) {
    if (m[1]) pid = Number(n === 1 ? m[1] : m[2]);
    else if (Number(m[3]) === n) pid = Number(m[4]);
  }
  return pid;
}

/** Which workers logged an access line matching `pattern` in `log`. */
function answeredBy(log: string, pattern: string): Set<string> {
  const by = new Set<string>();
  for (const line of log.split("\n")) if (line.includes(pattern)) by.add(/^\[store (w\d)\]/.exec(line)?.[1] ?? "?");
  return by;
}

/** Sends a request in two halves on a connection of its own, so it is in flight between them. */
function slowRequest(url: string, path: string) {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let response = "";
  socket.on("data", (chunk) => (response += chunk));
  const done = new Promise<string>((resolve, reject) => {
    socket.on("end", () => resolve(response));
    socket.on("error", reject);
  });
  return new Promise<{ finish: () => Promise<string> }>((resolve) => {
    socket.on("connect", () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n`);
      resolve({
        finish: () => {
          socket.write("Accept: text/html\r\n\r\n");
          return done;
        },
      });
    });
  });
}

/** One request on a connection of its own (no keep-alive), so the primary picks a worker for it. */
function once(url: string, path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const request = httpRequest(`${url}${path}`, {
      method: init.method ?? "GET",
      agent: false,
      headers: { Connection: "close", ...init.headers, ...(init.body !== undefined && { "Content-Length": Buffer.byteLength(init.body) }) },
    });
    request.on("response", (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on("error", reject);
    request.end(init.body);
  });
}

const SLUGS = demoProducts.map((p) => p.slug);

/**
 * Shoppers placing orders until stopped, through whatever happens to the
 * store: an order counts once the store has acknowledged it (the redirect to
 * its page). Failures are kept, with the code of what the connection met.
 */
function shoppersUntilStopped(url: string, count: number) {
  const acked: AckedOrder[] = [];
  const failures: string[] = [];
  let stopped = false;
  const loops = Array.from({ length: count }, async (_, n) => {
    for (let i = 0; !stopped; i++) {
      try {
        acked.push(await placeOrder(url, SLUGS[(n + i * count) % SLUGS.length]));
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        failures.push(cause?.code ?? String(error));
        await delay(20);
      }
    }
  });
  return {
    acked,
    failures,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
    done: Promise.all(loops),
  };
}

/** Enough of everything for every order below, through the stock ledger (so the ledger check holds). */
function stockUp(path: string) {
  const db = openDatabase(path);
  try {
    const staff = createStaff(db, { email: "stock@example.com", role: "staff" });
    for (const { id } of db.select({ id: products.id }).from(products).all()) {
      adjustStock(db, { productId: id, delta: 10_000, note: "a big delivery", staffId: staff.id });
    }
  } finally {
    closeDatabase(db);
  }
}

function ordersIn(path: string) {
  const db = openDatabase(path);
  try {
    return {
      ids: new Set(db.select({ id: orders.publicId }).from(orders).all().map((o) => o.id)),
      drift: ledgerDrift(db),
    };
  } finally {
    closeDatabase(db);
  }
}

describe("two workers share what one process kept to itself", () => {
  it("count a client's form posts together: the limit holds whichever worker answers", async () => {
    const path = join(tempDir("store-workers-limits-"), "store.db");
    const server = await twoWorkers({ DATABASE_PATH: path, RATE_LIMIT_POSTS: "6/60" });
    const form = (quantity: number) => ({
      method: "POST",
      body: new URLSearchParams({ productId: "1", quantity: String(quantity) }).toString(),
      headers: { Origin: server.url, "Content-Type": "application/x-www-form-urlencoded" },
    });
    const statuses: number[] = [];
    for (let i = 1; i <= 9; i++) statuses.push((await once(server.url, "/products/stoneware-mug", form(i))).status);
    // Six posts in the window, counted across both workers; in each
    // worker's own memory the limit would only start at the 13th.
    expect(statuses).toEqual([302, 302, 302, 302, 302, 302, 429, 429, 429]);
    await expect.poll(() => answeredBy(server.output(), "status=429").size).toBe(2);
    expect(answeredBy(server.output(), "method=POST route=/products/:slug status=302")).toEqual(new Set(["w1", "w2"]));
    expect(answeredBy(server.output(), "refused=\"over the form post limit\"")).toEqual(new Set(["w1", "w2"]));
  });

  it("a staff edit drops the page on every worker at once, and the email sender runs in one worker: one email per order", async () => {
    const smtp = await startSmtpSink();
    sinks.push(smtp);
    const path = join(tempDir("store-workers-cache-"), "store.db");
    const server = await twoWorkers({
      DATABASE_PATH: path,
      // A minute: only the store's own invalidation can make a page new.
      MICRO_CACHE_MS: "60000",
      SMTP_URL: smtp.url,
      MAIL_FROM: "Corner Store <orders@shop.example>",
      MAIL_POLL_MS: "50",
    });
    const db = openDatabase(path);
    await staffAccount(db, "staff@example.com", "staff");
    const mug = productBySlug(db, "stoneware-mug");
    closeDatabase(db);

    const page = `/products/${mug.slug}`;
    const warm = [];
    for (let i = 0; i < 8; i++) warm.push(await once(server.url, page));
    // Each worker rendered the page once and kept it: two misses, then hits.
    expect(warm.map((r) => r.headers["x-micro-cache"]).filter((c) => c === "miss")).toHaveLength(2);
    expect(answeredBy(server.output(), `route=${"/products/:slug"} status=200`)).toEqual(new Set(["w1", "w2"]));

    const staff = browser(server.url);
    await staff.signIn("staff@example.com");
    const edit = await staff.post(
      `/admin/products/${mug.id}`,
      productForm({ name: "Speckled Mug", slug: mug.slug, sku: mug.sku, price: "31.07", description: "Now speckled." }),
    );
    expect(edit.status).toBe(302);
    const before = server.output().length;
    const after = [];
    for (let i = 0; i < 8; i++) after.push(await once(server.url, page));
    for (const reply of after) {
      expect(reply.body).toContain("Speckled Mug");
      expect(reply.body).toContain("$31.07");
    }
    expect(after.map((r) => r.headers["x-micro-cache"]).filter((c) => c === "miss")).toHaveLength(2);
    expect(answeredBy(server.output().slice(before), "route=/products/:slug status=200")).toEqual(new Set(["w1", "w2"]));

    // Orders placed through both workers: each gets one confirmation, sent by worker 1.
    const placed: string[] = [];
    for (let i = 0; i < 4; i++) {
      const me = shopper(server.url);
      await me.addToCart({ id: mug.id, slug: mug.slug }, 2);
      await me.addToCart(productBySlugFrom(path, "linen-notebook"), 3);
      const reply = await me.checkout(await me.checkoutToken(), { email: `buyer${i}@example.com` });
      expect(reply.status).toBe(302);
      placed.push(reply.location!);
    }
    const mail = await smtp.waitFor(4);
    await delay(1_500); // time for a second sender, were there one, to send them again
    expect(smtp.received).toHaveLength(4);
    expect(smtp.received.map((m) => m.to.join()).sort()).toEqual([0, 1, 2, 3].map((i) => `buyer${i}@example.com`));
    void mail;
    const sends = server.output().split("\n").filter((line) => / mail: message \d+ \([^)]+\) sent/.test(line));
    expect(sends).toHaveLength(4);
    for (const line of sends) expect(line).toMatch(/^\[store w1\] /);
    expect(server.output()).not.toMatch(/\[store w2\] mail:/);
  });
});

function productBySlugFrom(path: string, slug: string) {
  const db = openDatabase(path);
  try {
    const p = productBySlug(db, slug);
    return { id: p.id, slug: p.slug };
  } finally {
    closeDatabase(db);
  }
}

describe("a worker's life and death", () => {
  it("needs the built server: development is one process", async () => {
    const dev = spawnServer({ args: ["server.ts"], env: { NODE_ENV: "development", WEB_CONCURRENCY: "2", DATABASE_PATH: join(tempDir(), "store.db") } });
    expect(await dev.exited).toBe(1);
    expect(dev.output()).toContain("WEB_CONCURRENCY=2 needs the built server: `npm run build`, then `npm start`");
  });

  it("kill -9 of a worker under checkouts loses no acknowledged order, and the primary starts a new one", async () => {
    const path = join(tempDir("store-workers-kill-"), "store.db");
    const server = await twoWorkers({ DATABASE_PATH: path });
    stockUp(path);
    const victim = workerPid(server, 2);
    const load = shoppersUntilStopped(server.url, 4);
    await expect.poll(() => load.acked.length, { timeout: 20_000 }).toBeGreaterThan(10);
    process.kill(victim, "SIGKILL");
    await expect.poll(() => server.output(), { timeout: 10_000 }).toContain(`[store] worker 2 (pid ${victim}) was killed by SIGKILL; starting a new one`);
    await expect.poll(() => server.output(), { timeout: 20_000 }).toMatch(/\[store\] worker 2 \(pid \d+\) listening/);
    const replaced = workerPid(server, 2);
    expect(replaced).not.toBe(victim);
    const before = server.output().length;
    const ackedBefore = load.acked.length;
    await expect.poll(() => load.acked.length, { timeout: 20_000 }).toBeGreaterThan(ackedBefore + 10);
    await load.stop();
    // The new worker takes its share of new connections (a keep-alive
    // shopper stays with the worker that has its connection).
    for (let i = 0; i < 6; i++) expect((await once(server.url, "/")).status).toBe(200);
    expect(answeredBy(server.output().slice(before), "method=GET route=/ status=200")).toEqual(new Set(["w1", "w2"]));
    expect(await stopServer(server)).toBe(0);

    const stored = ordersIn(path);
    const lost = load.acked.filter((o) => !stored.ids.has(o.publicId));
    expect(lost).toEqual([]);
    expect(new Set(load.acked.map((o) => o.publicId)).size).toBe(load.acked.length);
    expect(stored.drift).toEqual([]);
  });

  it("SIGTERM under load drains both workers: every request under way answered, none reset, every acknowledged order kept, exit 0", async () => {
    const path = join(tempDir("store-workers-stop-"), "store.db");
    const server = await twoWorkers({ DATABASE_PATH: path, SHUTDOWN_DELAY_MS: "2500" });
    stockUp(path);
    const load = shoppersUntilStopped(server.url, 6);
    await expect.poll(() => load.acked.length, { timeout: 20_000 }).toBeGreaterThan(10);
    // A request half sent on a connection of its own: it is in flight through the whole stop.
    const slow = await slowRequest(server.url, "/");
    server.child.kill("SIGTERM");
    await expect.poll(() => server.output()).toContain("[store] SIGTERM: stopping 2 workers");
    // Both workers fail readiness at once (the primary hands new
    // connections to the workers in turn; health checks are not logged),
    // and still serve what arrives.
    const probes = [];
    for (let i = 0; i < 4; i++) probes.push((await once(server.url, "/health/ready")).status);
    expect(probes).toEqual([503, 503, 503, 503]);
    // A load balancer stops sending new work once it sees that; the orders
    // under way carry on through the stop.
    await delay(300);
    const acked = load.acked.length;
    await load.stop();
    expect(load.acked.length).toBeGreaterThan(acked - 1);
    const reply = await slow.finish();
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(reply).toMatch(/connection: close/i);

    expect(await server.exited).toBe(0);
    // Nothing reset, nothing half answered, and the port is closed.
    expect(load.failures).toEqual([]);
    await expect(once(server.url, "/")).rejects.toMatchObject({ code: "ECONNREFUSED" });
    const log = server.output();
    expect(log).toContain("[store w1] SIGTERM: draining");
    expect(log).toContain("[store w1] stopped");
    expect(log).toContain("[store w2] stopped");
    expect(log.trimEnd().split("\n").at(-1)).toBe("[store] stopped");
    const stored = ordersIn(path);
    expect(load.acked.filter((o) => !stored.ids.has(o.publicId))).toEqual([]);
    expect(stored.ids.size).toBeGreaterThanOrEqual(load.acked.length);
    expect(stored.drift).toEqual([]);
  });

  it("kills a worker stuck past the drain deadline, and exits 1 to say so", async () => {
    const server = await twoWorkers({ DATABASE_PATH: join(tempDir("store-workers-stuck-"), "store.db"), SHUTDOWN_TIMEOUT_MS: "500" });
    const stuck = workerPid(server, 1);
    process.kill(stuck, "SIGSTOP"); // its event loop can run no timer, its own deadline included
    const signalled = Date.now();
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(1);
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(2_500 - 100); // the deadline, then KILL_GRACE_MS
    expect(server.output()).toContain(`[store] worker 1 (pid ${stuck}) still running 2000 ms past the drain deadline: killing it`);
    expect(server.output()).toContain("[store w2] stopped");
    expect(server.output()).not.toMatch(/\[store\] stopped/);
  });

  it("stops cleanly when SIGTERM comes while the workers are still starting: the port never opens, every worker drains, exit 0", async () => {
    const starting = spawnServer({ env: { DATABASE_PATH: join(tempDir("store-workers-early-"), "store.db"), SEED_DEMO_DATA: "true", WEB_CONCURRENCY: "2" } });
    servers.push({ ...starting, url: "" });
    // The primary's last startup line: it forks the workers next, and they
    // take a second or more to load the build.
    await expect.poll(() => starting.output(), { interval: 5, timeout: 30_000 }).toContain("[store] seeded");
    expect(starting.output()).not.toContain("[store w");
    starting.child.kill("SIGTERM");
    expect(await starting.exited).toBe(0);
    const log = starting.output();
    expect(log).toContain("[store] SIGTERM: stopping 2 workers");
    expect(log).not.toContain("listening on");
    expect(log).toContain("[store w1] stopped");
    expect(log).toContain("[store w2] stopped");
    expect(log.trimEnd().split("\n").at(-1)).toBe("[store] stopped");
  });

  it("stops at startup when a worker cannot start; later, restarts a worker that keeps failing with a growing wait", async () => {
    const app = stageApp(tempDir("store-workers-app-"));
    const pages = join(app, "build", "server", "index.js");
    const env = { DATABASE_PATH: join(tempDir("store-workers-crash-"), "store.db"), SEED_DEMO_DATA: "true", WEB_CONCURRENCY: "2" };

    renameSync(pages, `${pages}.away`);
    const broken = spawnServer({ cwd: app, env });
    expect(await broken.exited).toBe(1);
    expect(broken.output()).toMatch(/\[store w\d\] no production build found/);
    expect(broken.output()).toMatch(/\[store\] worker \d \(pid \d+\) exited with code 1 while starting: stopping/);
    expect(broken.output()).not.toContain("listening on");

    renameSync(`${pages}.away`, pages);
    const server = await twoWorkers(env, app);
    renameSync(pages, `${pages}.away`); // what a new worker loads is gone
    process.kill(workerPid(server, 2), "SIGKILL");
    await expect.poll(() => server.output(), { timeout: 15_000 }).toMatch(
      /\[store\] worker 2 \(pid \d+\) exited with code 1 before listening \(2 in a row\); starting a new one in 1000 ms/,
    );
    expect(server.output()).toMatch(/\[store\] worker 2 \(pid \d+\) exited with code 1 before listening \(1 in a row\); starting a new one in 500 ms/);
    // Worker 1 serves meanwhile, and the host stays ready.
    expect((await once(server.url, "/health/ready")).status).toBe(200);
    expect((await once(server.url, "/")).status).toBe(200);

    renameSync(`${pages}.away`, pages);
    await expect.poll(() => server.output(), { timeout: 15_000 }).toMatch(/\[store\] worker 2 \(pid \d+\) listening/);
    expect(await stopServer(server)).toBe(0);
    rmSync(app, { recursive: true, force: true });
  });
});

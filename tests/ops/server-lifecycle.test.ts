// The production server (and, once, the development one) as a child process, on fresh data directories:
// startup order, serving, graceful shutdown, restart, and a failed migration.
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { demoProducts } from "#app/db/demo-products.ts";
import { migrate, MIGRATIONS_FOLDER, MIGRATIONS_TABLE, readMigrations } from "#app/db/migrator.server.ts";
import { tempDir } from "#tests/helpers/db.ts";
import { appendMigration } from "#tests/helpers/migrations.ts";
import { spawn } from "node:child_process";
import { delay, listeningUrl, type ServerProcess, spawnServer, stageApp, startServer, stopServer, TEST_PUBLIC_URL, TEST_SESSION_SECRETS } from "#tests/helpers/server.ts";
import { PROJECT_ROOT } from "#tests/helpers/db.ts";

const running: ServerProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map((s) => stopServer(s, "SIGKILL")));
});
async function start(...args: Parameters<typeof startServer>) {
  const server = await startServer(...args);
  running.push(server);
  return server;
}

function snapshot(path: string) {
  const db = openDatabase(path);
  try {
    return {
      schema: db.$client.prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").all(),
      migrations: db.$client.prepare(`SELECT hash, created_at FROM "${MIGRATIONS_TABLE}" ORDER BY created_at`).all(),
      products: db.$client.prepare("SELECT id, slug, price_cents, stock FROM products ORDER BY id").all(),
      orders: db.$client.prepare("SELECT * FROM orders ORDER BY id").all(),
    };
  } finally {
    closeDatabase(db);
  }
}

/** Sends a request in two halves, so it is in flight between them. */
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

describe("production server lifecycle", () => {
  const dataDir = tempDir("store-lifecycle-");
  const databasePath = join(dataDir, "store.db");
  const env = { DATABASE_PATH: databasePath, SEED_DEMO_DATA: "true" };
  const migrationCount = readMigrations(MIGRATIONS_FOLDER).length;

  it("does not listen until every migration is applied", async () => {
    // Hold SQLite's write lock so the server's migration has to wait.
    const blocker = openDatabase(databasePath);
    blocker.$client.prepare("BEGIN IMMEDIATE").run();
    const pending = spawnServer({ env: { ...env, MIGRATION_LOCK_TIMEOUT_MS: "20000" } });
    running.push({ ...pending, url: "" });
    await delay(1500);
    expect(pending.output()).not.toContain("listening");
    expect(pending.child.exitCode).toBeNull();

    blocker.$client.prepare("COMMIT").run();
    closeDatabase(blocker);
    await expect.poll(() => pending.output(), { timeout: 20_000 }).toContain("listening on");
    const log = pending.output();
    const lastApplied = log.lastIndexOf("migrations: applied");
    expect(lastApplied).toBeGreaterThan(-1);
    expect(lastApplied).toBeLessThan(log.indexOf("listening on"));
    expect(snapshot(databasePath).migrations).toHaveLength(migrationCount);
    expect(await stopServer({ ...pending, url: "" })).toBe(0);
  });

  it("serves the seeded catalog, product pages, 404s and health checks", async () => {
    const server = await start({ env });
    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });
    const live = await fetch(`${server.url}/health/live`);
    expect(await live.json()).toEqual({ status: "ok" });

    const catalog = await fetch(server.url);
    expect(catalog.status).toBe(200);
    const html = await catalog.text();
    expect(html).toContain("<title>Catalog · Corner Store</title>");
    expect(html).toContain(`${demoProducts.length} products`);
    expect(html).toContain(demoProducts.at(-1)!.name);

    const product = await fetch(`${server.url}/products/stoneware-mug`);
    expect(product.status).toBe(200);
    expect(await product.text()).toContain("speckled glaze");

    const missing = await fetch(`${server.url}/products/does-not-exist`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("Page not found");
    expect(server.output()).not.toMatch(/Error:|at .*\.js:\d+/);

    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1] ?? /href="(\/assets\/[^"]+)"/.exec(html)![1];
    const assetResponse = await fetch(`${server.url}${asset}`);
    expect(assetResponse.status).toBe(200);
    expect(assetResponse.headers.get("cache-control")).toContain("immutable");

    expect(await stopServer(server)).toBe(0);
  });

  it("lets an in-flight request finish on SIGTERM, refuses new ones, then exits 0", async () => {
    const server = await start({ env });
    const request = await slowRequest(server.url, "/");
    server.child.kill("SIGTERM");
    await expect.poll(() => server.output()).toContain("SIGTERM: draining");
    await delay(300);
    expect(server.child.exitCode).toBeNull(); // still waiting for our request
    await expect(fetch(`${server.url}/health/live`)).rejects.toThrow();

    const response = await request.finish();
    expect(response).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(response).toMatch(/connection: close/i);
    expect(response).toContain(demoProducts.at(-1)!.name);
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain("[store] stopped");
  });

  it("restarts without applying anything and keeps the data", async () => {
    const db = openDatabase(databasePath);
    db.$client
      .prepare(
        `INSERT INTO orders (public_id, number, checkout_token, email, customer_name, address_line1, city, postal_code, country, total_cents)
         VALUES ('pub-1', 'N1', 'tok-1', 'ada@example.com', 'Ada', '1 Main St', 'Springfield', '12345', 'US', 1800)`,
      )
      .run();
    closeDatabase(db);
    const before = snapshot(databasePath);

    const server = await start({ env });
    expect(server.output()).toContain("migrations: up to date");
    expect(server.output()).not.toContain("applied");
    expect(server.output()).not.toContain("seeded");
    expect(await stopServer(server)).toBe(0);
    expect(snapshot(databasePath)).toEqual(before);
  });

  it("stops with exit 1 and the reason when a migration fails, leaving the database unchanged", async () => {
    const appDir = stageApp(tempDir("store-broken-"));
    appendMigration(
      join(appDir, "drizzle"),
      "9999_broken_on_purpose",
      "ALTER TABLE products ADD `weight_grams` integer;\n--> statement-breakpoint\nUPDATE products SET weight_grams = 1 / 0 + missing_column;",
    );
    const before = snapshot(databasePath);

    const server = spawnServer({ cwd: appDir, env });
    const code = await server.exited;
    expect(code).toBe(1);
    const log = server.output();
    expect(log).toMatch(/migration failed, not starting: 9999_broken_on_purpose failed: no such column: missing_column/);
    expect(log).not.toContain("listening");
    expect(snapshot(databasePath)).toEqual(before);
    // It copied the database before trying, then dropped the copy: after the
    // rollback it was identical, and a crash-looping release would pile them up.
    expect(log).toMatch(/migrations: snapshot .*pre-migrate_/);
    const backups = join(dataDir, "backups");
    expect(existsSync(backups) ? readdirSync(backups).filter((f) => f.startsWith("pre-migrate_")) : []).toEqual([]);
  });

  it("accepts form posts through a TLS-terminating proxy only when TRUST_PROXY says so", async () => {
    // What nginx, Traefik or an ingress send upstream for a form posted on
    // https://shop.example: the original Host, and the scheme in a header.
    const post = (url: string) =>
      new Promise<{ status: number; location?: string; cookie?: string[] }>((resolve, reject) => {
        const body = new URLSearchParams({ productId: "1", quantity: "1" }).toString();
        const request = httpRequest(`${url}/products/stoneware-mug`, {
          method: "POST",
          headers: {
            Host: "shop.example",
            Origin: "https://shop.example",
            "X-Forwarded-Proto": "https",
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Length": Buffer.byteLength(body),
          },
        });
        request.on("response", (response) => {
          response.resume();
          resolve({ status: response.statusCode!, location: response.headers.location, cookie: response.headers["set-cookie"] });
        });
        request.on("error", reject);
        request.end(body);
      });

    const direct = await start({ env });
    const refused = await post(direct.url);
    expect(refused.status).toBe(400);
    expect(refused.cookie).toBeUndefined();
    expect(await stopServer(direct)).toBe(0);
    expect(direct.output()).toContain('http method=POST route=/products status=400 ms=');
    expect(direct.output()).toContain('refused="a form post from another origin"');
    expect(direct.output()).not.toMatch(/at .*\.js:\d+/);

    const behindProxy = await start({ env: { ...env, TRUST_PROXY: "true" } });
    const accepted = await post(behindProxy.url);
    expect(accepted.status).toBe(302);
    expect(accepted.location).toBe("/products/stoneware-mug");
    expect(accepted.cookie?.join()).toMatch(/; Secure/i);
    expect(await stopServer(behindProxy)).toBe(0);
  });

  it("on SIGTERM fails readiness first, keeps serving for SHUTDOWN_DELAY_MS, then drains within SHUTDOWN_TIMEOUT_MS", async () => {
    const server = await start({ env: { ...env, SHUTDOWN_DELAY_MS: "1500", SHUTDOWN_TIMEOUT_MS: "1000" } });
    const stuck = await slowRequest(server.url, "/"); // never finished: it will hold the drain
    const signalled = Date.now();
    server.child.kill("SIGTERM");
    await expect.poll(() => server.output()).toContain("SIGTERM: not ready; still accepting for 1500 ms");
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(503);
    const page = await fetch(server.url); // load balancers may still send some
    expect(page.status).toBe(200);
    expect(page.headers.get("connection")).toBe("close");

    expect(await server.exited).toBe(1);
    const elapsed = Date.now() - signalled;
    expect(elapsed).toBeGreaterThanOrEqual(2500 - 100); // delay, then the whole drain deadline
    expect(server.output()).toContain("SIGTERM: draining (deadline 1000 ms)");
    expect(server.output()).toContain("drain deadline passed with requests still open: exiting 1");
    void stuck;
  });

  it("exits at once on a second signal", async () => {
    const server = await start({ env: { ...env, SHUTDOWN_DELAY_MS: "10000" } });
    server.child.kill("SIGINT");
    await expect.poll(() => server.output()).toContain("SIGINT: not ready");
    server.child.kill("SIGINT");
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain("SIGINT again: exiting now");
  });

  it("does not serve store pages from an outdated schema, not even while shutting down", async () => {
    const outdated = join(tempDir("store-outdated-"), "store.db");
    const db = openDatabase(outdated);
    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: readMigrations(MIGRATIONS_FOLDER)[0]!.tag });
    closeDatabase(db);
    const server = await start({
      env: { DATABASE_PATH: outdated, MIGRATE_ON_START: "false", SHUTDOWN_DELAY_MS: "1500" },
    });
    expect((await fetch(`${server.url}/products/stoneware-mug`)).status).toBe(503);
    server.child.kill("SIGTERM");
    await expect.poll(() => server.output()).toContain("SIGTERM: not ready");
    const during = await fetch(`${server.url}/products/stoneware-mug`);
    expect(during.status).toBe(503);
    expect(await during.text()).toContain("The store is being updated");
    expect(await server.exited).toBe(0);
  });

  it("refuses to start in production without a session secret", async () => {
    const server = spawnServer({ env: { ...env, SESSION_SECRETS: "" } });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain("SESSION_SECRETS is required in production");
    expect(server.output()).not.toContain("listening");
  });

  it("stops, and frees the port, when a supervisor signals only npm's process under `npm start`", async () => {
    // npm runs `sh -c "node … build/server/server.js"`; SIGTERM to npm's pid ends npm and
    // the shell but never reaches node. The server must notice and drain.
    const npm = spawn("npm", ["start"], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: "0", HOST: "127.0.0.1", SESSION_SECRETS: TEST_SESSION_SECRETS, PUBLIC_URL: TEST_PUBLIC_URL, DATABASE_PATH: join(tempDir(), "store.db") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    npm.stdout.on("data", (chunk) => (output += chunk));
    npm.stderr.on("data", (chunk) => (output += chunk));
    await expect.poll(() => listeningUrl(output), { timeout: 30_000 }).toBeDefined();
    const url = new URL(listeningUrl(output)!);
    expect((await fetch(`${url.origin}/health/ready`)).status).toBe(200);

    npm.kill("SIGTERM"); // npm's process alone, as a supervisor without process groups does
    const refused = () =>
      new Promise<boolean>((resolve) => {
        const socket = connect(Number(url.port), "127.0.0.1");
        socket.on("connect", () => (socket.destroy(), resolve(false)));
        socket.on("error", () => resolve(true));
      });
    await expect.poll(refused, { timeout: 10_000, interval: 200 }).toBe(true);
    await expect.poll(() => output, { timeout: 5_000 }).toContain("[store] stopped");
    expect(output).toContain("npm exited: draining");
  });
});

describe("development server (`npm run dev`)", () => {
  it("serves the seeded catalog through Vite, and drains on SIGTERM like production", async () => {
    // Vite's own SIGTERM handler once ended the process mid-drain (exit 143).
    const server = await start({ args: ["server.ts"], env: { NODE_ENV: "development", DATABASE_PATH: join(tempDir(), "store.db") }, timeoutMs: 60_000 });
    expect(server.output()).toContain("(development)");
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(demoProducts.at(-1)!.name);

    const request = await slowRequest(server.url, "/");
    server.child.kill("SIGTERM");
    await expect.poll(() => server.output()).toContain("SIGTERM: draining");
    await delay(300);
    expect(server.child.exitCode).toBeNull(); // still waiting for our request
    expect(await request.finish()).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain("[store] stopped");
  });
});

describe("one mode per entry point", () => {
  it("the built server is production without NODE_ENV, refuses development, and server.ts refuses production", async () => {
    const env = { DATABASE_PATH: join(tempDir(), "store.db") };
    // No NODE_ENV: production, so a missing secret stops it instead of the development one being used.
    const noNodeEnv = spawnServer({ env: { ...env, NODE_ENV: "", SESSION_SECRETS: "" } });
    expect(await noNodeEnv.exited).toBe(1);
    expect(noNodeEnv.output()).toContain("SESSION_SECRETS is required in production");

    const development = spawnServer({ env: { ...env, NODE_ENV: "development" } });
    expect(await development.exited).toBe(1);
    expect(development.output()).toContain("build/server/server.js is the production server, and NODE_ENV is development: for development run `npm run dev`");

    const source = spawnServer({ args: ["server.ts"], env });
    expect(await source.exited).toBe(1);
    expect(source.output()).toContain("in production, run the built server");
    expect(existsSync(env.DATABASE_PATH)).toBe(false);
  });
});

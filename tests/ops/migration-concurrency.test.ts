// Several processes migrating one SQLite file at the same moment: replicas
// starting together, a release step racing the app, a restart overlapping
// the old container. Each migration must be applied exactly once.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { demoProducts } from "#app/db/demo-products.ts";
import { migrate, MIGRATIONS_FOLDER, MIGRATIONS_TABLE, readMigrations } from "#app/db/migrator.server.ts";
import { seedDemoProducts } from "#app/db/seed.server.ts";
import { tempDir } from "#tests/helpers/db.ts";
import { appendMigration } from "#tests/helpers/migrations.ts";
import { delay, listeningUrl, runNode, type ServerProcess, spawnServer, stageApp, startServer, stopServer } from "#tests/helpers/server.ts";

const migrations = readMigrations(MIGRATIONS_FOLDER);

const servers: ServerProcess[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => stopServer(s, "SIGKILL")));
});

/**
 * Holds SQLite's write lock while `start` launches the contenders, then
 * releases it once they are all waiting, so they really do collide instead
 * of happening to run one after another.
 */
async function race<T>(path: string, start: () => T, waitMs = 1500) {
  const blocker = openDatabase(path);
  blocker.$client.prepare("BEGIN IMMEDIATE").run();
  const started = start();
  await delay(waitMs);
  blocker.$client.prepare("COMMIT").run();
  closeDatabase(blocker);
  return started;
}

function history(path: string) {
  const db = openDatabase(path);
  try {
    const exists = db.$client.prepare("SELECT 1 FROM sqlite_master WHERE name = ?").get(MIGRATIONS_TABLE);
    if (!exists) return [];
    return db.$client
      .prepare(`SELECT created_at, count(*) AS n FROM "${MIGRATIONS_TABLE}" GROUP BY created_at ORDER BY created_at`)
      .all() as { created_at: number; n: number }[];
  } finally {
    closeDatabase(db);
  }
}

/** A copy of the app whose drizzle/ has one more migration that only changes data. */
function appWithDataMigration() {
  const dir = stageApp(tempDir("store-race-app-"));
  const tag = "9100_restock_everything";
  // Applied twice, this would add 2: exactly what drizzle-orm issue 874 does.
  appendMigration(join(dir, "drizzle"), tag, "UPDATE `products` SET `stock` = `stock` + 1;");
  return { dir, tag };
}

describe("concurrent migration runners", () => {
  it("six release steps on a fresh file: every migration recorded once, all succeed", async () => {
    const path = join(tempDir(), "store.db");
    const env = { DATABASE_PATH: path };
    const runs = await race(path, () =>
      Array.from({ length: 6 }, () => runNode(["app/cli/cli.ts", "migrate"], { env })),
    );
    const results = await Promise.all(runs);
    for (const r of results) expect(r.code, r.output).toBe(0);
    expect(results.filter((r) => /applied in/.test(r.output))).toHaveLength(1);
    expect(results.filter((r) => r.output.includes("up to date"))).toHaveLength(5);
    expect(history(path)).toEqual(migrations.map((m) => ({ created_at: m.when, n: 1 })));
  });

  it("six processes on an outdated file with data: a data migration runs once, nothing is lost", async () => {
    const path = join(tempDir(), "store.db");
    const db = openDatabase(path);
    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER });
    seedDemoProducts(db);
    const stockBefore = db.$client.prepare("SELECT slug, stock FROM products ORDER BY slug").all() as {
      slug: string;
      stock: number;
    }[];
    closeDatabase(db);

    const app = appWithDataMigration();
    const runs = await race(path, () =>
      Array.from({ length: 6 }, () => runNode(["app/cli/cli.ts", "migrate"], { cwd: app.dir, env: { DATABASE_PATH: path } })),
    );
    const results = await Promise.all(runs);
    for (const r of results) expect(r.code, r.output).toBe(0);
    expect(results.filter((r) => r.output.includes(`applied ${app.tag}`))).toHaveLength(1);

    const after = openDatabase(path);
    const stockAfter = after.$client.prepare("SELECT slug, stock FROM products ORDER BY slug").all();
    expect(stockAfter).toEqual(stockBefore.map((p) => ({ ...p, stock: p.stock + 1 })));
    closeDatabase(after);
    expect(history(path)).toHaveLength(migrations.length + 1);
    expect(history(path).every((row) => row.n === 1)).toBe(true);
    // Every runner copied the database before queueing for the lock; the
    // ones that found nothing left to do threw their copies away.
    const snapshots = readdirSync(join(dirname(path), "backups"));
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]).toMatch(new RegExp(`^pre-migrate_${migrations.at(-1)!.tag}_`));
  });

  it("a release step racing a starting server: both succeed, one applies, the server becomes ready", async () => {
    const path = join(tempDir(), "store.db");
    const env = { DATABASE_PATH: path, SEED_DEMO_DATA: "true" };
    const [server, release] = await race(path, () => {
      const server = spawnServer({ env });
      servers.push({ ...server, url: "" });
      return [server, runNode(["app/cli/cli.ts", "migrate"], { env })] as const;
    });
    const releaseResult = await release;
    expect(releaseResult.code, releaseResult.output).toBe(0);
    await expect.poll(() => server.output(), { timeout: 20_000 }).toContain("listening on");
    const appliedBy = [releaseResult.output, server.output()].filter((o) => /applied in/.test(o));
    expect(appliedBy).toHaveLength(1);
    expect(history(path)).toEqual(migrations.map((m) => ({ created_at: m.when, n: 1 })));
    const url = listeningUrl(server.output())!;
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    expect(await stopServer({ ...server, url })).toBe(0);
  });

  it("three replicas starting together on a fresh file: one migrates and seeds, all become ready", async () => {
    const path = join(tempDir(), "store.db");
    const env = { DATABASE_PATH: path, SEED_DEMO_DATA: "true" };
    const replicas = await race(path, () =>
      Array.from({ length: 3 }, () => {
        const server = spawnServer({ env });
        servers.push({ ...server, url: "" });
        return server;
      }),
    );
    for (const replica of replicas) {
      await expect.poll(() => replica.output(), { timeout: 20_000 }).toContain("listening on");
    }
    const logs = replicas.map((r) => r.output());
    expect(logs.filter((log) => /applied in/.test(log))).toHaveLength(1);
    expect(logs.filter((log) => log.includes("seeded"))).toHaveLength(1);
    for (const replica of replicas) {
      const url = listeningUrl(replica.output())!;
      expect((await fetch(`${url}/health/ready`)).status).toBe(200);
      expect(await stopServer({ ...replica, url })).toBe(0);
    }
    expect(history(path)).toEqual(migrations.map((m) => ({ created_at: m.when, n: 1 })));
    const db = openDatabase(path);
    expect(db.$client.prepare("SELECT count(*) AS n FROM products").get()).toEqual({ n: demoProducts.length });
    closeDatabase(db);
  });

  it("gives up after the lock timeout with a clear message, applying nothing", async () => {
    const path = join(tempDir(), "store.db");
    const blocker = openDatabase(path);
    blocker.$client.prepare("BEGIN IMMEDIATE").run();
    try {
      const result = await runNode(["app/cli/cli.ts", "migrate"], {
        env: { DATABASE_PATH: path, MIGRATION_LOCK_TIMEOUT_MS: "300" },
      });
      expect(result.code).toBe(1);
      expect(result.output).toContain(
        "migrate failed: timed out after 300 ms waiting for the database write lock (another process is migrating or holding a long write); nothing was applied",
      );
    } finally {
      blocker.$client.prepare("ROLLBACK").run();
      closeDatabase(blocker);
    }
    expect(history(path)).toEqual([]);
  });
});

describe("MIGRATE_ON_START=false", () => {
  it("serves nothing from the old schema until the release step has run, then becomes ready", async () => {
    const path = join(tempDir(), "store.db");
    const db = openDatabase(path);
    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: migrations[0]!.tag });
    closeDatabase(db);

    const env = { DATABASE_PATH: path, MIGRATE_ON_START: "false", SEED_DEMO_DATA: "true" };
    const server = await startServer({ env });
    servers.push(server);
    const pendingTags = migrations.slice(1).map((m) => m.tag);
    expect(server.output()).toContain(`migrations: ${pendingTags.length} pending (${pendingTags.join(", ")})`);
    expect(history(path)).toHaveLength(1); // the server applied nothing

    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: "unavailable" });
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
    const page = await fetch(server.url);
    expect(page.status).toBe(503);
    expect(page.headers.get("retry-after")).toBe("5");
    expect(await page.text()).toContain("The store is being updated");

    const release = await runNode(["app/cli/cli.ts", "migrate"], { env });
    expect(release.code, release.output).toBe(0);
    await expect
      .poll(async () => (await fetch(`${server.url}/health/ready`)).status, { timeout: 10_000, interval: 250 })
      .toBe(200);
    expect(server.output()).toContain("migrations: applied by another process; ready");
    const catalog = await fetch(server.url);
    expect(catalog.status).toBe(200);
    expect(await catalog.text()).toContain(demoProducts.at(-1)!.name);
    expect(await stopServer(server)).toBe(0);
  });
});

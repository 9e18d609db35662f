// The Docker image's runtime contract, rehearsed without a Docker engine:
// exactly the files the runtime stage copies, production dependencies only,
// NODE_ENV from the image, the image's USER, a fresh folder as the bind
// mount, the image's CMD and HEALTHCHECK.
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { integrityProblem } from "#app/db/backup.server.ts";
import { demoProducts } from "#app/db/demo-products.ts";
import { MIGRATIONS_FOLDER, readMigrations } from "#app/db/migrator.server.ts";
import { tempDir } from "#tests/helpers/db.ts";
import { appendMigration } from "#tests/helpers/migrations.ts";
import { execForm, stageEnv, stageRuntime, type Stage } from "#tests/helpers/dockerfile.ts";
import { freePort, runNode, spawnServer, startServer, stopServer, TEST_SESSION_SECRET, type ServerProcess } from "#tests/helpers/server.ts";
import { browser, PASSWORD, PNG, productForm } from "#tests/helpers/staff.ts";

// The image runs as USER node (uid/gid 1000). As root we can do the same;
// otherwise we run as ourselves, which is just as unprivileged.
const asRoot = process.getuid?.() === 0;
const user = asRoot ? { uid: 1000, gid: 1000 } : {};

function instruction(stage: Stage, keyword: string) {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1)?.args;
}

function dataDir() {
  const dir = tempDir("store-volume-");
  if (asRoot) chownSync(dir, 1000, 1000);
  return dir;
}

describe("the runtime image, rehearsed", () => {
  let image: { dir: string; stage: Stage };
  let command: string[];
  let baseEnv: Record<string, string>;
  const running: ServerProcess[] = [];

  beforeAll(() => {
    image = stageRuntime();
    command = execForm(instruction(image.stage, "CMD")!)!;
    baseEnv = {
      ...stageEnv(image.stage),
      // What an operator's .env provides (see .env.example).
      SESSION_SECRET: TEST_SESSION_SECRET,
      SEED_DEMO_DATA: "true",
    };
  }, 180_000);

  afterAll(async () => {
    await Promise.all(running.map((s) => stopServer(s, "SIGKILL")));
  });

  async function boot(volume: string, port: number, extra: Record<string, string> = {}) {
    expect(command[0]).toBe("node");
    const server = await startServer({
      cwd: image.dir,
      args: command.slice(1),
      env: { ...baseEnv, PORT: String(port), HOST: "127.0.0.1", DATABASE_PATH: join(volume, "store.db"), ...extra },
      ...user,
    });
    running.push(server);
    return server;
  }

  it("holds production dependencies only, and no database", () => {
    const modules = join(image.dir, "node_modules");
    for (const needed of ["drizzle-orm", "better-sqlite3", "react-router", "express", "zod"]) {
      expect(existsSync(join(modules, needed)), needed).toBe(true);
    }
    for (const devOnly of ["drizzle-kit", "vite", "@react-router/dev", "vitest", "typescript"]) {
      expect(existsSync(join(modules, devOnly)), devOnly).toBe(false);
    }
    expect(existsSync(join(image.dir, "build", "server", "index.js"))).toBe(true);
    expect(readdirSync(join(image.dir, "drizzle")).some((f) => f.endsWith(".sql"))).toBe(true);
    expect(existsSync(join(image.dir, "data"))).toBe(false);
    expect(stageEnv(image.stage)).toEqual({ NODE_ENV: "production" });
  });

  it("starts on an empty volume, serves, drains on SIGTERM, restarts with its data, and applies an upgrade once", async () => {
    const volume = dataDir();
    const port = await freePort();
    const databasePath = join(volume, "store.db");
    const migrationCount = readMigrations(MIGRATIONS_FOLDER).length;

    // First start: migrate a fresh file, seed, serve.
    let server = await boot(volume, port);
    const healthcheck = execForm(instruction(image.stage, "HEALTHCHECK")!)!;
    expect(healthcheck[0]).toBe("node");
    const probe = () =>
      execFileSync(process.execPath, healthcheck.slice(1), { env: { PORT: String(port) }, stdio: "pipe" });
    expect(probe).not.toThrow();
    const page = await (await fetch(`${server.url}/products/stoneware-mug`)).text();
    expect(page).toContain("Stoneware Mug");
    expect(await stopServer(server)).toBe(0);
    expect(server.output()).toContain("[store] stopped");
    expect(() => probe()).toThrow(); // nothing listening: the healthcheck fails

    // Data written while it ran stays across restarts.
    const sqlite = new Database(databasePath);
    sqlite
      .prepare(
        `INSERT INTO orders (public_id, number, checkout_token, email, customer_name, address_line1, city, postal_code, country, total_cents)
         VALUES ('pub-r', 'R1', 'tok-r', 'grace@example.com', 'Grace', '2 Side St', 'Shelbyville', '54321', 'US', 4500)`,
      )
      .run();
    sqlite.close();
    server = await boot(volume, port);
    expect(server.output()).toContain("migrations: up to date");
    expect(existsSync(join(volume, "backups"))).toBe(false); // nothing pending: no snapshot
    expect(await stopServer(server)).toBe(0);

    // Upgrade: the next image carries one more migration.
    const journal = readMigrations(join(image.dir, "drizzle"));
    const previous = journal.at(-1)!;
    const tag = "9000_add_gift_note_to_orders";
    const undo = appendMigration(
      join(image.dir, "drizzle"),
      tag,
      "ALTER TABLE `orders` ADD `gift_note` text DEFAULT '' NOT NULL;",
    );
    try {
      server = await boot(volume, port);
      expect(server.output()).toContain(`migrations: applied ${tag}`);
      expect(server.output()).toMatch(/migrations: snapshot .*pre-migrate_/);
      const snapshots = readdirSync(join(volume, "backups"));
      expect(snapshots).toHaveLength(1);
      expect(snapshots[0]).toMatch(new RegExp(`^pre-migrate_${previous.tag}_.*\\.db$`));
      const snapshotPath = join(volume, "backups", snapshots[0]!);
      expect(integrityProblem(snapshotPath)).toBeNull();
      const snapshot = new Database(snapshotPath, { readonly: true });
      const snapshotColumns = (snapshot.pragma("table_info(orders)") as { name: string }[]).map((c) => c.name);
      expect(snapshotColumns).not.toContain("gift_note"); // taken before the migration
      expect(snapshot.prepare("SELECT count(*) AS n FROM orders").get()).toEqual({ n: 1 });
      snapshot.close();
      expect(await stopServer(server)).toBe(0);

      server = await boot(volume, port);
      expect(server.output()).toContain("migrations: up to date");
      expect(await stopServer(server)).toBe(0);

      const db = new Database(databasePath, { readonly: true });
      const applied = db.prepare("SELECT created_at, count(*) AS n FROM __drizzle_migrations GROUP BY created_at").all();
      expect(applied).toHaveLength(migrationCount + 1);
      expect(applied.every((row) => (row as { n: number }).n === 1)).toBe(true);
      expect(db.prepare("SELECT email, gift_note FROM orders").all()).toEqual([{ email: "grace@example.com", gift_note: "" }]);
      expect(db.prepare("SELECT count(*) AS n FROM products").get()).toEqual({ n: demoProducts.length });
      db.close();
    } finally {
      undo(); // leave the staged image as the Dockerfile made it for the other tests
    }
  });

  it("runs the release step with the same image, no drizzle-kit and no session secret", async () => {
    const volume = dataDir();
    // What the Kubernetes Job and `docker compose run … migrate` give it: no
    // SESSION_SECRET, which only the web server needs.
    const env = { ...stageEnv(image.stage), SESSION_SECRET: "", DATABASE_PATH: join(volume, "store.db") };
    const first = await runNode(["app/db/cli.ts", "migrate"], { cwd: image.dir, env, ...user });
    expect(first.output).toMatch(/migrations: \d+ applied/);
    expect(first.code).toBe(0);
    const second = await runNode(["app/db/cli.ts", "migrate"], { cwd: image.dir, env, ...user });
    expect(second.output).toContain("migrations: up to date");
    expect(second.code).toBe(0);

    const status = await runNode(["app/db/cli.ts", "status"], { cwd: image.dir, env, ...user });
    expect(status.code, status.output).toBe(0);
    expect(status.output).toContain("0 pending");

    // With MIGRATE_ON_START=false the server trusts the release step.
    const server = await boot(volume, await freePort(), { MIGRATE_ON_START: "false" });
    expect(server.output()).toContain("migrations: up to date (MIGRATE_ON_START=false)");
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    expect(await stopServer(server)).toBe(0);
  });

  it("creates the first owner with the image's own CLI; they sign in and upload an image that lives on the volume", async () => {
    const volume = dataDir();
    const env = { ...stageEnv(image.stage), SESSION_SECRET: "", DATABASE_PATH: join(volume, "store.db") };
    expect((await runNode(["app/db/cli.ts", "migrate"], { cwd: image.dir, env, ...user })).code).toBe(0);
    // docker compose run --rm store node app/db/cli.ts staff create …
    const created = await runNode(
      ["app/db/cli.ts", "staff", "create", "--email", "Owner@Example.com", "--role", "owner", "--url", "https://shop.example"],
      { cwd: image.dir, env, ...user },
    );
    expect(created.code, created.output).toBe(0);
    expect(created.output).toContain("created owner account owner@example.com");
    const link = /https:\/\/shop\.example(\/admin\/welcome\/[\w-]{43})/.exec(created.output)?.[1];
    expect(link).toBeDefined();

    const server = await boot(volume, await freePort());
    const owner = browser(server.url);
    expect((await owner.get(link!)).status).toBe(200);
    const welcomed = await owner.post(link!, { password: PASSWORD, confirm: PASSWORD });
    expect([welcomed.status, welcomed.location]).toEqual([302, "/admin"]);
    expect((await owner.get("/admin")).status).toBe(200);
    expect((await owner.get(link!)).status).toBe(404); // used up

    const saved = await owner.post(
      "/admin/products/new",
      productForm({ name: "Volume Vase", sku: "VOL-1", price: "19.00", stock: "3", description: "Kept on the volume." }, { bytes: PNG, name: "vase.png", type: "image/png" }),
    );
    expect(saved.status, saved.html).toBe(302);
    const edit = await owner.get(saved.location!);
    const src = /src="(\/uploads\/products\/[0-9a-f]{64}\.png)"/.exec(edit.html)?.[1];
    expect(src).toBeDefined();
    expect(readdirSync(join(volume, "uploads", "products"))).toEqual([src!.split("/").pop()]);
    const served = await fetch(`${server.url}${src}`);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("image/png");
    expect(served.headers.get("cache-control")).toContain("immutable");
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(PNG);
    expect(await stopServer(server)).toBe(0);

    const check = await runNode(["app/db/cli.ts", "inventory", "check"], { cwd: image.dir, env, ...user });
    expect(check.code, check.output).toBe(0);
  });

  it("fails at once, naming the folder, the user and the fix, when the volume is not writable", async () => {
      const volume = tempDir("store-root-owned-");
      chmodSync(volume, 0o755);
      mkdirSync(join(volume, "data"), { mode: 0o755 });
      const mount = join(volume, "data");
      if (!asRoot) execFileSync("chmod", ["555", mount]);
      // As root: the folder stays root-owned while the server runs as uid 1000.
      const server = spawnServer({
        cwd: image.dir,
        args: command.slice(1),
        env: { ...baseEnv, PORT: "0", DATABASE_PATH: join(mount, "store.db") },
        ...user,
      });
      expect(await server.exited).toBe(1);
      const log = server.output();
      const uid = asRoot ? 1000 : process.getuid!();
      expect(log).toContain(`${mount} is not writable by the server (running as uid ${uid}, gid ${asRoot ? 1000 : process.getgid!()})`);
      expect(log).toContain(`sudo chown -R ${uid}:`);
      expect(log).not.toContain("listening");
      expect(readdirSync(mount)).toEqual([]);
  });
});

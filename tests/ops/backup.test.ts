// Backups, restores and pre-migration snapshots on real files, with the
// real server and a real writer running.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { applyMigrations } from "#app/db/apply-migrations.server.ts";
import {
  backupDatabase,
  BackupError,
  integrityProblem,
  pruneSnapshots,
  restoreDatabase,
  snapshotBeforeMigrate,
} from "#app/db/backup.server.ts";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { migrate, MIGRATIONS_FOLDER, readMigrations } from "#app/db/migrator.server.ts";
import { seedDemoProducts } from "#app/db/seed.server.ts";
import { freshDatabase, PROJECT_ROOT, tempDir } from "#tests/helpers/db.ts";
import { runCliInProcess } from "#tests/helpers/cli.ts";
import { runNode, startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";

const servers: ServerProcess[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => stopServer(s, "SIGKILL")));
});

const orderInsert = `INSERT INTO orders (public_id, number, checkout_token, email, customer_name, address_line1, city, postal_code, country, total_cents)
  VALUES ('p' || @i, 'n' || @i, 't' || @i, 'buyer@example.com', 'Buyer', '1 Road', 'Town', '00000', 'US', 100)`;

/** A separate process committing one order per transaction, as fast as it can. */
function startWriter(path: string) {
  const script = `
    import Database from "better-sqlite3";
    const db = new Database(${JSON.stringify(path)});
    db.pragma("busy_timeout = 5000");
    const insert = db.prepare(${JSON.stringify(orderInsert)});
    let i = 0, stop = false;
    process.on("SIGTERM", () => { stop = true; });
    const tick = () => { if (stop) { db.close(); process.exit(0); } insert.run({ i: String(++i) }); setImmediate(tick); };
    tick();`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: PROJECT_ROOT, stdio: "inherit" });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  return { stop: () => (child.kill("SIGTERM"), exited) };
}

function count(path: string, sql: string) {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe("online backup", () => {
  it("while the store serves and orders pour in: has every order committed before it started, and checks out", async () => {
    const dir = tempDir();
    const path = join(dir, "store.db");
    const server = await startServer({ env: { DATABASE_PATH: path, SEED_DEMO_DATA: "true" } });
    servers.push(server);
    const writer = startWriter(path);
    try {
      await expect.poll(() => count(path, "SELECT count(*) AS n FROM orders"), { timeout: 10_000 }).toBeGreaterThan(500);
      const committedBefore = count(path, "SELECT max(id) AS n FROM orders");
      const target = join(dir, "nightly.db");
      const result = await runNode(["app/cli/cli.ts", "backup", target], { env: { DATABASE_PATH: path } });
      expect(result.code, result.output).toBe(0);
      expect(result.output).toMatch(/backup written to .*nightly\.db .*integrity ok/);
      // The store kept taking orders and pages during the backup.
      expect((await fetch(server.url)).status).toBe(200);
      await expect.poll(() => count(path, "SELECT max(id) AS n FROM orders")).toBeGreaterThan(committedBefore);

      expect(integrityProblem(target)).toBeNull();
      expect(count(target, `SELECT count(*) AS n FROM orders WHERE id <= ${committedBefore}`)).toBe(committedBefore);
      expect(count(target, "SELECT count(*) AS n FROM products")).toBe(count(path, "SELECT count(*) AS n FROM products"));
      expect(existsSync(`${target}.partial`)).toBe(false);
    } finally {
      await writer.stop();
      await stopServer(server);
    }
  });

  it("refuses to overwrite an existing file", () => {
    const { db, path } = freshDatabase();
    closeDatabase(db);
    const target = join(tempDir(), "taken.db");
    writeFileSync(target, "precious");
    expect(() => backupDatabase(path, target)).toThrow(/already exists/);
    expect(readFileSync(target, "utf8")).toBe("precious");
  });
});

describe("restore", () => {
  function storeWithBackup() {
    const dir = tempDir();
    const path = join(dir, "store.db");
    const db = openDatabase(path);
    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER });
    seedDemoProducts(db);
    for (let i = 1; i <= 10; i++) db.$client.prepare(orderInsert).run({ i: String(i) });
    closeDatabase(db);
    const backup = join(dir, "backup.db");
    backupDatabase(path, backup);
    // Life goes on after the backup: more orders, a product gone.
    const later = openDatabase(path);
    for (let i = 11; i <= 15; i++) later.$client.prepare(orderInsert).run({ i: String(i) });
    // (with its stock history: the ledger's foreign key keeps a product that has one)
    later.$client.prepare("DELETE FROM stock_movements WHERE product_id = (SELECT id FROM products WHERE slug = 'wool-throw')").run();
    later.$client.prepare("DELETE FROM products WHERE slug = 'wool-throw'").run();
    closeDatabase(later);
    return { dir, path, backup, env: { DATABASE_PATH: path } };
  }

  it("puts a backup in place when the server is stopped, keeping the replaced database", async () => {
    const { dir, path, backup, env } = storeWithBackup();
    const result = await runNode(["app/cli/cli.ts", "restore", backup], { env });
    expect(result.code, result.output).toBe(0);
    expect(count(path, "SELECT count(*) AS n FROM orders")).toBe(10);
    expect(count(path, "SELECT count(*) AS n FROM products WHERE slug = 'wool-throw'")).toBe(1);
    expect(integrityProblem(path)).toBeNull();
    const kept = readdirSync(join(dir, "backups")).filter((f) => f.startsWith("pre-restore_"));
    expect(kept).toHaveLength(1);
    expect(count(join(dir, "backups", kept[0]!), "SELECT count(*) AS n FROM orders")).toBe(15);
    expect(existsSync(`${path}.restoring`)).toBe(false);

    // The restored file is a working store database.
    const server = await startServer({ env });
    servers.push(server);
    expect(server.output()).toContain("migrations: up to date");
    expect(await (await fetch(`${server.url}/products/wool-throw`)).text()).toContain("Wool Throw");
    expect(await stopServer(server)).toBe(0);
  });

  it("refuses while the server is running, and changes nothing", async () => {
    const { path, backup, env } = storeWithBackup();
    const server = await startServer({ env });
    servers.push(server);
    const before = statSync(path).ino;
    const result = await runCliInProcess(["restore", backup], { env });
    expect(result.code).toBe(1);
    expect(result.output).toContain("is in use by another process (is the server running?)");
    expect(statSync(path).ino).toBe(before);
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    expect(await stopServer(server)).toBe(0);
    expect(count(path, "SELECT count(*) AS n FROM orders")).toBe(15);
  });

  it("refuses a damaged file or one that is not a store database, and changes nothing", async () => {
    const { dir, path, backup, env } = storeWithBackup();
    const damaged = join(dir, "damaged.db");
    const bytes = readFileSync(backup);
    // Scribble over the middle of the file: pages of tables and indexes.
    bytes.fill(0x5a, 4096 * 2, bytes.length - 4096);
    writeFileSync(damaged, bytes);
    const garbage = join(dir, "garbage.db");
    writeFileSync(garbage, "this is not a database, it only has the name of one");
    const stranger = join(dir, "stranger.db");
    new Database(stranger).exec("CREATE TABLE notes (body text)");

    for (const [file, reason] of [
      [damaged, "failed PRAGMA integrity_check"],
      [garbage, "failed PRAGMA integrity_check: file is not a database"],
      [stranger, "not a backup of this store"],
      [join(dir, "missing.db"), "no backup at"],
    ] as const) {
      const result = await runCliInProcess(["restore", file], { env });
      expect(result.code, file).toBe(1);
      expect(result.output).toContain(reason);
    }
    expect(count(path, "SELECT count(*) AS n FROM orders")).toBe(15);
    expect(existsSync(join(dir, "backups"))).toBe(false);
  });

  it("throws BackupError rather than restoring under a connection that is using the database", () => {
    const { path, backup } = storeWithBackup();
    const open = new Database(path);
    // A WAL connection holds its shared lock once it has read something, as
    // the server does from its first migration check on.
    open.prepare("SELECT count(*) FROM products").get();
    try {
      expect(() => restoreDatabase(backup, path)).toThrow(BackupError);
    } finally {
      open.close();
    }
  });
});

describe("snapshots before migrating", () => {
  it("are taken for a database with history, named after its last migration, and pruned to the newest few", () => {
    const all = readMigrations(MIGRATIONS_FOLDER);
    const dir = tempDir();
    const path = join(dir, "store.db");
    const db = openDatabase(path);
    const log: string[] = [];
    const options = { databasePath: path, lockTimeoutMs: 1000, keepSnapshots: 2, log: (m: string) => log.push(m) };

    // A fresh file has nothing to lose: no snapshot.
    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: all[0]!.tag });
    expect(existsSync(join(dir, "backups"))).toBe(false);
    db.$client.prepare("INSERT INTO products (slug, name, description, price_cents, stock, image) VALUES ('a', 'A', 'a', 1, 1, '/a.svg')").run();

    applyMigrations(db, options);
    const [first] = readdirSync(join(dir, "backups"));
    expect(first).toMatch(new RegExp(`^pre-migrate_${all[0]!.tag}_.+\\.db$`));
    expect(log.some((line) => line.startsWith("migrations: snapshot ") && line.includes(first!))).toBe(true);
    expect(count(join(dir, "backups", first!), "SELECT count(*) AS n FROM products")).toBe(1);
    closeDatabase(db);

    for (let i = 0; i < 3; i++) snapshotBeforeMigrate(path, `manual_${i}`);
    pruneSnapshots(path, 2);
    const left = readdirSync(join(dir, "backups")).sort();
    expect(left).toHaveLength(2);
    expect(left.every((f) => /^pre-migrate_manual_[12]_/.test(f))).toBe(true);

    // A snapshot another runner deletes between the listing and its stat
    // (a dangling link stands for it): skipped, not a failed start.
    symlinkSync(join(dir, "gone.db"), join(dir, "backups", "pre-migrate_gone_2000-01-01.db"));
    expect(() => pruneSnapshots(path, 1)).not.toThrow();
    expect(readdirSync(join(dir, "backups")).filter((f) => /^pre-migrate_manual_/.test(f))).toHaveLength(1);
  });
});

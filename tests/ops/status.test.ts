// `npm run db:status` as an operator runs it: a child process reading the
// database at DATABASE_PATH, in a copy of the app without drizzle-kit. What
// it says of each database is checked in-process (runCli, the same code),
// but where the copy's own drizzle/ is the scenario.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { migrate, MIGRATIONS_FOLDER, readMigrations } from "#app/db/migrator.server.ts";
import { runCliWith } from "#tests/helpers/cli.ts";
import { PROJECT_ROOT, tempDir } from "#tests/helpers/db.ts";
import { migrationsFolderUpTo } from "#tests/helpers/migrations.ts";

/** The app as the production image has it: no devDependencies, so no drizzle-kit. */
function stageWithoutDrizzleKit() {
  const dir = tempDir("store-status-");
  for (const entry of ["app", "drizzle", "package.json"]) cpSync(join(PROJECT_ROOT, entry), join(dir, entry), { recursive: true });
  mkdirSync(join(dir, "node_modules"));
  for (const name of readdirSync(join(PROJECT_ROOT, "node_modules"))) {
    if (name === "drizzle-kit" || name === ".bin") continue;
    symlinkSync(join(PROJECT_ROOT, "node_modules", name), join(dir, "node_modules", name));
  }
  return dir;
}

let app: string;
beforeAll(() => {
  app = stageWithoutDrizzleKit();
});

function status(databasePath: string, env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, ["app/cli/cli.ts", "status"], {
    cwd: app,
    env: { PATH: process.env.PATH, DATABASE_PATH: databasePath, ...env },
    encoding: "utf8",
  });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

/** The same, in-process, on this checkout's drizzle/ (the copy's is the same). */
async function statusInProcess(databasePath: string, env: Record<string, string> = {}) {
  const run = await runCliWith(["status"], { env: { DATABASE_PATH: databasePath, ...env } });
  return { code: run.code, out: run.stdout, err: run.stderr };
}

function databaseAt(to?: string, folder = MIGRATIONS_FOLDER) {
  const path = join(tempDir(), "store.db");
  const db = openDatabase(path);
  migrate(db.$client, { migrationsFolder: folder, to });
  closeDatabase(db);
  return path;
}

const all = readMigrations(MIGRATIONS_FOLDER).map((m) => m.tag);

describe("db:status", () => {
  it("runs where drizzle-kit is not installed", () => {
    const probe = spawnSync(process.execPath, ["-e", "import('drizzle-kit').then(() => process.exit(0), () => process.exit(3))"], {
      cwd: app,
      encoding: "utf8",
    });
    expect(probe.status).toBe(3);
    expect(status(databaseAt()).code).toBe(0);
  });

  it("lists applied and pending migrations by name, with the journal time, and says what that time is", async () => {
    const path = databaseAt("0002_add_sku_to_products");
    const { code, out, err } = await statusInProcess(path);
    expect(err).toBe("");
    expect(code).toBe(0);
    const when = (tag: string) => readMigrations(MIGRATIONS_FOLDER).find((m) => m.tag === tag)!.when;
    const stamp = (tag: string) => new Date(when(tag)).toISOString().slice(0, 19).replace("T", " ");
    expect(out).toMatch(new RegExp(`^  applied  0000_create_store_tables +${stamp("0000_create_store_tables")} UTC$`, "m"));
    expect(out).toMatch(/^ {2}applied {2}0002_add_sku_to_products +\S+ \S+ UTC$/m);
    expect(out).toMatch(new RegExp(`^  pending  0003_backfill_product_skus +${stamp("0003_backfill_product_skus")} UTC$`, "m"));
    expect(out).toContain(`3 applied, ${all.length - 3} pending.`);
    expect(out).toContain("when drizzle-kit generated it");
    expect(out).toContain(`database:   ${path}`);
    // Reading left nothing behind next to the database.
    expect(readdirSync(join(path, ".."))).toEqual(["store.db"]);
  });

  it("counts the email waiting and failed, and says when production keeps it queued for want of SMTP_URL", async () => {
    const path = databaseAt();
    const db = openDatabase(path);
    db.$client.exec(`
      INSERT INTO staff (email, role) VALUES ('clerk@example.com', 'staff');
      INSERT INTO outbox_messages (kind, staff_id, link, message_id, status, due_at_ms, created_at_ms, queued_at_ms) VALUES
        ('staff_invitation', 1, 'x', '<a@x>', 'queued', 0, 0, 0),
        ('staff_sign_in_link', 1, 'y', '<b@x>', 'queued', 0, 0, 0),
        ('staff_sign_in_link', 1, NULL, '<c@x>', 'failed', 0, 0, 0);`);
    closeDatabase(db);
    const production = { NODE_ENV: "production" };
    expect((await statusInProcess(path, production)).out).toContain("email: 2 queued, 1 failed");
    expect((await statusInProcess(path, production)).out).toContain("email: SMTP_URL is not set, so these stay queued");
    const configured = await statusInProcess(path, { ...production, SMTP_URL: "smtp://mail.example:587", MAIL_FROM: "Shop <shop@example.com>" });
    expect(configured.code).toBe(0);
    expect(configured.out).toContain("email: 2 queued, 1 failed");
    expect(configured.out).not.toContain("SMTP_URL is not set");
  });

  it("does not create a database that is not there", async () => {
    const path = join(tempDir(), "missing", "store.db");
    const { code, out } = await statusInProcess(path);
    expect(code).toBe(0);
    expect(out).toContain(`No database yet: the server's first start (or npm run db:migrate) creates it and applies all ${all.length}.`);
    expect(existsSync(join(path, ".."))).toBe(false);
  });

  it("exits 1 when an applied migration's file was edited afterwards", () => {
    const path = databaseAt();
    const file = join(app, "drizzle", "0003_backfill_product_skus.sql");
    const original = readFileSync(file, "utf8");
    writeFileSync(file, `${original}\n-- tweaked after it shipped\n`);
    try {
      const { code, out } = status(path);
      expect(code).toBe(1);
      expect(out).toMatch(/applied {2}0003_backfill_product_skus .* FILE CHANGED since it was applied/);
      expect(out).toContain("problem: 0003_backfill_product_skus was applied, then its file changed.");
    } finally {
      writeFileSync(file, original);
    }
  });

  it("exits 1 when the database has a migration this code does not know (an older image)", async () => {
    const newer = migrationsFolderUpTo(all.at(-1)!, { tag: "9999_from_the_future", sql: "CREATE TABLE later (id integer);" });
    const { code, out } = await statusInProcess(databaseAt(undefined, newer));
    expect(code).toBe(1);
    expect(out).toMatch(/applied {2}\(no file\)/);
    expect(out).toContain("that no file here matches: it was migrated by newer code than this");
  });
});

// The CLI commands the README's scripts table, docs/admin.md and
// docs/operations.md give an operator, on real database files. Each family's
// first run is as an operator runs it (`node app/cli/cli.ts …`, which `npm
// run db:…`, `staff:…` and `inventory:…` call); the rest call the same
// function in-process (`runCli`). Where a command decides who may sign in, a
// running store is asked over HTTP.
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase } from "#app/db/connection.server.ts";
import { demoProducts } from "#app/db/demo-products.ts";
import { products, staff, stockMovements } from "#app/db/schema.ts";
import { seedDemoProducts } from "#app/db/seed.server.ts";
import { ledgerDrift } from "#app/store/inventory.server.ts";
import { damageTable, freshDatabase, openForTest, productBySlug, tempDir } from "#tests/helpers/db.ts";
import { appendMigration } from "#tests/helpers/migrations.ts";
import { runCliInProcess } from "#tests/helpers/cli.ts";
import { runNode, stageApp, startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { browser } from "#tests/helpers/staff.ts";

/** `node app/cli/cli.ts <args>` on the database at `path`: a process, as an operator runs it. */
const cliProcess = (path: string, args: string[], options: { input?: string; env?: Record<string, string>; cwd?: string } = {}) =>
  runNode(["app/cli/cli.ts", ...args], { cwd: options.cwd, input: options.input, env: { DATABASE_PATH: path, ...options.env } });

/** The same command line in-process, on the database at `path`. */
const cli = (path: string, args: string[], options: { input?: string; env?: Record<string, string> } = {}) =>
  runCliInProcess(args, { input: options.input, env: { DATABASE_PATH: path, ...options.env } });

/** The path of the one-time link a command printed (the host part is the store's business). */
const linkPath = (output: string) => /(\/admin\/welcome\/[\w-]{43})\s/.exec(output)?.[1];

/** A long random password, as a password manager makes. */
const randomPassword = () => randomBytes(24).toString("base64url");

// Each test runs the CLI several times: room for a busy machine.
const SLOW = { timeout: 180_000 };

/** A migrated database file with the demo catalog, closed. */
function seededFile() {
  const { db, path } = freshDatabase();
  seedDemoProducts(db);
  closeDatabase(db);
  return path;
}

// One store for these tests, which build on each other: the owner the first
// one creates is the store's only owner in the last.
describe("staff accounts (docs/admin.md), with the store running", SLOW, () => {
  let server: ServerProcess;
  let path: string;
  beforeAll(async () => {
    path = join(tempDir("store-cli-staff-"), "store.db");
    server = await startServer({ env: { DATABASE_PATH: path, SEED_DEMO_DATA: "true" } });
  });
  afterAll(async () => {
    if (server) await stopServer(server);
  });

  const signIn = (email: string, password: string) => browser(server.url).post("/admin/sign-in", { email, password });

  it("create --password-stdin: the piped password signs in, nothing else does, and it is never printed", async () => {
    const password = randomPassword();
    const created = await cliProcess(path, ["staff", "create", "--email", "Owner@Example.com", "--role", "owner", "--password-stdin"], {
      input: `${password}\n`, // as `echo` pipes it: the newline is not part of it
    });
    expect(created.code, created.output).toBe(0);
    expect(created.output).toContain("created owner account owner@example.com");
    expect(created.output).toMatch(/password set; sign in at \S+\/admin\/sign-in\n/);
    expect(created.output).not.toContain(password);
    expect(linkPath(created.output)).toBeUndefined(); // no link when a password was given

    const accepted = await signIn("owner@example.com", password);
    expect([accepted.status, accepted.location]).toEqual([302, "/admin"]);
    expect((await signIn("owner@example.com", `${password}\n`)).status).toBe(401);
    expect((await signIn("owner@example.com", password.slice(0, -1))).status).toBe(401);

    // A password the form would refuse is refused here too, before anything is created.
    const short = await cli(path, ["staff", "create", "--email", "short@example.com", "--role", "staff", "--password-stdin"], { input: "short" });
    expect(short.code).toBe(1);
    expect(short.output).toContain("staff failed: password refused:");
    const db = openForTest(path);
    expect(db.select().from(staff).where(eq(staff.email, "short@example.com")).get()).toBeUndefined();
    // And an email that has an account already.
    const twice = await cli(path, ["staff", "create", "--email", "owner@example.com", "--role", "staff", "--password-stdin"], { input: randomPassword() });
    expect(twice.code).toBe(1);
    expect(twice.output).toContain("There is already an account for owner@example.com.");
  });

  it("create without a password and link print one-time links; a new link replaces the unused one", async () => {
    const created = await cli(path, ["staff", "create", "--email", "clerk@example.com", "--role", "staff"]);
    expect(created.code, created.output).toBe(0);
    expect(created.output).toContain("created staff account clerk@example.com");
    expect(created.output).toContain("sign-in link for clerk@example.com (works once, for 24 hours");
    const first = linkPath(created.output)!;
    expect(first).toBeDefined();

    // Lost before it was used: `staff link` makes another, and the first stops working.
    const linked = await cli(path, ["staff", "link", "--email", "CLERK@example.com"]);
    expect(linked.code, linked.output).toBe(0);
    const second = linkPath(linked.output)!;
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    const clerk = browser(server.url);
    expect((await clerk.get(first)).status).toBe(404);
    const welcome = await clerk.get(second);
    expect(welcome.status).toBe(200);
    expect(welcome.html).toContain("clerk@example.com");
    const password = randomPassword();
    const chosen = await clerk.post(second, { password, confirm: password });
    expect([chosen.status, chosen.location]).toEqual([302, "/admin"]);
    expect((await clerk.get("/admin")).status).toBe(200);
    expect((await clerk.get(second)).status).toBe(404); // used

    const nobody = await cli(path, ["staff", "link", "--email", "nobody@example.com"]);
    expect(nobody.code).toBe(1);
    expect(nobody.output).toContain("staff failed: there is no account for nobody@example.com");
  });

  it("disable signs the account out everywhere and refuses its sign-in; enable lets it sign in again; list shows each state", async () => {
    const password = randomPassword();
    expect((await cli(path, ["staff", "create", "--email", "temp@example.com", "--role", "staff", "--password-stdin"], { input: password })).code).toBe(0);
    expect((await cli(path, ["staff", "create", "--email", "later@example.com", "--role", "staff"])).code).toBe(0);
    const signedIn = browser(server.url);
    await signedIn.signIn("temp@example.com", password);
    expect((await signedIn.get("/admin")).status).toBe(200);

    const disabled = await cli(path, ["staff", "disable", "--email", "temp@example.com"]);
    expect(disabled.code, disabled.output).toBe(0);
    expect(disabled.output).toContain("temp@example.com is disabled (signed out everywhere)");
    const after = await signedIn.get("/admin");
    expect([after.status, after.location]).toEqual([302, "/admin/sign-in"]);
    const refused = await signIn("temp@example.com", password);
    expect(refused.status).toBe(401);
    expect(refused.html).toContain("That email and password do not match an account.");
    const noLink = await cli(path, ["staff", "link", "--email", "temp@example.com"]);
    expect(noLink.code).toBe(1);
    expect(noLink.output).toContain("temp@example.com is disabled: enable it first");

    const listed = await cli(path, ["staff", "list"]);
    expect(listed.code, listed.output).toBe(0);
    const line = (email: string) => listed.output.split("\n").find((l) => l.startsWith(`${email} `));
    expect(line("temp@example.com")).toMatch(/^temp@example\.com {2}staff {2}disabled {2}last active /);
    expect(line("later@example.com")).toBe("later@example.com  staff  no password yet  last active never");
    expect(line("owner@example.com")).toMatch(/^owner@example\.com {2}owner {2}active {2}last active \d{4}-\d\d-\d\dT/);

    const enabled = await cli(path, ["staff", "enable", "--email", "temp@example.com"]);
    expect(enabled.code, enabled.output).toBe(0);
    expect(enabled.output).toContain("temp@example.com is enabled");
    expect((await signIn("temp@example.com", password)).status).toBe(302);

    // The store keeps an owner who can sign in: the last one cannot be disabled.
    const lastOwner = await cli(path, ["staff", "disable", "--email", "owner@example.com"]);
    expect(lastOwner.code).toBe(1);
    expect(lastOwner.output).toContain("The store needs at least one owner who can sign in.");
  });
});

describe("inventory check and reconcile (docs/admin.md, the stock ledger)", SLOW, () => {
  it("check lists the products whose stock the ledger does not explain and exits 1; reconcile records the differences; check passes after", async () => {
    const path = seededFile();
    const clean = await cliProcess(path, ["inventory", "check"]);
    expect(clean.code, clean.output).toBe(0);
    expect(clean.output).toContain("inventory: every product's stock equals the sum of its stock movements");

    // Stock changed by hand, behind the ledger's back: up 3 on one, to 0 on another.
    const db = openForTest(path);
    db.$client.exec("UPDATE products SET stock = stock + 3 WHERE slug = 'tea-tin'; UPDATE products SET stock = 0 WHERE slug = 'wool-throw';");
    const tea = productBySlug(db, "tea-tin");
    const wool = productBySlug(db, "wool-throw");
    expect(tea.id).toBeLessThan(wool.id); // the order of the list
    const drifted = await cli(path, ["inventory", "check"]);
    expect(drifted.code).toBe(1);
    expect(drifted.output.split("\n").filter((l) => l.startsWith("product "))).toEqual([
      `product ${tea.id} (KIT-105): stock ${tea.stock}, movements add up to ${tea.stock - 3}`,
      `product ${wool.id} (HOM-406): stock 0, movements add up to 6`,
    ]);
    expect(drifted.output).toContain("inventory: 2 product(s) whose stock the ledger does not explain");

    const movements = () => db.select().from(stockMovements).orderBy(stockMovements.id).all();
    const before = movements();
    const reconciled = await cli(path, ["inventory", "reconcile", "--note", "sales during the upgrade to 1.4"]);
    expect(reconciled.code, reconciled.output).toBe(0);
    expect(reconciled.output).toContain("inventory: 2 adjustment(s) recorded; stock itself unchanged");
    const added = movements().slice(before.length);
    expect(added.map((m) => [m.productId, m.delta, m.reason, m.note, m.staffId, m.orderId])).toEqual([
      [tea.id, 3, "adjustment", "sales during the upgrade to 1.4", null, null],
      [wool.id, -6, "adjustment", "sales during the upgrade to 1.4", null, null],
    ]);
    expect([productBySlug(db, "tea-tin").stock, productBySlug(db, "wool-throw").stock]).toEqual([tea.stock, 0]);
    expect(ledgerDrift(db)).toEqual([]);
    expect((await cli(path, ["inventory", "check"])).code).toBe(0);

    // Nothing left to record; and without --note, a note that says what happened.
    expect((await cli(path, ["inventory", "reconcile"])).output).toContain("inventory: 0 adjustment(s) recorded");
    db.update(products).set({ stock: 1 }).where(eq(products.slug, "desk-lamp")).run();
    expect((await cli(path, ["inventory", "reconcile"])).code).toBe(0);
    const lamp = productBySlug(db, "desk-lamp");
    const last = db.select().from(stockMovements).where(and(eq(stockMovements.productId, lamp.id), eq(stockMovements.reason, "adjustment"))).all();
    expect(last.map((m) => [m.delta, m.note])).toEqual([[-7, "reconciled: stock changed outside the ledger"]]);
  });
});

describe("db:check (docs/operations.md)", SLOW, () => {
  it("says ok for a sound file, and exits 1 naming the damage and the fix for a damaged one, writing nothing", async () => {
    const sound = seededFile();
    const ok = await cliProcess(sound, ["check"]);
    expect(ok.code, ok.output).toBe(0);
    expect(ok.output).toMatch(new RegExp(`^${sound.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: integrity_check ok \\(\\d+ ms\\)\\n$`));

    const damaged = seededFile();
    damageTable(damaged, "products");
    const bytes = readFileSync(damaged);
    const bad = await cli(damaged, ["check"]);
    expect(bad.code).toBe(1);
    expect(bad.output).toContain(`check failed: ${damaged} is damaged: `);
    expect(bad.output).toContain("Restore the newest backup (docs/operations.md#restore)");
    expect(readFileSync(damaged).equals(bytes)).toBe(true);

    const missing = join(tempDir(), "store.db");
    const none = await cli(missing, ["check"]);
    expect(none.code).toBe(1);
    expect(none.output).toContain(`check failed: no database at ${missing}`);
    expect(existsSync(missing)).toBe(false); // not created by looking
  });
});

describe("db:seed (README)", SLOW, () => {
  it("fills an empty catalog with the demo products, their opening stock in the ledger, and adds nothing to one that has products", async () => {
    const path = join(tempDir(), "store.db");
    // Before migrating: one line saying what to run, and no empty file left behind.
    const early = await cliProcess(path, ["seed"]);
    expect(early.code).toBe(1);
    expect(early.output).toContain(`seed failed: no database at ${path}: run db:migrate first`);
    expect(existsSync(path)).toBe(false);
    expect((await cli(path, ["migrate"])).code).toBe(0);
    const seeded = await cli(path, ["seed"]);
    expect(seeded.code, seeded.output).toBe(0);
    expect(seeded.output).toContain(`seeded ${demoProducts.length} demo products`);
    const db = openForTest(path);
    const names = () => db.select({ name: products.name }).from(products).all().map((p) => p.name).sort();
    expect(names()).toEqual(demoProducts.map((p) => p.name).sort());
    expect(ledgerDrift(db)).toEqual([]);

    const again = await cli(path, ["seed"]);
    expect(again.code).toBe(0);
    expect(again.output).toContain("catalog not empty: nothing seeded");
    expect(names()).toHaveLength(demoProducts.length);

    // A store with one product of its own is not empty either.
    const own = freshDatabase();
    own.db.$client.prepare("INSERT INTO products (slug, name, description, price_cents, stock, image, sku) VALUES ('own', 'Own', 'x', 100, 0, 'x', 'OWN-1')").run();
    closeDatabase(own.db);
    expect((await cli(own.path, ["seed"])).output).toContain("catalog not empty: nothing seeded");
    const ownDb = openForTest(own.path);
    expect(ownDb.select().from(products).all()).toHaveLength(1);
  });
});

describe("BACKUP_KEEP (docs/operations.md, snapshots before migrating)", SLOW, () => {
  it("keeps the newest N pre-migrate snapshots after N + 2 migration runs, never touches other backups, and 0 takes none", async () => {
    const app = stageApp(tempDir("store-keep-app-"));
    const path = join(tempDir("store-keep-"), "store.db");
    // A staged copy of the app, whose drizzle/ gains migrations: its own processes.
    const run = (...args: string[]) => cliProcess(path, args, { cwd: app, env: { BACKUP_KEEP: "2" } });
    expect((await run("migrate")).code).toBe(0); // a fresh file: nothing to snapshot
    const backups = join(path, "..", "backups");
    const snapshots = () => (existsSync(backups) ? readdirSync(backups).filter((f) => f.startsWith("pre-migrate_")).sort() : []);
    expect(snapshots()).toEqual([]);

    const manual = await run("backup");
    expect(manual.code, manual.output).toBe(0);
    const [manualFile] = readdirSync(backups);
    for (let i = 1; i <= 4; i++) {
      appendMigration(join(app, "drizzle"), `91${i}0_keep_${i}`, `CREATE TABLE keep_${i} (id integer);`);
      const migrated = await run("migrate");
      expect(migrated.code, migrated.output).toBe(0);
      expect(migrated.output).toContain("migrations: snapshot ");
      expect(snapshots(), `after run ${i}`).toHaveLength(Math.min(i, 2));
    }
    // The two newest: taken before the third and the fourth, each named after the last migration it holds.
    expect(snapshots().map((f) => f.replace(/_\d{4}-\d\d-\d\dT.*$/, ""))).toEqual(["pre-migrate_9120_keep_2", "pre-migrate_9130_keep_3"]);
    expect(readdirSync(backups)).toContain(manualFile);

    appendMigration(join(app, "drizzle"), "9150_keep_5", "CREATE TABLE keep_5 (id integer);");
    const none = await cliProcess(path, ["migrate"], { cwd: app, env: { BACKUP_KEEP: "0" } });
    expect(none.code, none.output).toBe(0);
    expect(none.output).not.toContain("migrations: snapshot");
    expect(snapshots().map((f) => f.replace(/_\d{4}-\d\d-\d\dT.*$/, ""))).toEqual(["pre-migrate_9120_keep_2", "pre-migrate_9130_keep_3"]);
  });
});

// New staff passwords, wherever one is set (the welcome link, the account
// page, `staff create --password-stdin`): at least 12 characters and not a
// common or predictable one, refused with a message that says why (issue 22,
// finding 8; docs/decisions/029-password-strength.md).
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { staff } from "#app/db/schema.ts";
import { weakPasswordReason } from "#app/staff/password-strength.server.ts";
import { authenticate, createStaff, issueSignInLink, signInLinkPath } from "#app/staff/staff.server.ts";
import { tempDir } from "#tests/helpers/db.ts";
import { runCliInProcess } from "#tests/helpers/cli.ts";
import { startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { text } from "#tests/helpers/shopper.ts";
import { browser, PASSWORD, staffAccount } from "#tests/helpers/staff.ts";

const COMMON = "This password is on a list of common passwords.";
const SIMILAR = "This password is a common one with small changes, which attackers try early.";
const REPEATS = "Repeated characters or words, like aaaa or abcabc, are easy to guess.";
const SEQUENCE = "Sequences like abcd or 1234 are easy to guess.";
const EMAIL = "This password contains your email address, or part of it.";

// Twelve characters or more, every one of them, and each easy to guess.
const WEAK: [string, string][] = [
  ["aaaaaaaaaaaa", REPEATS],
  ["123456789012", COMMON],
  ["1qaz2wsx3edc", COMMON],
  ["password1234", SIMILAR],
  ["iloveyou2024", SIMILAR],
  ["P@ssw0rd1234", SIMILAR],
  ["abcdefghijklmn", SEQUENCE],
  ["trustno1trustno1", REPEATS],
];

/** What a password manager makes: 20 random characters. */
const strong = () => randomBytes(15).toString("base64url");

describe("the check", () => {
  it.each(WEAK)("refuses %j: %s", async (password, why) => {
    expect(await weakPasswordReason(password, "clerk@example.com")).toBe(`${why} A few unrelated words make a good one.`);
  });

  it("refuses the account's own email, or its name with a little added", async () => {
    expect(await weakPasswordReason("jane.doe@shop.example", "jane.doe@shop.example")).toBe(`${EMAIL} A few unrelated words make a good one.`);
    expect(await weakPasswordReason("janedoe12345", "Jane.Doe@shop.example")).not.toBeNull();
  });

  it("accepts random passwords (200 of them) and a few unrelated words", async () => {
    for (let i = 0; i < 200; i++) {
      const password = strong();
      expect(await weakPasswordReason(password, "clerk@example.com"), password).toBeNull();
    }
    for (const password of ["owner's long passphrase", "purple otter canal drum", "Tr0ub4dor&3 horse"]) {
      expect(await weakPasswordReason(password, "clerk@example.com"), password).toBeNull();
    }
  });
});

describe("over HTTP", () => {
  let server: ServerProcess;
  let db: AppDatabase;

  beforeAll(async () => {
    const path = join(tempDir("store-passwords-"), "store.db");
    server = await startServer({ env: { DATABASE_PATH: path } });
    db = openDatabase(path);
    await staffAccount(db, "owner@example.com", "owner");
  });
  afterAll(async () => {
    closeDatabase(db);
    if (server) await stopServer(server);
    expect(server?.output() ?? "").not.toMatch(/Error|at \//);
  });

  const pageText = (html: string) => text(html.replace(/<script[\s\S]*?<\/script>/g, "").replace(/<[^>]+>/g, " ")).replace(/\s+/g, " ");

  it("the welcome link refuses each weak password with the reason, stays usable, and takes a strong one", async () => {
    const clerk = createStaff(db, { email: "clerk@example.com", role: "staff" });
    const link = signInLinkPath(issueSignInLink(db, clerk.id));
    const visitor = browser(server.url);
    for (const [password, why] of WEAK) {
      const reply = await visitor.post(link, { password, confirm: password });
      expect(reply.status, password).toBe(400);
      expect(pageText(reply.html)).toContain(why);
      expect(reply.html).not.toContain(password);
    }
    expect(db.select({ hash: staff.passwordHash }).from(staff).all().find((s) => s.hash === null)).toBeDefined();
    const password = strong();
    const chosen = await visitor.post(link, { password, confirm: password });
    expect([chosen.status, chosen.location]).toEqual([302, "/admin"]);
    expect(await authenticate(db, "clerk@example.com", password)).toMatchObject({ email: "clerk@example.com" });
  });

  it("the account page refuses a weak new password with the reason and keeps the old one", async () => {
    const owner = browser(server.url);
    await owner.signIn("owner@example.com");
    for (const [password, why] of WEAK.slice(0, 3)) {
      const reply = await owner.post("/admin/account", { current: PASSWORD, password, confirm: password });
      expect(reply.status, password).toBe(400);
      expect(pageText(reply.html)).toContain(why);
      expect(await authenticate(db, "owner@example.com", password)).toBeNull();
    }
    expect(await authenticate(db, "owner@example.com", PASSWORD)).not.toBeNull();
    const password = strong();
    const changed = await owner.post("/admin/account", { current: PASSWORD, password, confirm: password });
    expect([changed.status, changed.location]).toEqual([302, "/admin/account"]);
    expect(await authenticate(db, "owner@example.com", password)).not.toBeNull();
  });
});

describe("the CLI", () => {
  it("`staff create --password-stdin` refuses a weak password before creating the account, and takes a strong one", async () => {
    const path = join(tempDir("store-passwords-cli-"), "store.db");
    const env = { DATABASE_PATH: path };
    expect((await runCliInProcess(["migrate"], { env })).code).toBe(0);
    const create = (input: string) =>
      runCliInProcess(["staff", "create", "--email", "owner@example.com", "--role", "owner", "--password-stdin"], { env, input });

    for (const [password, why] of WEAK.slice(0, 3)) {
      const refused = await create(`${password}\n`);
      expect(refused.code, refused.output).toBe(1);
      expect(refused.output.trim()).toBe(`staff failed: password refused: ${why} A few unrelated words make a good one.`);
    }
    const db = openDatabase(path);
    try {
      expect(db.select().from(staff).all()).toEqual([]);
      const password = strong();
      const created = await create(`${password}\n`);
      expect(created.code, created.output).toBe(0);
      expect(created.output).toContain("password set; sign in at https://shop.example/admin/sign-in");
      expect(await authenticate(db, "owner@example.com", password)).not.toBeNull();
    } finally {
      closeDatabase(db);
    }
  });
});

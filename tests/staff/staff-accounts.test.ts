// Staff accounts without HTTP: password hashing, sign-in links, sessions
// (expiry, sliding, revocation, rotation) and the rules that keep a store
// with an owner. Real database files; time is passed in, not mocked.
import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { sessions, signInLinks, staff } from "#app/db/schema.ts";
import { adjustStock } from "#app/store/inventory.server.ts";
import { ARGON2_PARAMETERS, hashPassword, needsRehash, verifyPassword } from "#app/staff/password.server.ts";
import { ABSOLUTE_MS, clearNotice, createSession, endSession, IDLE_MS, readSession, setNotice } from "#app/staff/staff-session.server.ts";
import { code, notice } from "#app/core/notice.ts";
import {
  authenticate,
  changePassword,
  createStaff,
  deleteStaff,
  findSignInLink,
  issueSignInLink,
  setDisabled,
  setPassword,
  setPasswordWithLink,
  setRole,
  SIGN_IN_LINK_TTL_MS,
  tokenDigest,
} from "#app/staff/staff.server.ts";
import { seededDatabase } from "#tests/helpers/db.ts";
import { PASSWORD, staffAccount } from "#tests/helpers/staff.ts";

const HOUR = 60 * 60 * 1000;
const at = (base: Date, ms: number) => new Date(base.getTime() + ms);

describe("password hashes", () => {
  it("are Argon2id with OWASP's parameters and a fresh salt, in PHC format, and verify only the right password", async () => {
    const a = await hashPassword(PASSWORD);
    const b = await hashPassword(PASSWORD);
    const { memory, passes, parallelism } = ARGON2_PARAMETERS;
    expect([memory, passes, parallelism]).toEqual([19_456, 2, 1]);
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toBe(b); // salted
    expect(a).not.toContain(PASSWORD);
    expect(await verifyPassword(PASSWORD, a)).toBe(true);
    expect(await verifyPassword(PASSWORD, b)).toBe(true);
    expect(await verifyPassword(`${PASSWORD} `, a)).toBe(false);
    expect(await verifyPassword("", a)).toBe(false);
    expect(needsRehash(a)).toBe(false);
  });

  it("never match when malformed or asking for absurd work, and older parameters are flagged for rehashing", async () => {
    const good = await hashPassword(PASSWORD);
    for (const bad of ["", "plain", good.replace("argon2id", "argon2i"), good.replace("m=19456", "m=4194304"), good.slice(0, -10)]) {
      expect(await verifyPassword(PASSWORD, bad), bad).toBe(false);
    }
    // A hash made with weaker parameters still verifies, and asks to be redone.
    const { argon2Sync, randomBytes } = await import("node:crypto");
    const salt = randomBytes(16);
    const old = argon2Sync("argon2id", { message: PASSWORD, nonce: salt, memory: 8192, passes: 1, parallelism: 1, tagLength: 32 });
    const oldHash = `$argon2id$v=19$m=8192,t=1,p=1$${salt.toString("base64").replace(/=+$/, "")}$${old.toString("base64").replace(/=+$/, "")}`;
    expect(await verifyPassword(PASSWORD, oldHash)).toBe(true);
    expect(needsRehash(oldHash)).toBe(true);
  });

  it("are upgraded to today's parameters when their owner signs in", async () => {
    const db = seededDatabase();
    const account = await staffAccount(db, "old@example.com", "staff");
    const { argon2Sync, randomBytes } = await import("node:crypto");
    const salt = randomBytes(16);
    const old = argon2Sync("argon2id", { message: PASSWORD, nonce: salt, memory: 8192, passes: 1, parallelism: 1, tagLength: 32 });
    const oldHash = `$argon2id$v=19$m=8192,t=1,p=1$${salt.toString("base64").replace(/=+$/, "")}$${old.toString("base64").replace(/=+$/, "")}`;
    db.update(staff).set({ passwordHash: oldHash }).where(eq(staff.id, account.id)).run();
    expect(await authenticate(db, "old@example.com", PASSWORD)).toMatchObject({ id: account.id });
    const stored = db.select({ hash: staff.passwordHash }).from(staff).where(eq(staff.id, account.id)).get()!.hash!;
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(PASSWORD, stored)).toBe(true);
  });
});

describe("signing in", () => {
  it("answers null alike for a wrong password, an unknown email, a disabled account and one with no password yet", async () => {
    const db = seededDatabase();
    const owner = await staffAccount(db, "owner@example.com", "owner");
    const disabled = await staffAccount(db, "gone@example.com", "staff");
    setDisabled(db, owner.id, disabled.id, true);
    createStaff(db, { email: "new@example.com", role: "staff" }); // no password yet

    expect(await authenticate(db, " Owner@Example.COM ", PASSWORD)).toEqual({ id: owner.id, email: "owner@example.com", role: "owner" });
    expect(await authenticate(db, "owner@example.com", "wrong password!")).toBeNull();
    expect(await authenticate(db, "nobody@example.com", PASSWORD)).toBeNull();
    expect(await authenticate(db, "gone@example.com", PASSWORD)).toBeNull();
    expect(await authenticate(db, "new@example.com", "")).toBeNull();
  });

  it("spends Argon2's time on an unknown email too, so timing does not tell which emails have accounts", async () => {
    const db = seededDatabase();
    await staffAccount(db, "owner@example.com", "owner");
    await authenticate(db, "warm@example.com", "x"); // the dummy hash is made once, on first use
    const time = async (email: string) => {
      const runs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        await authenticate(db, email, "not the password");
        runs.push(performance.now() - start);
      }
      return runs.sort((a, b) => a - b)[2]!;
    };
    const known = await time("owner@example.com");
    const unknown = await time("nobody@example.com");
    // Without the dummy check an unknown email would take well under 1% of
    // a known one; generous bounds for a busy machine.
    expect(unknown).toBeGreaterThan(known * 0.3);
  });
});

describe("sign-in links", () => {
  it("work once, expire after a day, replace earlier links, and set the password ending every session", async () => {
    const db = seededDatabase();
    const account = createStaff(db, { email: "new@example.com", role: "staff" });
    const now = new Date("2026-11-23T10:00:00Z");
    const first = issueSignInLink(db, account.id, now);
    const second = issueSignInLink(db, account.id, now);
    expect(findSignInLink(db, first, now)).toBeUndefined(); // replaced
    expect(findSignInLink(db, second, at(now, SIGN_IN_LINK_TTL_MS - 1000))).toEqual({ staffId: account.id, email: "new@example.com" });
    expect(findSignInLink(db, second, at(now, SIGN_IN_LINK_TTL_MS + 1000))).toBeUndefined(); // expired
    // Stored hashed: the token itself is nowhere in the database.
    expect(db.select().from(signInLinks).all().map((l) => l.id)).toEqual([tokenDigest(second)]);

    const stale = createSession(db, account.id, now); // e.g. a session from before a reset
    expect(await setPasswordWithLink(db, second, PASSWORD, now)).toEqual({ id: account.id, email: "new@example.com" });
    expect(await setPasswordWithLink(db, second, "another password entirely", now)).toBeUndefined(); // used up
    expect(readSession(db, stale.token, now)).toBeNull();
    expect(await authenticate(db, "new@example.com", PASSWORD)).toMatchObject({ id: account.id });
  });

  it("do not work for a disabled account, and are deleted with it", async () => {
    const db = seededDatabase();
    const owner = await staffAccount(db, "owner@example.com", "owner");
    const account = createStaff(db, { email: "new@example.com", role: "staff" });
    const link = issueSignInLink(db, account.id);
    setDisabled(db, owner.id, account.id, true);
    expect(findSignInLink(db, link)).toBeUndefined();
    expect(await setPasswordWithLink(db, link, PASSWORD)).toBeUndefined();
    expect(db.select().from(signInLinks).all()).toEqual([]);
  });
});

describe("sessions", () => {
  it("end after 12 idle hours, slide while used, and never outlive 7 days", async () => {
    const db = seededDatabase();
    const account = await staffAccount(db, "staff@example.com", "staff");
    const start = new Date("2026-11-23T08:00:00Z");
    const { token, sessionId } = createSession(db, account.id, start);
    expect(db.select().from(sessions).all().map((s) => s.id)).toEqual([sessionId]);
    expect(sessionId).toBe(tokenDigest(token)); // the cookie's token is not stored
    expect(readSession(db, token, at(start, IDLE_MS - 1000))?.staff).toEqual({ id: account.id, email: "staff@example.com", role: "staff" });
    // That request slid the expiry: another almost-12 hours are fine.
    expect(readSession(db, token, at(start, 2 * IDLE_MS - 2000))).not.toBeNull();
    // An idle gap longer than 12 hours ends it.
    expect(readSession(db, token, at(start, 3 * IDLE_MS))).toBeNull();

    // Used every few hours, it still ends 7 days after sign-in.
    const busy = createSession(db, account.id, start);
    let t = 0;
    for (; t < ABSOLUTE_MS - 4 * HOUR; t += 4 * HOUR) expect(readSession(db, busy.token, at(start, t)), `${t / HOUR} h`).not.toBeNull();
    expect(readSession(db, busy.token, at(start, ABSOLUTE_MS + 1000))).toBeNull();
  });

  it("carry the next page's notice with its codes apart from its words, once; a plain-text notice from before reads as text", async () => {
    const db = seededDatabase();
    const account = await staffAccount(db, "staff@example.com", "staff");
    const { token, sessionId } = createSession(db, account.id);
    expect(readSession(db, token)?.notice).toBeNull();

    setNotice(db, sessionId, notice`Created ${"Oak Stool"} (SKU ${code("OAK-STOOL-2026-XL")}) with ${12} in stock.`);
    expect(readSession(db, token)?.notice).toEqual(["Created Oak Stool (SKU ", { code: "OAK-STOOL-2026-XL" }, ") with 12 in stock."]);
    setNotice(db, sessionId, notice`Order ${code("WMWM-MWMW")} is refunded${""}.`);
    expect(readSession(db, token)?.notice).toEqual(["Order ", { code: "WMWM-MWMW" }, " is refunded."]);
    setNotice(db, sessionId, "Password changed.");
    expect(readSession(db, token)?.notice).toEqual(["Password changed."]);
    clearNotice(db, sessionId);
    expect(readSession(db, token)?.notice).toBeNull();

    // Left by the release before, as plain text (even text that starts like a list).
    for (const old of ["Order WMWM-MWMW is refunded.", "[Sale] Mug is on sale again.", '["a", 1]']) {
      db.update(sessions).set({ notice: old }).where(eq(sessions.id, sessionId)).run();
      expect(readSession(db, token)?.notice).toEqual([old]);
    }
  });

  it("are revoked by signing out, disabling the account, a new password, deleting the account; a role change applies at once", async () => {
    const db = seededDatabase();
    const owner = await staffAccount(db, "owner@example.com", "owner");
    const account = await staffAccount(db, "staff@example.com", "staff");
    const a = createSession(db, account.id);
    const b = createSession(db, account.id);

    endSession(db, a.token);
    expect(readSession(db, a.token)).toBeNull();
    expect(readSession(db, b.token)).not.toBeNull(); // only that browser

    setRole(db, owner.id, account.id, "owner");
    expect(readSession(db, b.token)?.staff.role).toBe("owner");
    setRole(db, owner.id, account.id, "staff");

    setDisabled(db, owner.id, account.id, true);
    expect(readSession(db, b.token)).toBeNull();
    setDisabled(db, owner.id, account.id, false);
    expect(readSession(db, b.token)).toBeNull(); // enabling does not bring sessions back

    const c = createSession(db, account.id);
    const d = createSession(db, account.id);
    expect(await changePassword(db, { staffId: account.id, current: "wrong", password: "a new long password", keepSessionId: c.sessionId })).toBe(false);
    expect(readSession(db, d.token)).not.toBeNull();
    expect(await changePassword(db, { staffId: account.id, current: PASSWORD, password: "a new long password", keepSessionId: c.sessionId })).toBe(true);
    expect(readSession(db, c.token)).not.toBeNull(); // the browser that changed it
    expect(readSession(db, d.token)).toBeNull(); // every other one

    await setPassword(db, account.id, PASSWORD); // the CLI's reset
    expect(readSession(db, c.token)).toBeNull();

    const e = createSession(db, account.id);
    deleteStaff(db, owner.id, account.id);
    expect(readSession(db, e.token)).toBeNull();
    expect(db.select().from(sessions).where(eq(sessions.staffId, account.id)).all()).toEqual([]);
  });

  it("ignore tokens that are not ours", () => {
    const db = seededDatabase();
    for (const token of [null, "", "x", "a".repeat(43), "'; DROP TABLE sessions; --"]) expect(readSession(db, token)).toBeNull();
  });
});

describe("the rules that keep the store runnable", () => {
  it("always leave an owner who can sign in, and nobody can lock themselves out", async () => {
    const db = seededDatabase();
    const owner = await staffAccount(db, "owner@example.com", "owner");
    const other = await staffAccount(db, "other@example.com", "staff");
    expect(() => setDisabled(db, owner.id, owner.id, true)).toThrow("You cannot change your own account here.");
    expect(() => deleteStaff(db, owner.id, owner.id)).toThrow("You cannot change your own account here.");
    // The CLI acts as nobody (0): it may not remove the last owner either.
    expect(() => setDisabled(db, 0, owner.id, true)).toThrow("The store needs at least one owner who can sign in.");
    expect(() => setRole(db, 0, owner.id, "staff")).toThrow("The store needs at least one owner who can sign in.");
    setRole(db, owner.id, other.id, "owner");
    setDisabled(db, other.id, owner.id, true); // now there is another owner
    expect(() => setDisabled(db, 0, other.id, true)).toThrow("The store needs at least one owner who can sign in.");
  });

  it("refuse a second account for the same email, whatever its case", () => {
    const db = seededDatabase();
    createStaff(db, { email: "ada@example.com", role: "staff" });
    expect(() => createStaff(db, { email: "ADA@example.com", role: "owner" })).toThrow("There is already an account for ADA@example.com.");
    expect(db.select().from(staff).all()).toHaveLength(1);
  });

  it("keep an account that has changed stock: it can be disabled, not deleted", async () => {
    const db = seededDatabase();
    const owner = await staffAccount(db, "owner@example.com", "owner");
    const clerk = await staffAccount(db, "clerk@example.com", "staff");
    expect(adjustStock(db, { productId: 1, delta: 2, note: "found two", staffId: clerk.id }).status).toBe("adjusted");
    expect(() => deleteStaff(db, owner.id, clerk.id)).toThrow("clerk@example.com has changed stock, and the ledger keeps their name: disable the account instead.");
    setDisabled(db, owner.id, clerk.id, true);
    expect(await authenticate(db, "clerk@example.com", PASSWORD)).toBeNull();
  });
});

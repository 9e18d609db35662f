import { href } from "react-router";
// Staff accounts: who may run the store, with which role, and how a person
// gets a password. Plain functions over the database, used by the admin
// pages and by the CLI (`node app/cli/cli.ts staff …`), which is why nothing
// here imports React Router.
//
// Two roles: `owner` manages staff accounts and does everything `staff` do
// (products, orders, stock). There is no default account and no default
// password: an account is created without one, and the person sets it
// through a one-time sign-in link (or the CLI reads it from stdin).
import { createHash, randomBytes } from "node:crypto";
import { and, asc, count, eq, gt, isNull, max, ne, sql } from "drizzle-orm";
import { z } from "zod";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { sessions, signInLinks, staff, staffRoles, stockMovements, type StaffRole } from "#app/db/schema.ts";
import { publicUrl, type Env } from "#app/core/env.server.ts";
import { KnownError } from "#app/core/errors.ts";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, SIGN_IN_LINK_TTL_MS } from "#app/core/limits.ts";
import { hashPassword, needsRehash, verifyNothing, verifyPassword } from "#app/staff/password.server.ts";
import { enqueueMessage, mailConfigured, type StaffMessageKind } from "#app/store/mail/outbox.server.ts";

export { SIGN_IN_LINK_TTL_MS };

/** A refusal the person asking can act on: shown on the page or printed by the CLI. */
export class StaffError extends KnownError {
  override name = "StaffError";
}

export const emailField = z
  .string()
  .trim()
  .min(1, "Enter an email address.")
  .max(254, "Use at most 254 characters.")
  .pipe(z.email("Enter an email address like name@example.com."))
  .transform((email) => email.toLowerCase());

export const roleField = z.enum(staffRoles, { error: "Choose owner or staff." });

/** A new password: long enough to resist guessing, short enough to hash cheaply. */
export const newPasswordField = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(MAX_PASSWORD_LENGTH, `Use at most ${MAX_PASSWORD_LENGTH} characters.`)
  .refine((p) => p.trim() !== "", "A password cannot be only spaces.");

/** A token for a cookie or a link: 256 random bits, URL-safe. */
export function newSecretToken(): string {
  return randomBytes(32).toString("base64url");
}

/** What the database stores instead of a token: its SHA-256, so a leaked backup signs nobody in. */
export function tokenDigest(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

const isToken = (value: string) => /^[\w-]{43}$/.test(value);

function isUniqueViolation(error: unknown, column: string) {
  const e = error as { code?: string; message?: string };
  return e?.code === "SQLITE_CONSTRAINT_UNIQUE" && (e.message ?? "").includes(column);
}

export type StaffMember = { id: number; email: string; role: StaffRole };

export function createStaff(db: AppDatabase, input: { email: string; role: StaffRole }): StaffMember {
  try {
    return db
      .insert(staff)
      .values({ email: input.email.trim().toLowerCase(), role: input.role })
      .returning({ id: staff.id, email: staff.email, role: staff.role })
      .get();
  } catch (error) {
    // The unique index decides, not a lookup first: two owners adding the
    // same person at once get one account and one clear refusal.
    if (isUniqueViolation(error, "staff.email")) throw new StaffError(`There is already an account for ${input.email}.`);
    throw error;
  }
}

export function findStaffByEmail(db: AppDatabase, email: string) {
  return db
    .select({ id: staff.id, email: staff.email, role: staff.role, disabledAt: staff.disabledAt })
    .from(staff)
    .where(eq(staff.email, email.trim().toLowerCase()))
    .get();
}

export function findStaffById(db: AppDatabase, id: number) {
  return db
    .select({ id: staff.id, email: staff.email, role: staff.role, disabledAt: staff.disabledAt })
    .from(staff)
    .where(eq(staff.id, id))
    .get();
}

/**
 * A one-time link that lets the person set their password. Any earlier link
 * for the same account stops working. Returns the token for the URL
 * (/admin/welcome/<token>); only its digest is stored. With `mail` (an
 * invitation or a sign-in link) and mail configured, the link also goes to
 * the person by email, queued in the same transaction.
 */
export function issueSignInLink(
  db: AppDatabase,
  staffId: number,
  now = new Date(),
  mail: { kind: StaffMessageKind; config: Env } | null = null,
): string {
  const token = newSecretToken();
  db.transaction(
    (tx) => {
      tx.delete(signInLinks).where(eq(signInLinks.staffId, staffId)).run();
      tx.insert(signInLinks)
        .values({
          id: tokenDigest(token),
          staffId,
          createdAt: now,
          expiresAt: new Date(now.getTime() + SIGN_IN_LINK_TTL_MS),
        })
        .run();
      if (mail && mailConfigured(mail.config)) {
        const origin = publicUrl(mail.config);
        enqueueMessage(db, { kind: mail.kind, staffId, link: signInLinkUrl(origin, token) }, { origin });
      }
    },
    { behavior: "immediate" },
  );
  return token;
}

export const signInLinkPath = (token: string) => href("/admin/welcome/:token", { token: token });

/**
 * The whole link, to hand to the person: on the store's configured address
 * (PUBLIC_URL, the origin given), never on the Host of the request that asked for it, which
 * the client chooses (docs/security.md).
 */
export const signInLinkUrl = (origin: string, token: string) => `${origin}${signInLinkPath(token)}`;

/** The account a sign-in link is for, if the link is unused, unexpired and the account enabled. */
export function findSignInLink(db: AppDatabase, token: string, now = new Date()) {
  if (!isToken(token)) return undefined;
  return db
    .select({ staffId: staff.id, email: staff.email })
    .from(signInLinks)
    .innerJoin(staff, eq(staff.id, signInLinks.staffId))
    .where(and(eq(signInLinks.id, tokenDigest(token)), gt(signInLinks.expiresAt, now), isNull(staff.disabledAt)))
    .get();
}

/**
 * Sets the password of the account a link is for and uses the link up, all
 * at once: two tabs submitting the same link set one password. Every session
 * the account had is ended (a forgotten password may mean a stolen one).
 * Returns the account, or undefined if the link no longer works.
 */
export async function setPasswordWithLink(db: AppDatabase, token: string, password: string, now = new Date()) {
  const hash = await hashPassword(password); // before the transaction: it must not await
  return db.transaction(
    (tx) => {
      const link = findSignInLink(db, token, now);
      if (!link) return undefined;
      tx.delete(signInLinks).where(eq(signInLinks.staffId, link.staffId)).run();
      tx.update(staff).set({ passwordHash: hash }).where(eq(staff.id, link.staffId)).run();
      tx.delete(sessions).where(eq(sessions.staffId, link.staffId)).run();
      return { id: link.staffId, email: link.email };
    },
    { behavior: "immediate" },
  );
}

/** Sets a password directly (the CLI's --password-stdin, or a signed-in change), ending other sessions. */
export async function setPassword(db: AppDatabase, staffId: number, password: string, keepSessionId?: string) {
  const hash = await hashPassword(password);
  db.transaction(
    (tx) => {
      tx.update(staff).set({ passwordHash: hash }).where(eq(staff.id, staffId)).run();
      tx.delete(signInLinks).where(eq(signInLinks.staffId, staffId)).run();
      tx.delete(sessions)
        .where(keepSessionId ? and(eq(sessions.staffId, staffId), ne(sessions.id, keepSessionId)) : eq(sessions.staffId, staffId))
        .run();
    },
    { behavior: "immediate" },
  );
}

/**
 * A signed-in person changing their own password: the current one must be
 * right. Every other session of theirs ends. False if `current` is wrong.
 */
export async function changePassword(
  db: AppDatabase,
  input: { staffId: number; current: string; password: string; keepSessionId: string },
): Promise<boolean> {
  const account = db.select({ passwordHash: staff.passwordHash }).from(staff).where(eq(staff.id, input.staffId)).get();
  if (!account?.passwordHash || !(await verifyPassword(input.current, account.passwordHash))) return false;
  await setPassword(db, input.staffId, input.password, input.keepSessionId);
  return true;
}

/**
 * The account for this email and password, or null. Unknown email, wrong
 * password, disabled account and an account without a password yet all give
 * null after the same amount of work, so neither the answer nor its timing
 * tells which emails have accounts.
 */
export async function authenticate(db: AppDatabase, email: string, password: string): Promise<StaffMember | null> {
  const account = db
    .select({ id: staff.id, email: staff.email, role: staff.role, passwordHash: staff.passwordHash, disabledAt: staff.disabledAt })
    .from(staff)
    .where(eq(staff.email, email.trim().toLowerCase()))
    .get();
  if (!account?.passwordHash) return verifyNothing(password).then(() => null);
  const ok = await verifyPassword(password, account.passwordHash);
  if (!ok || account.disabledAt) return null;
  // Hashed with older parameters: store a hash with today's, now that we
  // have the password.
  if (needsRehash(account.passwordHash)) {
    const fresh = await hashPassword(password);
    db.update(staff).set({ passwordHash: fresh }).where(and(eq(staff.id, account.id), eq(staff.passwordHash, account.passwordHash))).run();
  }
  return { id: account.id, email: account.email, role: account.role };
}

/** Every account, for the owner's staff page, with when each was last active. */
export function listStaff(db: AppDatabase, now = new Date()) {
  const lastSeen = db
    .select({ staffId: sessions.staffId, lastSeenAt: max(sessions.lastSeenAt).as("last_seen_at") })
    .from(sessions)
    .groupBy(sessions.staffId)
    .as("last_seen");
  const pendingLink = db
    .select({ staffId: signInLinks.staffId, expiresAt: max(signInLinks.expiresAt).as("link_expires_at") })
    .from(signInLinks)
    .where(gt(signInLinks.expiresAt, now))
    .groupBy(signInLinks.staffId)
    .as("pending_link");
  return db
    .select({
      id: staff.id,
      email: staff.email,
      role: staff.role,
      disabled: sql<boolean>`${staff.disabledAt} IS NOT NULL`.mapWith(Boolean),
      hasPassword: sql<boolean>`${staff.passwordHash} IS NOT NULL`.mapWith(Boolean),
      linkExpiresAt: sql<number | null>`${pendingLink.expiresAt}`.mapWith((v: number | null) => (v === null ? null : new Date(v * 1000))),
      lastSeenAt: sql<number | null>`${lastSeen.lastSeenAt}`.mapWith((v: number | null) => (v === null ? null : new Date(v * 1000))),
      createdAt: staff.createdAt,
    })
    .from(staff)
    .leftJoin(lastSeen, eq(lastSeen.staffId, staff.id))
    .leftJoin(pendingLink, eq(pendingLink.staffId, staff.id))
    .orderBy(asc(staff.email))
    .all();
}

function activeOwnersOtherThan(db: AppDatabase, staffId: number) {
  return db
    .select({ n: count() })
    .from(staff)
    .where(and(eq(staff.role, "owner"), isNull(staff.disabledAt), ne(staff.id, staffId)))
    .get()!.n;
}

function target(db: AppDatabase, actorId: number, staffId: number) {
  if (actorId === staffId) throw new StaffError("You cannot change your own account here.");
  const account = db.select({ id: staff.id, email: staff.email, role: staff.role }).from(staff).where(eq(staff.id, staffId)).get();
  if (!account) throw new StaffError("That account no longer exists.");
  return account;
}

// The changes below run under the write lock and re-check the rules there, so
// two owners acting at once cannot, say, each disable the other and leave
// the store with no owner.

/** Disables an account (its sessions and links end at once), or enables it again. */
export function setDisabled(db: AppDatabase, actorId: number, staffId: number, disabled: boolean, now = new Date()) {
  return db.transaction(
    (tx) => {
      const account = target(db, actorId, staffId);
      if (disabled && account.role === "owner" && activeOwnersOtherThan(db, staffId) === 0) {
        throw new StaffError("The store needs at least one owner who can sign in.");
      }
      tx.update(staff).set({ disabledAt: disabled ? now : null }).where(eq(staff.id, staffId)).run();
      if (disabled) {
        tx.delete(sessions).where(eq(sessions.staffId, staffId)).run();
        tx.delete(signInLinks).where(eq(signInLinks.staffId, staffId)).run();
      }
      return account;
    },
    { behavior: "immediate" },
  );
}

export function setRole(db: AppDatabase, actorId: number, staffId: number, role: StaffRole) {
  return db.transaction(
    (tx) => {
      const account = target(db, actorId, staffId);
      if (account.role === "owner" && role !== "owner" && activeOwnersOtherThan(db, staffId) === 0) {
        throw new StaffError("The store needs at least one owner who can sign in.");
      }
      tx.update(staff).set({ role }).where(eq(staff.id, staffId)).run();
      return account;
    },
    { behavior: "immediate" },
  );
}

/**
 * Deletes an account that has never changed stock. One that has is named in
 * the stock ledger, which keeps its history: disable it instead.
 */
export function deleteStaff(db: AppDatabase, actorId: number, staffId: number) {
  return db.transaction(
    (tx) => {
      const account = target(db, actorId, staffId);
      if (account.role === "owner" && activeOwnersOtherThan(db, staffId) === 0) {
        throw new StaffError("The store needs at least one owner who can sign in.");
      }
      const used = tx.select({ id: stockMovements.id }).from(stockMovements).where(eq(stockMovements.staffId, staffId)).limit(1).get();
      if (used) throw new StaffError(`${account.email} has changed stock, and the ledger keeps their name: disable the account instead.`);
      tx.delete(staff).where(eq(staff.id, staffId)).run(); // sessions and links go with it (ON DELETE CASCADE)
      return account;
    },
    { behavior: "immediate" },
  );
}

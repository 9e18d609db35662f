// Staff sessions: a row in `sessions` per signed-in browser, found through a
// random token in the __store_staff cookie. Unlike the shopper's cart (a
// signed cookie, docs/shopping.md), a staff session must be revocable: signing
// out, disabling an account or setting a new password deletes rows, and the
// next request with that cookie is anonymous. docs/decisions/016-staff-sessions.md.
//
// - The token is 256 random bits; the table holds its SHA-256, so a backup
//   or a read-only SQL leak cannot be replayed as a cookie.
// - A session ends after IDLE_MS without a request, and IDLE never extends
//   it past ABSOLUTE_MS after sign-in.
// - Signing in always starts a new session (and ends the one the browser
//   presented, if any): a token planted before sign-in is worth nothing after.
import { and, eq, gt, isNull, lt } from "drizzle-orm";
import { createCookie } from "react-router";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { sessions, signInLinks, staff, type StaffRole } from "#app/db/schema.ts";
import { readNotice, storedNotice, type Notice } from "#app/core/notice.ts";
import { newSecretToken, tokenDigest } from "#app/staff/staff.server.ts";

export const IDLE_MS = 12 * 60 * 60 * 1000;
export const ABSOLUTE_MS = 7 * 24 * 60 * 60 * 1000;
/** last_seen_at is written at most this often: not a write per page view. */
const TOUCH_MS = 5 * 60 * 1000;

export type StaffSession = {
  sessionId: string;
  staff: { id: number; email: string; role: StaffRole };
  notice: Notice | null;
};

export function createSession(db: AppDatabase, staffId: number, now = new Date()) {
  const token = newSecretToken();
  const sessionId = tokenDigest(token);
  db.transaction(
    (tx) => {
      // Housekeeping while we hold the lock anyway: forget expired sessions
      // (indexed on expiry) and sign-in links (a handful at most).
      tx.delete(sessions).where(lt(sessions.expiresAt, now)).run();
      tx.delete(signInLinks).where(lt(signInLinks.expiresAt, now)).run();
      tx.insert(sessions)
        .values({
          id: sessionId,
          staffId,
          createdAt: now,
          lastSeenAt: now,
          expiresAt: new Date(now.getTime() + Math.min(IDLE_MS, ABSOLUTE_MS)),
        })
        .run();
    },
    { behavior: "immediate" },
  );
  return { token, sessionId };
}

/** The live session for a cookie's token, sliding its idle expiry; null if there is none. */
export function readSession(db: AppDatabase, token: string | null, now = new Date()): StaffSession | null {
  if (!token || !/^[\w-]{43}$/.test(token)) return null;
  const id = tokenDigest(token);
  const row = db
    .select({
      createdAt: sessions.createdAt,
      lastSeenAt: sessions.lastSeenAt,
      notice: sessions.notice,
      staffId: staff.id,
      email: staff.email,
      role: staff.role,
    })
    .from(sessions)
    .innerJoin(staff, eq(staff.id, sessions.staffId))
    .where(and(eq(sessions.id, id), gt(sessions.expiresAt, now), isNull(staff.disabledAt)))
    .get();
  if (!row) return null;
  if (now.getTime() - row.lastSeenAt.getTime() >= TOUCH_MS) {
    const expiresAt = new Date(Math.min(now.getTime() + IDLE_MS, row.createdAt.getTime() + ABSOLUTE_MS));
    db.update(sessions).set({ lastSeenAt: now, expiresAt }).where(eq(sessions.id, id)).run();
  }
  return { sessionId: id, staff: { id: row.staffId, email: row.email, role: row.role }, notice: row.notice === null ? null : readNotice(row.notice) };
}

/** Ends the session this token belongs to (sign-out). */
export function endSession(db: AppDatabase, token: string | null) {
  if (token) db.delete(sessions).where(eq(sessions.id, tokenDigest(token))).run();
}

/** Leaves a one-time message for the next admin page this session loads (plain text, or `notice` with codes in it). */
export function setNotice(db: AppDatabase, sessionId: string, notice: Notice | string) {
  db.update(sessions).set({ notice: storedNotice(notice) }).where(eq(sessions.id, sessionId)).run();
}

export function clearNotice(db: AppDatabase, sessionId: string) {
  db.update(sessions).set({ notice: null }).where(eq(sessions.id, sessionId)).run();
}

// The cookie. Path=/, not /admin: a browser would not send a /admin cookie
// with the dashboard's data request, /admin.data (the path must continue with
// "/" to match). HttpOnly and SameSite=Lax wherever it goes. No signature:
// the token is unguessable and looked up in the database, so signing adds
// nothing, and rotating SESSION_SECRETS does not sign staff out. Secure is
// decided per request from its protocol (which honours TRUST_PROXY), not from
// NODE_ENV: a production store reached over plain http on localhost still
// works, and one behind TLS never sends it in the clear.
/** The staff session's cookie (app/web/cache.server.ts keeps answers to its holders private). */
export const STAFF_COOKIE = "__store_staff";

const staffCookie = createCookie(STAFF_COOKIE, {
  path: "/",
  httpOnly: true,
  sameSite: "lax",
  maxAge: ABSOLUTE_MS / 1000,
});

const isHttps = (request: Request) => new URL(request.url).protocol === "https:";

export async function readSessionToken(request: Request): Promise<string | null> {
  const value: unknown = await staffCookie.parse(request.headers.get("Cookie"));
  return typeof value === "string" ? value : null;
}

export async function sessionCookie(request: Request, token: string) {
  return staffCookie.serialize(token, { secure: isHttps(request) });
}

export async function clearedSessionCookie(request: Request) {
  return staffCookie.serialize("", { secure: isHttps(request), maxAge: 0 });
}

/**
 * Signs `staffId` in on this browser: ends the session it brought along (if
 * any), starts a new one, and returns the Set-Cookie header for it. Used by
 * sign-in, by a sign-in link and after a password change.
 */
export async function startSession(db: AppDatabase, request: Request, staffId: number, notice?: string) {
  endSession(db, await readSessionToken(request));
  const { token, sessionId } = createSession(db, staffId);
  if (notice) setNotice(db, sessionId, notice);
  return { "Set-Cookie": await sessionCookie(request, token) };
}

// Slows down password guessing at /admin/sign-in: each client address may
// fail to sign in SIGN_IN_MAX_FAILURES times per SIGN_IN_WINDOW_MS. After
// that its sign-in posts are marked (SIGN_IN_RETRY_HEADER) and the page
// answers 429 with "try again in N minutes" without checking the password,
// so a flood of guesses costs no Argon2 work. Successful sign-ins do not
// count. Mounted in server.ts.
//
// The address is req.ip, which honours TRUST_PROXY: behind a proxy without
// it, every visitor shares the proxy's address (one attacker would lock
// everybody out), so set it. Counts live in this process's memory: they
// reset on restart and each replica counts its own, which is fine for a
// limit meant to make guessing slow, not impossible; Argon2id does the rest
// (docs/admin.md).
import type { NextFunction, Request, Response } from "express";
import { SIGN_IN_MAX_FAILURES, SIGN_IN_RETRY_HEADER, SIGN_IN_WINDOW_MS } from "#app/lib/sign-in-limit.ts";

const SIGN_IN = /^\/admin\/sign-in(\.data)?\/?$/;
/** Addresses remembered at most; a flood of new ones drops the oldest first. */
const MAX_TRACKED = 10_000;

export function signInRateLimit(options: { maxFailures?: number; windowMs?: number } = {}) {
  const maxFailures = options.maxFailures ?? SIGN_IN_MAX_FAILURES;
  const windowMs = options.windowMs ?? SIGN_IN_WINDOW_MS;
  const failures = new Map<string, { count: number; resetAt: number }>();

  return (req: Request, res: Response, next: NextFunction) => {
    // Never trust the mark from outside.
    delete req.headers[SIGN_IN_RETRY_HEADER];
    if (req.method !== "POST" || !SIGN_IN.test(req.path)) return next();

    const key = req.ip ?? "unknown";
    const now = Date.now();
    const entry = failures.get(key);
    if (entry && entry.resetAt <= now) failures.delete(key);
    else if (entry && entry.count >= maxFailures) {
      req.headers[SIGN_IN_RETRY_HEADER] = String(Math.ceil((entry.resetAt - now) / 1000));
    }

    // The page answers 401 for a wrong email or password.
    res.on("finish", () => {
      if (res.statusCode !== 401) return;
      const current = failures.get(key);
      if (current && current.resetAt > Date.now()) current.count++;
      else {
        failures.delete(key);
        if (failures.size >= MAX_TRACKED) failures.delete(failures.keys().next().value!);
        failures.set(key, { count: 1, resetAt: Date.now() + windowMs });
      }
    });
    next();
  };
}

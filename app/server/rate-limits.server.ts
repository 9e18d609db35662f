// How often one client may post forms, place orders and guess: counted per
// client address, in this process's memory (docs/security.md says what to
// use with several replicas). The address is req.ip, which honours
// TRUST_PROXY: behind a proxy without it, every visitor shares the proxy's
// address; with TRUST_PROXY=true every client can pick its own with
// X-Forwarded-For, so give the number of proxies instead (server.ts warns).
import type { Request, RequestHandler } from "express";
import rateLimit, { type Options } from "express-rate-limit";
import type { RateLimit } from "#app/env.server.ts";
import { RATE_LIMITED_HEADER, SIGN_IN_RETRY_HEADER } from "#app/lib/rate-limits.server.ts";
import { refusedBecause } from "#app/server/access-log.server.ts";

type Limits = {
  RATE_LIMIT_POSTS: RateLimit;
  RATE_LIMIT_ORDERS: RateLimit;
  RATE_LIMIT_LOOKUP_FAILURES: RateLimit;
  RATE_LIMIT_SIGN_IN_FAILURES: RateLimit;
};

const route = (pattern: RegExp) => (req: Request) => pattern.test(req.path);
const isPost = (req: Request) => req.method === "POST";

export function rateLimits(limits: Limits): RequestHandler[] {
  /** A limiter that marks, rather than answers, a request over its limit. */
  function limiter(name: string, limit: RateLimit, mark: string, options: Partial<Options>): RequestHandler {
    if (limit.count === 0) return (_req, _res, next) => next();
    return rateLimit({
      windowMs: limit.seconds * 1000,
      limit: limit.count,
      standardHeaders: false,
      legacyHeaders: false,
      // TRUST_PROXY=true is the operator's choice; server.ts says what it costs.
      validate: { trustProxy: false },
      handler(req, res, next, { windowMs }) {
        const info = (req as Request & { rateLimit?: { used: number; limit: number; resetTime?: Date } }).rateLimit;
        const retryAfter = Math.max(1, Math.ceil(((info?.resetTime?.getTime() ?? Date.now() + windowMs) - Date.now()) / 1000));
        refusedBecause(res, `over the ${name} limit`);
        req.headers[mark] = String(retryAfter);
        // The 429 page of a general limit comes from a thrown response, whose
        // headers React Router drops: set it here. (The sign-in page sets its own.)
        if (mark === RATE_LIMITED_HEADER) res.setHeader("Retry-After", String(retryAfter));
        next();
      },
      ...options,
    });
  }

  return [
    // Never trust a mark from outside.
    (req, _res, next) => {
      delete req.headers[RATE_LIMITED_HEADER];
      delete req.headers[SIGN_IN_RETRY_HEADER];
      next();
    },
    limiter("form post", limits.RATE_LIMIT_POSTS, RATE_LIMITED_HEADER, { skip: (req) => !isPost(req) }),
    limiter("order", limits.RATE_LIMIT_ORDERS, RATE_LIMITED_HEADER, {
      skip: (req) => !isPost(req) || !route(/^\/checkout(\.data)?$/)(req),
      // Count orders placed (a redirect), not a form sent back with mistakes.
      skipFailedRequests: true,
    }),
    // Order lookups: guessing a number and email (the form), or an order's
    // address. Only misses count, so a shopper looking at their own order
    // again and again is never stopped.
    limiter("order lookup", limits.RATE_LIMIT_LOOKUP_FAILURES, RATE_LIMITED_HEADER, {
      skip: (req) => !(isPost(req) && route(/^\/orders(\.data)?$/)(req)) && !(req.method === "GET" && route(/^\/orders\/[^/]+$/)(req)),
      requestWasSuccessful: (_req, res) => res.statusCode !== 404,
      skipSuccessfulRequests: true,
    }),
    limiter("sign-in", limits.RATE_LIMIT_SIGN_IN_FAILURES, SIGN_IN_RETRY_HEADER, {
      skip: (req) => !isPost(req) || !route(/^\/admin\/sign-in(\.data)?$/)(req),
      // The sign-in page answers 401 for a wrong email or password.
      requestWasSuccessful: (_req, res) => res.statusCode !== 401,
      skipSuccessfulRequests: true,
    }),
  ];
}

// How often one client may post forms, place orders and guess: counted per
// client address, in this process's memory, or with several workers in the
// primary's (app/web/cluster.server.ts; docs/security.md says what to use
// with several replicas). The address is req.ip, which honours
// TRUST_PROXY: behind a proxy without it, every visitor shares the proxy's
// address; with TRUST_PROXY=true every client can pick its own with
// X-Forwarded-For, so give the number of proxies instead (app/web/app.server.ts warns).
// Over a limit, the request is marked, not answered (app/web/rate-limited.server.ts).
import type { Request, RequestHandler } from "express";
import rateLimit, { type Options, type Store } from "express-rate-limit";
import type { RateLimit } from "#app/core/env.server.ts";
import { RATE_LIMITED_HEADER, type RateLimitName } from "#app/web/rate-limited.server.ts";
import { refusedBecause } from "#app/web/access-log.server.ts";
import { requestRoute } from "#app/web/request-route.server.ts";

type Limits = {
  RATE_LIMIT_POSTS: RateLimit;
  RATE_LIMIT_ORDERS: RateLimit;
  RATE_LIMIT_LOOKUP_FAILURES: RateLimit;
  RATE_LIMIT_SIGN_IN_FAILURES: RateLimit;
};

/**
 * The route React Router runs names the limit in its `handle`, so however
 * the path is written (`/admin/./sign-in`, `/CHECKOUT/`) a request counts as
 * the route it reaches. The account page's password check counts as
 * "sign-in": otherwise a stolen session could try passwords there.
 */
const countsAgainst = (name: RateLimitName) => (req: Request) => {
  const route = requestRoute(req);
  // Mounted after resolveRoutes (app/web/app.server.ts); without it, no limit would count.
  if (!route) throw new Error("rate limits need the request's route: mount resolveRoutes before them");
  const method = req.method === "HEAD" ? "GET" : req.method;
  return (method === "GET" || method === "POST") && route.handle?.rateLimit?.[method] === name;
};
const formPost = (req: Request) => req.method === "POST";
const checkout = countsAgainst("order");
const orderLookup = countsAgainst("order lookup");
const passwordCheck = countsAgainst("sign-in");

/** Where each limit counts when not in this process's memory (several workers: the primary's). */
export type RateLimitStores = (name: RateLimitName) => Store;

export function rateLimits(limits: Limits, stores?: RateLimitStores): RequestHandler[] {
  function limiter(name: RateLimitName, limit: RateLimit, options: Partial<Options>): RequestHandler {
    if (limit.count === 0) return (_req, _res, next) => next();
    return rateLimit({
      windowMs: limit.seconds * 1000,
      limit: limit.count,
      standardHeaders: false,
      legacyHeaders: false,
      // The library's checks of proxy headers would log a stack trace for a
      // header any client can send; TRUST_PROXY=true is the operator's choice,
      // and app/web/app.server.ts says what it costs.
      validate: { trustProxy: false, xForwardedForHeader: false, forwardedHeader: false },
      handler(req, res, next, { windowMs }) {
        const info = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit;
        const retryAfter = Math.max(1, Math.ceil(((info?.resetTime?.getTime() ?? Date.now() + windowMs) - Date.now()) / 1000));
        refusedBecause(res, `over the ${name} limit`);
        req.headers[RATE_LIMITED_HEADER] = `${name};${retryAfter}`;
        // Set here: the page that answers may be a thrown response, whose
        // headers React Router drops.
        res.setHeader("Retry-After", String(retryAfter));
        next();
      },
      ...(stores && { store: stores(name) }),
      ...options,
    });
  }

  return [
    // Never trust a mark from outside.
    (req, _res, next) => {
      delete req.headers[RATE_LIMITED_HEADER];
      next();
    },
    limiter("form post", limits.RATE_LIMIT_POSTS, { skip: (req) => !formPost(req) }),
    limiter("order", limits.RATE_LIMIT_ORDERS, {
      skip: (req) => !checkout(req),
      // Count orders placed (a redirect), not a form sent back with mistakes:
      // an answer of 400 or more is taken back. ("Successful" is inverted on
      // purpose: a request the client drops after its order was placed must
      // still count, and only a finished answer is ever taken back.)
      requestWasSuccessful: (_req, res) => res.statusCode >= 400,
      skipSuccessfulRequests: true,
    }),
    // Only misses count, so rereading one's own order never adds up.
    limiter("order lookup", limits.RATE_LIMIT_LOOKUP_FAILURES, {
      skip: (req) => !orderLookup(req),
      requestWasSuccessful: (_req, res) => res.statusCode !== 404,
      skipSuccessfulRequests: true,
    }),
    limiter("sign-in", limits.RATE_LIMIT_SIGN_IN_FAILURES, {
      skip: (req) => !passwordCheck(req),
      // Both pages answer 401 for a wrong password (or email).
      requestWasSuccessful: (_req, res) => res.statusCode !== 401,
      skipSuccessfulRequests: true,
    }),
  ];
}

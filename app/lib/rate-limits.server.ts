import { data, type MiddlewareFunction } from "react-router";

// Rate limits are counted in Express (app/server/rate-limits.server.ts),
// before React Router; a request over a limit is marked with one of these
// headers (any copy a client sent is removed first) and answered by the
// store's pages, so a person sees a page that says what happened and when to
// try again, with JavaScript or without.

/** Over a general limit: the seconds until the client may try again. */
export const RATE_LIMITED_HEADER = "x-store-rate-limited";
/** Too many failed sign-ins: the sign-in page answers with its own message. */
export const SIGN_IN_RETRY_HEADER = "x-store-sign-in-retry-after";

/** Root middleware: a marked request gets a 429 page instead of its action. */
export const refuseRateLimited: MiddlewareFunction<Response> = ({ request }, next) => {
  const retryAfter = Number(request.headers.get(RATE_LIMITED_HEADER));
  if (!(retryAfter > 0)) return next();
  const wait = retryAfter < 90 ? `${retryAfter} seconds` : `${Math.ceil(retryAfter / 60)} minutes`;
  // (The Retry-After header is set in Express, which counted.)
  throw data(`Too many requests from your network in a short time. Please wait ${wait} and try again.`, { status: 429 });
};

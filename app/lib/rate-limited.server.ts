import { data, type MiddlewareFunction } from "react-router";

// Rate limits are counted in Express (app/server/rate-limits.server.ts),
// before React Router. A request over a limit is not answered there: it is
// marked with this header (any copy a client sent is removed first), with
// Retry-After already set on the response, and the store's own pages answer
// it, so a person sees a page that says what happened and when to try again,
// with JavaScript or without.
export const RATE_LIMITED_HEADER = "x-store-rate-limited";

export type RateLimitName = "form post" | "order" | "order lookup" | "sign-in";

/** The limit this request is over, and the seconds until the client may try again; null if none. */
export function rateLimited(request: Request): { limit: RateLimitName; retryAfter: number } | null {
  const match = /^([a-z -]+);(\d+)$/.exec(request.headers.get(RATE_LIMITED_HEADER) ?? "");
  return match ? { limit: match[1] as RateLimitName, retryAfter: Number(match[2]) } : null;
}

/**
 * Root middleware: a request over a limit gets a 429 page instead of its
 * loader or action. Failed sign-ins are the exception: the sign-in page
 * answers those itself, in its form.
 */
export const refuseRateLimited: MiddlewareFunction<Response> = ({ request }, next) => {
  const limited = rateLimited(request);
  if (!limited || limited.limit === "sign-in") return next();
  const { retryAfter } = limited;
  const wait = retryAfter < 90 ? `${retryAfter} seconds` : `${Math.ceil(retryAfter / 60)} minutes`;
  throw data(`Too many requests from your network in a short time. Please wait ${wait} and try again.`, { status: 429 });
};

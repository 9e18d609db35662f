import { data, type MiddlewareFunction } from "react-router";

// Express counts the limits but does not answer a request over one: it
// marks it with this header (removing any copy a client sent), so the
// store's own pages say what happened and when to try again, with
// JavaScript or without.
export const RATE_LIMITED_HEADER = "x-store-rate-limited";

export type RateLimitName = "form post" | "order" | "order lookup" | "sign-in";

/** The limit this request is over, and the seconds until the client may try again; null if none. */
export function rateLimited(request: Request): { limit: RateLimitName; retryAfter: number } | null {
  const match = /^([a-z -]+);(\d+)$/.exec(request.headers.get(RATE_LIMITED_HEADER) ?? "");
  return match ? { limit: match[1] as RateLimitName, retryAfter: Number(match[2]) } : null;
}

/**
 * What a page that checks a staff password says over the failed sign-in
 * limit, in its form (null when the request is not over it). Such a page
 * answers without checking the password, so a flood of guesses costs no
 * Argon2 work; Express set Retry-After already.
 */
export function signInsLimited(request: Request): string | null {
  const limited = rateLimited(request);
  if (limited?.limit !== "sign-in") return null;
  const minutes = Math.ceil(limited.retryAfter / 60);
  return `Too many failed sign-ins from your network. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}

/**
 * Root middleware: a request over a limit gets a 429 page instead of its
 * loader or action. Failed sign-ins are the exception: the pages that
 * check a password (sign-in, account) answer those themselves, in their form.
 */
export const refuseRateLimited: MiddlewareFunction<Response> = ({ request }, next) => {
  const limited = rateLimited(request);
  if (!limited || limited.limit === "sign-in") return next();
  const { retryAfter } = limited;
  const wait = retryAfter < 90 ? `${retryAfter} seconds` : `${Math.ceil(retryAfter / 60)} minutes`;
  throw data(`Too many requests from your network in a short time. Please wait ${wait} and try again.`, { status: 429 });
};

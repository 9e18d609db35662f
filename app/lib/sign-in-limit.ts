// Shared by the Express middleware that counts failed sign-ins
// (app/server/sign-in-limit.server.ts) and the sign-in page's action, which
// refuses with a message the page shows. Plain constants.

/** Failed sign-ins one address may make… */
export const SIGN_IN_MAX_FAILURES = 10;
/** …in this long, before it must wait for the window to pass. */
export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;
/**
 * Set by the middleware (and removed first if a client sent it) when the
 * address has used up its attempts: the seconds until it may try again.
 */
export const SIGN_IN_RETRY_HEADER = "x-store-sign-in-retry-after";

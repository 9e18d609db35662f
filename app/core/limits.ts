// Limits that both the server (validation) and the pages (input attributes)
// need. Plain constants, so this module is safe in the browser bundle.

/**
 * The largest quantity a cart line can ever hold, whatever ORDER_MAX_PER_PRODUCT
 * says (that cap is at most this): what a cart cookie read back is checked against.
 */
export const MAX_QUANTITY = 99;
/** Most different products in one cart; keeps the session cookie far below 4 kB. */
export const MAX_CART_LINES = 30;
/** Longer search input is cut here: no real query needs more. */
export const MAX_QUERY_LENGTH = 100;
/** Staff passwords: at least this long (no other composition rules, as NIST advises)… */
export const MIN_PASSWORD_LENGTH = 12;
/** …and at most this long. */
export const MAX_PASSWORD_LENGTH = 256;

/** A staff sign-in link works once, for this long (the link's page and its email say so). */
export const SIGN_IN_LINK_TTL_MS = 24 * 60 * 60 * 1000;

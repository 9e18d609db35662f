import type { MiddlewareFunction } from "react-router";
import { configContext, type Env } from "#app/core/env.server.ts";
import { SESSION_COOKIE, sessionPageVariant } from "#app/web/session.server.ts";
import { STAFF_COOKIE } from "#app/staff/staff-session.server.ts";

// Who may keep a copy of a page. A shared cache (a CDN, a proxy) that keeps
// one shopper's page and hands it to the next would show them the wrong cart,
// notice or checkout token; a page nobody marks at all can be cached by a
// "cache everything" CDN rule. So every page answer gets an explicit rule,
// decided here, after the page has been rendered:
//
// - a route may declare its page the same for every visitor without a cookie
//   (the catalog, search and product pages, through `sharedPageHeaders()` in
//   their `headers` export): then, for a request that carries no store
//   cookie and an answer that sets none, shared caches may keep its data
//   (`.data`, what the browser fetches for a client-side navigation)
//   briefly. Not the HTML document: its scripts carry this response's CSP
//   nonce, which must never be good twice, and a shared cache replays bytes.
//   The document is `private, max-age=0`: the store's own micro-cache, which
//   gives every replay a fresh nonce, still shares it (decision 028);
// - an answer that sets a cookie, or to a request that carries one (the cart
//   session, a staff session), is `private, no-store`: it was made for
//   that visitor;
// - everything else is `no-store`.
//
// `Vary: Cookie` on every page tells a cache that keeps anything to keep it
// apart from what a cookie holder sees.

// Every cookie the store sets: a new one belongs in this list.
const STORE_COOKIE = new RegExp(`(?:^|;\\s*)(?:${[SESSION_COOKIE, STAFF_COOKIE].join("|")})=`);
const STAFF_SIGNED_IN = new RegExp(`(?:^|;\\s*)${STAFF_COOKIE}=`);

// What a shareable page shows, in the header some CDNs purge by; the
// micro-cache drops pages by it (the tags: app/store/catalog-changes.server.ts).
export const CACHE_TAG = "Cache-Tag";

/**
 * The `headers` of a page that is the same for every visitor without a
 * cookie, with the tags of what it shows. How long a shared cache may keep
 * it (CACHE_S_MAXAGE, CACHE_STALE_WHILE_REVALIDATE) is added by cachePolicy,
 * which has the settings.
 */
export function sharedPageHeaders(tags: string | null) {
  return { "Cache-Control": "public", ...(tags ? { [CACHE_TAG]: tags } : {}) };
}

function sharedLifetime({ CACHE_S_MAXAGE, CACHE_STALE_WHILE_REVALIDATE }: Env) {
  return `public, max-age=0, s-maxage=${CACHE_S_MAXAGE}, stale-while-revalidate=${CACHE_STALE_WHILE_REVALIDATE}`;
}

/**
 * Which copy of a shareable page may answer a request, for the server's
 * micro-cache (docs/decisions/024-micro-cache.md): `anonymous` without a
 * store cookie (the copy a CDN may keep too); for a shopper, what the page
 * shows from their session (`cart=2`); null when the page must be rendered
 * for this request alone (staff, a notice waiting to be shown).
 */
export async function pageVariant(
  cookieHeader: string | undefined,
  config: Pick<Env, "SESSION_SECRETS">,
): Promise<string | null> {
  if (!cookieHeader || !STORE_COOKIE.test(cookieHeader)) return "anonymous";
  if (STAFF_SIGNED_IN.test(cookieHeader)) return null;
  return sessionPageVariant(cookieHeader, config);
}

export function hasStoreCookie(request: Request) {
  return STORE_COOKIE.test(request.headers.get("Cookie") ?? "");
}

/** The root route's outermost middleware: the rule above, on every page and `.data` answer. */
export const cachePolicy: MiddlewareFunction<Response> = async ({ request, context }, next) => {
  const response = await next();
  const declared = response.headers.get("Cache-Control") ?? "";
  const personal = hasStoreCookie(request) || response.headers.has("Set-Cookie");
  if (personal) response.headers.set("Cache-Control", "private, no-store");
  else if (!/\bpublic\b/.test(declared) || response.status !== 200) {
    if (!/\bno-store\b/.test(declared)) response.headers.set("Cache-Control", "no-store");
  } else if (/^text\/html\b/.test(response.headers.get("Content-Type") ?? "")) {
    response.headers.set("Cache-Control", "private, max-age=0");
  } else {
    response.headers.set("Cache-Control", sharedLifetime(context.get(configContext)));
  }
  response.headers.append("Vary", "Cookie");
  return response;
};

import type { MiddlewareFunction } from "react-router";
import { env } from "#app/env.server.ts";
import { SESSION_COOKIE } from "#app/lib/session.server.ts";
import { STAFF_COOKIE } from "#app/lib/staff-session.server.ts";

// Who may keep a copy of a page. A shared cache (a CDN, a proxy) that keeps
// one shopper's page and hands it to the next would show them the wrong cart,
// notice or checkout token; a page nobody marks at all can be cached by a
// "cache everything" CDN rule. So every page answer gets an explicit rule,
// decided here, after the page has been rendered:
//
// - a route may declare its page the same for every visitor without a cookie
//   (the catalog, search and product pages, through `sharedPageHeaders()` in
//   their `headers` export): then, for a request that carries no store
//   cookie and an answer that sets none, shared caches may keep it briefly;
// - an answer that sets a cookie, or to a request that carries one (the cart
//   session, a staff session), is `private, no-store`: it was made for
//   that visitor;
// - everything else is `no-store`.
//
// `Vary: Cookie` on every page tells a cache that keeps anything to keep it
// apart from what a cookie holder sees.

// Every cookie the store sets: a new one belongs in this list.
const STORE_COOKIE = new RegExp(`(?:^|;\\s*)(?:${[SESSION_COOKIE, STAFF_COOKIE].join("|")})=`);

/** The `headers` of a page that is the same for every visitor without a cookie. */
export function sharedPageHeaders() {
  const { CACHE_S_MAXAGE, CACHE_STALE_WHILE_REVALIDATE } = env();
  return {
    "Cache-Control": `public, max-age=0, s-maxage=${CACHE_S_MAXAGE}, stale-while-revalidate=${CACHE_STALE_WHILE_REVALIDATE}`,
  };
}

/** Whether a request carries one of the store's cookies. */
export function hasStoreCookie(request: Request) {
  return STORE_COOKIE.test(request.headers.get("Cookie") ?? "");
}

/** The root route's outermost middleware: the rule above, on every page and `.data` answer. */
export const cachePolicy: MiddlewareFunction<Response> = async ({ request }, next) => {
  const response = await next();
  const declared = response.headers.get("Cache-Control") ?? "";
  const personal = hasStoreCookie(request) || response.headers.has("Set-Cookie");
  if (personal) response.headers.set("Cache-Control", "private, no-store");
  else if (!/\bpublic\b/.test(declared) || response.status !== 200) {
    if (!/\bno-store\b/.test(declared)) response.headers.set("Cache-Control", "no-store");
  }
  response.headers.append("Vary", "Cookie");
  return response;
};

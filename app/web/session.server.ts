import {
  createContext,
  createCookieSessionStorage,
  type MiddlewareFunction,
  type RouterContextProvider,
  type Session,
} from "react-router";
import { z } from "zod";
import { configContext, sessionSecrets, type Env } from "#app/core/env.server.ts";
import type { CartLine } from "#app/shop/cart.server.ts";
import { MAX_CART_LINES, MAX_QUANTITY } from "#app/core/limits.ts";
import { isToken, newToken } from "#app/shop/orders.server.ts";

// The cart lives in the shopper's browser, in a cookie signed with
// SESSION_SECRETS: no session table, nothing to clean up, and a tampered
// cookie fails the signature check and reads as an empty session. Signed is
// not encrypted: the shopper can read (not change) what is in it, which is
// only product ids, quantities and their own checkout token.
//
// Loaders and actions never commit the session themselves: sessionMiddleware
// writes it back once, only if something in it changed.

type SessionData = {
  cart: CartLine[];
  // The one-time token of the order being checked out. It is kept here (not
  // made fresh on every page view) so that reloading the checkout page after
  // a lost response shows the same token, and submitting again finds the
  // order that was already placed instead of placing a second one.
  checkoutToken: string;
};

type FlashData = {
  // A one-time message for the next page ("Added 2 × Stoneware Mug to your
  // cart."). Actions redirect after a change (so reloading never reposts),
  // and the page they redirect to shows this once.
  notice: string;
  // A form refused after a post without JavaScript, carried across the 303
  // back to its page (decision 033): what was wrong and what was typed.
  formFailure: { form: string; status: number; errors: Record<string, string>; values: Record<string, string> };
};

export type StoreSession = Session<SessionData, FlashData>;

/** The cart session's cookie (app/web/cache.server.ts keeps answers to its holders private). */
export const SESSION_COOKIE = "__store_session";

const storages = new WeakMap<string[], ReturnType<typeof createStorage>>();

function storageFor(config: Pick<Env, "SESSION_SECRETS">) {
  let storage = storages.get(config.SESSION_SECRETS);
  if (!storage) storages.set(config.SESSION_SECRETS, (storage = createStorage(config)));
  return storage;
}

function createStorage(config: Pick<Env, "SESSION_SECRETS">) {
  return createCookieSessionStorage<SessionData, FlashData>({
    cookie: {
      name: SESSION_COOKIE,
      httpOnly: true,
      sameSite: "lax",
      path: "/",
      maxAge: 60 * 60 * 24 * 30,
      // The first signs; all are accepted (rotation, docs/security.md).
      secrets: sessionSecrets(config),
      // `secure` is decided per request, in sessionMiddleware.
    },
  });
}

const sessionContext = createContext<StoreSession>();

/**
 * Reads the session cookie once for the whole request and saves it once at
 * the end. The cookie is `Secure` when the request came over HTTPS (directly,
 * or through a proxy trusted with TRUST_PROXY, whose X-Forwarded-Proto then
 * makes the request URL https): a browser drops a Secure cookie set over
 * plain HTTP, and the cart would silently stay empty.
 */
export const sessionMiddleware: MiddlewareFunction<Response> = async ({ request, context, url }, next) => {
  const config = context.get(configContext);
  const storage = storageFor(config);
  const session = await storage.getSession(request.headers.get("Cookie"));
  const before = JSON.stringify(session.data);
  context.set(sessionContext, session);
  const response = await next();
  if (JSON.stringify(session.data) === before) return response;
  const secure = url.protocol === "https:";
  warnIfPlainHttp(url, secure, config.NODE_ENV === "production");
  response.headers.append("Set-Cookie", await storage.commitSession(session, { secure }));
  return response;
};

export function getSession(context: Readonly<RouterContextProvider>): StoreSession {
  return context.get(sessionContext);
}

let warned = false;
/**
 * Once per process: a production store reached over plain HTTP from another
 * machine works (the cookie is not Secure), but carts and checkout details
 * cross the network unencrypted. Say so, with the fix.
 */
function warnIfPlainHttp(url: URL, secure: boolean, production: boolean) {
  if (secure || warned || !production) return;
  const { hostname } = url;
  if (hostname === "localhost" || hostname.endsWith(".localhost") || hostname === "127.0.0.1" || hostname === "[::1]") return;
  warned = true;
  console.warn(
    `[store] serving ${hostname} over plain HTTP: the session cookie cannot be Secure, and carts and ` +
      "checkout details cross the network unencrypted. Put a TLS-terminating proxy in front and set " +
      "TRUST_PROXY (see docs/deploy.md).",
  );
}

// The signature proves the server wrote the cookie, but an older release may
// have written a different shape: anything unexpected reads as an empty cart.
const cartSchema = z
  .array(
    z.object({
      productId: z.int().positive(),
      quantity: z.int().min(1).max(MAX_QUANTITY),
    }),
  )
  .max(MAX_CART_LINES);

export function readCart(session: StoreSession): CartLine[] {
  const parsed = cartSchema.safeParse(session.get("cart"));
  return parsed.success ? parsed.data : [];
}

/** How many items the header's cart badge shows. */
export function cartCount(session: StoreSession): number {
  return readCart(session).reduce((sum, line) => sum + line.quantity, 0);
}

/**
 * What a page shows from this session, for the server's micro-cache: two
 * shoppers with the same cart count see the same catalog, search and product
 * pages, byte for byte (app/web/cache.server.ts, pageVariant). Null while a
 * notice waits: the page that shows it takes it from the session, which
 * writes a new cookie, so that page is this shopper's alone. Whatever the
 * root loader reads from the session must be in this key.
 */
export async function sessionPageVariant(cookieHeader: string, config: Pick<Env, "SESSION_SECRETS">): Promise<string | null> {
  const session = await storageFor(config).getSession(cookieHeader);
  return session.has("notice") ? null : `cart=${cartCount(session)}`;
}

export function writeCart(session: StoreSession, cart: CartLine[]) {
  if (cart.length === 0) session.unset("cart");
  else session.set("cart", cart);
}

/**
 * The pending one-time notice, removed from the session (it shows once).
 * Checked like any other input: a signed cookie from an older release, or
 * one written by a bug, must not put anything but a short text on the page.
 */
export function takeNotice(session: StoreSession): string | null {
  const notice: unknown = session.get("notice");
  return typeof notice === "string" && notice.length <= 500 ? notice : null;
}

export function checkoutTokenFor(session: StoreSession): string {
  let token = session.get("checkoutToken");
  if (!isToken(token)) {
    token = newToken();
    session.set("checkoutToken", token);
  }
  return token;
}

/** The longest value kept across a redirect: longer ones were refused anyway, and the cookie stays small. */
const MAX_KEPT_VALUE = 300;

const formFailureSchema = z.object({
  form: z.string(),
  status: z.int().min(400).max(499),
  errors: z.record(z.string(), z.string().max(1_000)),
  values: z.record(z.string(), z.string().max(MAX_KEPT_VALUE)),
});

/** Decision 033. `form` names the form, so another page never shows it. */
export function flashFormFailure(
  session: StoreSession,
  form: string,
  failure: { errors: Partial<Record<string, string>>; values: Record<string, string> },
  status: number,
) {
  const errors = Object.fromEntries(Object.entries(failure.errors).filter((e): e is [string, string] => e[1] !== undefined));
  const values = Object.fromEntries(Object.entries(failure.values).map(([k, v]) => [k, v.slice(0, MAX_KEPT_VALUE)]));
  session.flash("formFailure", { form, status, errors, values });
}

/** The refused form `form` left in the session, taken (it shows once); checked like any input. */
export function takeFormFailure(session: StoreSession, form: string) {
  if (!session.has("formFailure")) return null;
  const parsed = formFailureSchema.safeParse(session.get("formFailure"));
  return parsed.success && parsed.data.form === form ? parsed.data : null;
}

import { createCookieSessionStorage, type Session } from "react-router";
import { z } from "zod";
import { env, sessionSecret } from "#app/env.server.ts";
import type { CartLine } from "#app/lib/cart.server.ts";
import { MAX_CART_LINES, MAX_QUANTITY } from "#app/lib/limits.ts";
import { isToken, newToken } from "#app/lib/orders.server.ts";

// The cart lives in the shopper's browser, in a cookie signed with
// SESSION_SECRET: no session table, nothing to clean up, and a tampered
// cookie fails the signature check and reads as an empty session. Signed is
// not encrypted: the shopper can read (not change) what is in it, which is
// only product ids, quantities and their own checkout token.

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
};

let storage: ReturnType<typeof createStorage> | undefined;

function createStorage() {
  const config = env();
  return createCookieSessionStorage<SessionData, FlashData>({
    cookie: {
      name: "__store_session",
      httpOnly: true,
      sameSite: "lax",
      // Browsers only send it back over HTTPS in production (and on localhost).
      secure: config.NODE_ENV === "production",
      path: "/",
      maxAge: 60 * 60 * 24 * 30,
      secrets: [sessionSecret(config)],
    },
  });
}

function sessionStorage() {
  storage ??= createStorage();
  return storage;
}

export type StoreSession = Session<SessionData, FlashData>;

export function getSession(request: Request): Promise<StoreSession> {
  return sessionStorage().getSession(request.headers.get("Cookie"));
}

/** The Set-Cookie header that saves the session. */
export async function commitSession(session: StoreSession) {
  return { "Set-Cookie": await sessionStorage().commitSession(session) };
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

export function writeCart(session: StoreSession, cart: CartLine[]) {
  if (cart.length === 0) session.unset("cart");
  else session.set("cart", cart);
}

/** The checkout token for this session, creating one if there is none. */
export function checkoutTokenFor(session: StoreSession): string {
  let token = session.get("checkoutToken");
  if (!isToken(token)) {
    token = newToken();
    session.set("checkoutToken", token);
  }
  return token;
}

// From a placed order to Stripe's hosted page, and back. The order commits
// first (awaiting_payment, stock held), then one provider call opens a
// Checkout Session for it. A crash or an unreachable Stripe between the two
// leaves a held order the shopper can pay again for (the same order, never
// a second one) and the sweeper cancels when its hold runs out.
import { and, asc, eq, sql } from "drizzle-orm";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { orderItems, orders } from "#app/db/schema.ts";
import type { Env } from "#app/core/env.server.ts";
import { moveOrder, type OrderStatus } from "#app/store/order-states.server.ts";
import { HOLD_SLACK_S } from "#app/shop/orders.server.ts";
import { settleSession } from "#app/store/payment-events.server.ts";
import { ProviderUnavailable, returnUrls, type PaymentProvider } from "#app/store/payments.server.ts";

// Stripe refuses a session that closes less than 30 minutes after it is
// created; a hold with less left than this gets a fresh window first.
const STRIPE_MIN_WINDOW_S = 30 * 60 + 30;

export type PayResult =
  | { status: "redirect"; url: string }
  /** The order is not waiting for payment (paid meanwhile, cancelled, …). */
  | { status: "settled"; order: OrderStatus }
  | { status: "unavailable" }
  | { status: "missing" };

function heldOrder(db: AppDatabase, publicId: string) {
  return db
    .select({
      id: orders.id,
      number: orders.number,
      status: orders.status,
      email: orders.email,
      totalCents: orders.totalCents,
      currency: orders.currency,
      paymentReference: orders.paymentReference,
      holdExpiresAt: orders.holdExpiresAt,
    })
    .from(orders)
    .where(eq(orders.publicId, publicId))
    .get();
}

const now = () => Math.floor(Date.now() / 1000);

/**
 * Sends the shopper to pay for a held order: its open session if it has one,
 * else a new session. The idempotency key names the order and its hold, and
 * the session's parameters follow from them alone, so a retry after a lost
 * answer gets the same session back instead of opening a second one.
 */
export async function payForOrder(db: AppDatabase, provider: PaymentProvider, publicId: string, config: Env): Promise<PayResult> {
  let order = heldOrder(db, publicId);
  if (!order) return { status: "missing" };
  if (order.status !== "awaiting_payment") return { status: "settled", order: order.status };
  try {
    if (order.paymentReference) {
      const session = await provider.getSession(order.paymentReference);
      if (session.status === "open" && session.url) return { status: "redirect", url: session.url };
      // Paid (the webhook is on its way), or expired: settle it first.
      settleSession(db, session);
      order = heldOrder(db, publicId)!;
      if (order.status !== "awaiting_payment") return { status: "settled", order: order.status };
      if (session.status === "complete") return { status: "settled", order: order.status };
    }
    // A new window if the hold has too little left for Stripe.
    let hold = Math.floor(order.holdExpiresAt!.getTime() / 1000);
    if (hold - now() < STRIPE_MIN_WINDOW_S) {
      hold = now() + config.PAYMENT_HOLD_MINUTES * 60 + HOLD_SLACK_S;
      const extended = db
        .update(orders)
        .set({ holdExpiresAt: sql`${hold}`, updatedAt: sql`(unixepoch())` })
        .where(and(eq(orders.id, order.id), eq(orders.status, "awaiting_payment")))
        .run();
      if (extended.changes !== 1) return { status: "settled", order: heldOrder(db, publicId)!.status };
    }
    const lines = db
      .select({ name: orderItems.productName, unitAmount: orderItems.unitPriceCents, quantity: orderItems.quantity })
      .from(orderItems)
      .where(eq(orderItems.orderId, order.id))
      .orderBy(asc(orderItems.id))
      .all();
    const session = await provider.createSession({
      orderId: order.id,
      orderNumber: order.number,
      lines,
      currency: order.currency,
      email: order.email,
      expiresAt: new Date(hold * 1000),
      ...returnUrls(publicId, config),
      idempotencyKey: `order-${publicId}-hold-${hold}`,
    });
    const saved = db
      .update(orders)
      .set({ paymentReference: session.id, updatedAt: sql`(unixepoch())` })
      .where(and(eq(orders.id, order.id), eq(orders.status, "awaiting_payment")))
      .run();
    if (saved.changes !== 1) {
      // Cancelled meanwhile (the sweeper, or the shopper in another tab):
      // this session must never be paid.
      await provider.expireSession(session.id).catch(() => undefined);
      return { status: "settled", order: heldOrder(db, publicId)!.status };
    }
    if (!session.url) return { status: "unavailable" };
    return { status: "redirect", url: session.url };
  } catch (error) {
    if (error instanceof ProviderUnavailable) return { status: "unavailable" };
    throw error;
  }
}

/**
 * The shopper gives up: the session is closed at Stripe first (so it cannot
 * be paid afterwards), then the order is cancelled and its stock returns.
 * If Stripe says it was paid after all, the order is paid instead.
 */
export async function cancelUnpaidOrder(db: AppDatabase, provider: PaymentProvider | null, publicId: string): Promise<PayResult> {
  const order = heldOrder(db, publicId);
  if (!order) return { status: "missing" };
  if (order.status !== "awaiting_payment") return { status: "settled", order: order.status };
  if (order.paymentReference) {
    if (!provider) return { status: "unavailable" };
    try {
      const session = await provider.expireSession(order.paymentReference);
      if (session.status !== "expired") {
        settleSession(db, session);
        return { status: "settled", order: heldOrder(db, publicId)!.status };
      }
    } catch (error) {
      if (error instanceof ProviderUnavailable) return { status: "unavailable" };
      throw error;
    }
  }
  moveOrder(db, order.id, ["awaiting_payment"], "cancelled", { note: "cancelled by the shopper before paying" });
  return { status: "settled", order: heldOrder(db, publicId)!.status };
}

/**
 * Asks Stripe about a held order's session, so a shopper back from paying
 * sees "Payment received" without waiting for the webhook. Best effort:
 * the page answers from the database either way.
 */
export async function confirmSooner(db: AppDatabase, provider: PaymentProvider, publicId: string) {
  const order = heldOrder(db, publicId);
  if (!order || order.status !== "awaiting_payment" || !order.paymentReference) return;
  try {
    settleSession(db, await provider.getSession(order.paymentReference));
  } catch (error) {
    if (!(error instanceof ProviderUnavailable)) throw error;
  }
}

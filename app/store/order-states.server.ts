// The order state machine. Every change of an order's status goes through
// moveOrder, so the rules live here, and the CHECK on orders.status (0012)
// stands behind them:
//
//   placed ───────────┐                      (manual payment: staff mark it paid)
//   awaiting_payment ─┴─→ paid ─→ shipped    (Stripe: the webhook marks it paid)
//   placed, awaiting_payment, paid ─→ cancelled   stock returns
//   paid ─→ refunded                               stock returns
//   shipped ─→ refunded                            stock does not: it left
//
// A move names the states it may start from. The UPDATE matches only an
// order still in one of them, under the write lock, so of two racing moves
// (a webhook and the sweeper, two members of staff) exactly one happens,
// and stock comes back exactly once.
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { orderItems, orders, type orderStatuses } from "#app/db/schema.ts";
import { moveStock } from "#app/store/inventory.server.ts";
import { enqueueMessage, type OrderMessageKind } from "#app/store/mail/outbox.server.ts";

export type OrderStatus = (typeof orderStatuses)[number];

export const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  placed: ["paid", "cancelled"],
  awaiting_payment: ["paid", "cancelled"],
  paid: ["shipped", "cancelled", "refunded"],
  shipped: ["refunded"],
  cancelled: [],
  refunded: [],
};

/** States whose items are still counted as taken from stock and not shipped. */
const HOLDS_STOCK: readonly OrderStatus[] = ["placed", "awaiting_payment", "paid"];

/**
 * Which email a move sends. An order paid online gets its confirmation only
 * now (checkout sent none: the shopper might never pay); a manual order got
 * it at checkout and now hears that its payment came in. An order that was
 * never confirmed (its online payment never came) is cancelled silently.
 */
export function messageFor(from: OrderStatus, to: OrderStatus): OrderMessageKind | null {
  if (to === "paid") return from === "awaiting_payment" ? "order_placed" : "order_paid";
  if (to === "shipped") return "order_shipped";
  if (to === "cancelled") return from === "awaiting_payment" ? null : "order_cancelled";
  if (to === "refunded") return "order_refunded";
  return null;
}

export type MoveExtra = {
  paymentReference?: string | null;
  paymentIntent?: string | null;
  paidAt?: Date | null;
  holdExpiresAt?: Date | null;
  paymentIssue?: string | null;
  /** Who did it, for the stock ledger (null: the store itself, a webhook or the sweeper). */
  staffId?: number | null;
  /** PUBLIC_URL, for the Message-ID of the shopper's email. */
  origin?: string;
  /** Why, in the ledger's note for returned stock. */
  note?: string;
};

export type MoveResult =
  | { status: "moved"; from: OrderStatus; number: string }
  | { status: "missing" }
  /** The order is not in any of the `from` states: nothing changed. */
  | { status: "conflict"; current: OrderStatus };

/**
 * Moves one order from one of `from` to `to`, with the payment fields in
 * `extra`, returning its stock if the move ends a hold. Runs in the caller's
 * write transaction if there is one (so a webhook's event row commits with
 * it), else in its own BEGIN IMMEDIATE.
 */
export function moveOrder(
  db: AppDatabase,
  orderId: number,
  from: readonly OrderStatus[],
  to: OrderStatus,
  extra: MoveExtra = {},
): MoveResult {
  for (const state of from) {
    if (!TRANSITIONS[state].includes(to)) throw new Error(`an order cannot move from ${state} to ${to}`);
  }
  const run = (): MoveResult => {
    const before = db.select({ status: orders.status }).from(orders).where(eq(orders.id, orderId)).get();
    if (!before) return { status: "missing" };
    if (!from.includes(before.status)) return { status: "conflict", current: before.status };
    const { staffId, note, origin, ...fields } = extra;
    const updated = db
      .update(orders)
      .set({
        ...fields,
        status: to,
        // A hold ends with the state that had it.
        ...(to === "awaiting_payment" ? {} : { holdExpiresAt: null }),
        updatedAt: sql`(unixepoch())`,
      })
      .where(and(eq(orders.id, orderId), inArray(orders.status, [...from])))
      .returning({ number: orders.number })
      .get();
    if (!updated) throw new Error("order changed inside the write lock");
    const returnsStock = HOLDS_STOCK.includes(before.status) && (to === "cancelled" || to === "refunded");
    if (returnsStock) {
      const items = db
        .select({ productId: orderItems.productId, quantity: orderItems.quantity })
        .from(orderItems)
        .where(eq(orderItems.orderId, orderId))
        .orderBy(asc(orderItems.id))
        .all();
      for (const item of items) {
        moveStock(db, {
          productId: item.productId,
          delta: item.quantity,
          reason: "cancellation",
          orderId,
          staffId: staffId ?? null,
          note: note ?? "",
        });
      }
    }
    // The shopper's email about this change, in this transaction: it exists
    // exactly when the change committed (app/store/mail/outbox.server.ts).
    const kind = messageFor(before.status, to);
    if (kind) enqueueMessage(db, { kind, orderId }, { origin });
    return { status: "moved", from: before.status, number: updated.number };
  };
  return db.$client.inTransaction ? run() : db.transaction(run, { behavior: "immediate" });
}

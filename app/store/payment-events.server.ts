// What the store does with a payment outcome, wherever it learns it: a
// webhook, the shopper coming back, the sweeper asking Stripe. Every path
// ends in moveOrder, whose UPDATE matches only an order still in the state
// the move starts from, so learning the same thing twice changes nothing.
// Webhooks also get their event id recorded in payment_events in the same
// transaction as their effect: a redelivery is answered from that row
// (decision 035).
import { and, asc, eq, inArray, lt, notLike, sql } from "drizzle-orm";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { orders, paymentEvents } from "#app/db/schema.ts";
import { moveOrder } from "#app/store/order-states.server.ts";
import { formatPrice } from "#app/core/money.ts";
import type { PaymentEvent, SessionState } from "#app/store/payments.server.ts";

export type Outcome = { orderId: number | null; outcome: string };

function orderFor(db: AppDatabase, orderId: number | null) {
  if (orderId === null) return undefined;
  return db
    .select({
      id: orders.id,
      status: orders.status,
      totalCents: orders.totalCents,
      currency: orders.currency,
      paymentReference: orders.paymentReference,
      paymentIntent: orders.paymentIntent,
      paymentIssue: orders.paymentIssue,
    })
    .from(orders)
    .where(eq(orders.id, orderId))
    .get();
}

function flag(db: AppDatabase, orderId: number, issue: string, payment: { paymentIntent?: string | null } = {}) {
  db.update(orders).set({ paymentIssue: issue, ...payment }).where(eq(orders.id, orderId)).run();
}

const money = (amount: number | null, currency: string | null) =>
  amount === null || currency === null ? "nothing" : `${formatPrice(amount, currency)} ${currency.toUpperCase()}`;

/**
 * A session Stripe says is paid: the order becomes paid if the money is the
 * order's total in the order's currency; otherwise it is flagged for staff
 * and stays as it is (the sweeper leaves flagged orders alone).
 */
function sessionPaid(db: AppDatabase, session: SessionState): Outcome {
  const order = orderFor(db, session.orderId);
  if (!order) return { orderId: null, outcome: "ignored: no such order" };
  if (order.status === "paid" || order.status === "shipped" || order.status === "refunded") {
    if (order.paymentIntent && session.paymentIntent && order.paymentIntent !== session.paymentIntent) {
      flag(db, order.id, `A second payment (${money(session.amount, session.currency)}, session ${session.id}) came in for this order, which was already paid: refund one of them.`);
      return { orderId: order.id, outcome: "flagged: paid twice" };
    }
    return { orderId: order.id, outcome: "ignored: already paid" };
  }
  if (order.status === "cancelled") {
    flag(db, order.id, `A payment (${money(session.amount, session.currency)}, session ${session.id}) came in after this order was cancelled: refund it in Stripe.`);
    return { orderId: order.id, outcome: "flagged: paid after cancellation" };
  }
  if (session.amount !== order.totalCents || session.currency !== order.currency) {
    flag(
      db,
      order.id,
      `Stripe took ${money(session.amount, session.currency)} (session ${session.id}), but the order is for ${money(order.totalCents, order.currency)}: check it in Stripe, then refund or mark it paid.`,
      // The payment, so that the owner's "Mark paid" keeps it and a refund can name it.
      { paymentIntent: session.paymentIntent },
    );
    return { orderId: order.id, outcome: "flagged: amount or currency mismatch" };
  }
  const moved = moveOrder(db, order.id, ["awaiting_payment", "placed"], "paid", {
    paidAt: new Date(),
    paymentReference: session.id,
    paymentIntent: session.paymentIntent,
  });
  return { orderId: order.id, outcome: moved.status === "moved" ? "paid" : `ignored: ${moved.status}` };
}

/** A session that can no longer be paid: its order is cancelled, stock back, if this was its session. */
function sessionDead(db: AppDatabase, session: SessionState, why: string): Outcome {
  const order = orderFor(db, session.orderId);
  if (!order) return { orderId: null, outcome: "ignored: no such order" };
  // An older session of an order that has a newer one: that one may still be paid.
  if (order.paymentReference !== session.id) return { orderId: order.id, outcome: "ignored: not the order's current session" };
  if (order.status !== "awaiting_payment") return { orderId: order.id, outcome: `ignored: order is ${order.status}` };
  if (order.paymentIssue) return { orderId: order.id, outcome: "ignored: flagged for staff" };
  const moved = moveOrder(db, order.id, ["awaiting_payment"], "cancelled", { note: why });
  return { orderId: order.id, outcome: moved.status === "moved" ? "cancelled" : `ignored: ${moved.status}` };
}

/** What a session's state means for its order, wherever the state came from. */
export function settleSession(db: AppDatabase, session: SessionState, why = "payment not completed"): Outcome {
  const run = (): Outcome => {
    if (session.status === "complete" && session.paid) return sessionPaid(db, session);
    if (session.status === "expired") return sessionDead(db, session, why);
    return { orderId: session.orderId, outcome: session.status === "complete" ? "waiting: delayed payment" : "waiting: open" };
  };
  return db.$client.inTransaction ? run() : db.transaction(run, { behavior: "immediate" });
}

function refunded(db: AppDatabase, event: Extract<PaymentEvent, { type: "refunded" }>): Outcome {
  const order = db
    .select({ id: orders.id, status: orders.status, currency: orders.currency })
    .from(orders)
    .where(eq(orders.paymentIntent, event.paymentIntent))
    .get();
  if (!order) return { orderId: null, outcome: "ignored: no order with this payment" };
  if (!event.fully) {
    flag(db, order.id, `Part of this payment (${formatPrice(event.amountRefunded, order.currency)}) was refunded in Stripe: the order was not changed.`);
    return { orderId: order.id, outcome: "flagged: partial refund" };
  }
  if (order.status !== "paid" && order.status !== "shipped") return { orderId: order.id, outcome: `ignored: order is ${order.status}` };
  const moved = moveOrder(db, order.id, [order.status], "refunded", { note: "refunded in Stripe" });
  return { orderId: order.id, outcome: moved.status === "moved" ? "refunded" : `ignored: ${moved.status}` };
}

export type Applied = Outcome & { duplicate: boolean };

/**
 * Applies one verified webhook event exactly once: its row in
 * payment_events and its effect commit together, or neither does. A second
 * delivery of the same event finds the row and changes nothing.
 */
export function applyEvent(db: AppDatabase, event: PaymentEvent): Applied {
  return db.transaction(
    (): Applied => {
      const seen = db.select().from(paymentEvents).where(eq(paymentEvents.id, event.id)).get();
      if (seen) return { orderId: seen.orderId, outcome: seen.outcome, duplicate: true };
      let result: Outcome;
      switch (event.type) {
        case "session.completed":
        case "session.async_succeeded":
          result = settleSession(db, event.session);
          break;
        case "session.expired":
          result = settleSession(db, event.session, "payment session expired");
          break;
        case "session.async_failed":
          result = sessionDead(db, event.session, "delayed payment failed");
          break;
        case "refunded":
          result = refunded(db, event);
          break;
        default:
          result = { orderId: null, outcome: `ignored: ${event.name}` };
      }
      const type = event.type === "other" ? event.name : event.type;
      db.insert(paymentEvents).values({ id: event.id, type, orderId: result.orderId, outcome: result.outcome }).run();
      return { ...result, duplicate: false };
    },
    { behavior: "immediate" },
  );
}

/**
 * Deletes up to `limit` webhook rows older than `keepDays` days, oldest
 * first; returns how many. A batch is one short write transaction (about
 * 3 ms a thousand rows), so a backlog never holds the lock for long.
 * `keepDays` is at least 4: Stripe redelivers for up to 3 days, and an event
 * redelivered after its row is gone would be applied again (harmless for
 * orders, not for a note to staff). The owner's acceptances (`staff.*`) are
 * records, not deliveries: they stay.
 */
export function prunePaymentEvents(db: AppDatabase, keepDays: number, options: { now?: Date; limit?: number } = {}): number {
  if (!(keepDays >= 4)) throw new Error("payment events are kept at least 4 days: Stripe redelivers for up to 3");
  const before = Math.floor((options.now ?? new Date()).getTime() / 1000) - keepDays * 86_400;
  const oldest = db
    .select({ id: paymentEvents.id })
    .from(paymentEvents)
    .where(and(lt(paymentEvents.createdAt, sql`${before}`), notLike(paymentEvents.type, "staff.%")))
    .orderBy(asc(paymentEvents.createdAt))
    .limit(options.limit ?? 2_000);
  return db.delete(paymentEvents).where(inArray(paymentEvents.id, oldest)).run().changes;
}

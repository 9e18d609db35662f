// Orders as staff see them (/admin/orders): the list, one order, and what
// staff may do to it: mark a manual order paid, ship a paid order, cancel an
// unpaid manual order (its items go back in stock, with a ledger movement
// per line, in the same transaction). The moves themselves are
// app/store/order-states.server.ts.
//
// Each refuses to act on a page that is out of date: the form says which
// status it showed, and the UPDATE only matches an order that still has it.
// If another member of staff got there first, nothing changes and the page
// says what happened (409).
import { asc, count, desc, eq, inArray, sql, sum } from "drizzle-orm";
import { z } from "zod";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { orderItems, orders, orderStatuses, paymentEvents, staff, stockMovements } from "#app/db/schema.ts";
import { orderMessages } from "#app/store/mail/outbox.server.ts";
import { orderSummary } from "#app/store/order-summary.server.ts";
import { moveOrder, type OrderStatus } from "#app/store/order-states.server.ts";
import { clampPage } from "#app/core/pages.ts";

export const ORDERS_PAGE_SIZE = 25;

export type { OrderStatus };
export const orderStatusFilters = ["all", ...orderStatuses] as const;
export type OrderStatusFilter = (typeof orderStatusFilters)[number];

export function parseStatusFilter(value: string | null): OrderStatusFilter {
  return orderStatusFilters.find((s) => s === value) ?? "all";
}

export function listOrders(db: AppDatabase, options: { status?: OrderStatusFilter; page?: number }) {
  const status = options.status ?? "all";
  const where = status === "all" ? undefined : eq(orders.status, status);
  const total = db.select({ n: count() }).from(orders).where(where).get()!.n;
  const { page, pageCount } = clampPage(options.page, total, ORDERS_PAGE_SIZE);
  // The units of each listed order, as a correlated subquery built by Drizzle
  // rather than written in a sql`` template: in a single-table select, Drizzle
  // prints the columns inside a template without their table's name, and
  // `"order_id" = "id"` would compare order_items with itself (issue 23).
  const units = db
    .select({ units: sum(orderItems.quantity) })
    .from(orderItems)
    .where(eq(orderItems.orderId, orders.id));
  const items = db
    .select({
      id: orders.id,
      number: orders.number,
      customerName: orders.customerName,
      status: orders.status,
      totalCents: orders.totalCents,
      currency: orders.currency,
      createdAt: orders.createdAt,
      itemCount: sql<number>`${units}`.mapWith(Number),
    })
    .from(orders)
    .where(where)
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(ORDERS_PAGE_SIZE)
    .offset((page - 1) * ORDERS_PAGE_SIZE)
    .all();
  return { items, total, page, pageCount, status };
}

export function getOrderForStaff(db: AppDatabase, id: number) {
  const order = orderSummary(db, eq(orders.id, id), {
    updatedAt: orders.updatedAt,
    paymentReference: orders.paymentReference,
    paidAt: orders.paidAt,
    holdExpiresAt: orders.holdExpiresAt,
    paymentIssue: orders.paymentIssue,
  });
  if (!order) return undefined;
  // What the order did to stock: its sale, and its return if cancelled.
  const movements = db
    .select({
      id: stockMovements.id,
      productId: stockMovements.productId,
      delta: stockMovements.delta,
      reason: stockMovements.reason,
      createdAt: stockMovements.createdAt,
      staffEmail: staff.email,
    })
    .from(stockMovements)
    .leftJoin(staff, eq(staff.id, stockMovements.staffId))
    .where(eq(stockMovements.orderId, id))
    .orderBy(asc(stockMovements.id))
    .all();
  // The emails the shopper was sent about it, and where each one stands.
  return { ...order, movements, messages: orderMessages(db, id) };
}

/** The order page's buttons: which move, and the status the page showed. */
export const transitionSchema = z.object({
  intent: z.enum(["pay", "ship", "cancel"], { error: "Choose mark paid, ship or cancel." }),
  status: z.enum(orderStatuses, { error: "This page is out of date. Reload it and try again." }),
});
export type StaffIntent = z.infer<typeof transitionSchema>["intent"];

export type TransitionResult =
  | { status: "done"; order: { number: string; status: OrderStatus } }
  | { status: "missing" }
  /** The order is no longer in the status the page showed, or cannot make this move: nothing changed. */
  | { status: "conflict"; current: OrderStatus };

// What each button may do. Shipping needs a paid order: the server refuses
// to ship one whose money has not come in, whatever the page sent. Only a
// manual order is marked paid by hand; a Stripe order is paid by Stripe's
// webhook, and one waiting for it is cancelled by the sweeper when its hold
// runs out (docs/payments.md).
const MOVES = {
  pay: { from: ["placed"], to: "paid" },
  ship: { from: ["paid"], to: "shipped" },
  cancel: { from: ["placed"], to: "cancelled" },
} as const satisfies Record<StaffIntent, { from: readonly OrderStatus[]; to: OrderStatus }>;

/** The moves staff may make from a status, for the page's buttons. */
export function staffMoves(status: OrderStatus): StaffIntent[] {
  return (Object.keys(MOVES) as StaffIntent[]).filter((intent) =>
    (MOVES[intent].from as readonly OrderStatus[]).includes(status),
  );
}

/**
 * Marks a manual order paid, ships a paid order, or cancels an unpaid
 * manual order with its stock returned. `expected` is the status the staff
 * member's page showed: if the order has moved since, nothing changes.
 */
export function transitionOrder(
  db: AppDatabase,
  input: { orderId: number; intent: StaffIntent; expected: OrderStatus; staffId: number; origin?: string },
): TransitionResult {
  const move = MOVES[input.intent];
  const from = (move.from as readonly OrderStatus[]).filter((s) => s === input.expected);
  if (from.length === 0) {
    const current = db.select({ status: orders.status }).from(orders).where(eq(orders.id, input.orderId)).get();
    return current ? { status: "conflict", current: current.status } : { status: "missing" };
  }
  const result = moveOrder(db, input.orderId, from, move.to, {
    staffId: input.staffId,
    origin: input.origin,
    ...(move.to === "paid" ? { paidAt: new Date() } : {}),
  });
  if (result.status !== "moved") return result;
  return { status: "done", order: { number: result.number, status: move.to } };
}

/**
 * Whether the owner may accept the payment Stripe took for this order by
 * hand: a Stripe order still awaiting payment, flagged because the amount or
 * currency Stripe reported differs from the order's (payment-events.server.ts).
 */
export function paymentAcceptable(order: { status: OrderStatus; paymentProvider: string; paymentIssue: string | null }) {
  return order.status === "awaiting_payment" && order.paymentProvider === "stripe" && order.paymentIssue !== null;
}

export type AcceptResult =
  | { status: "paid"; number: string }
  | { status: "missing" }
  /** Not (or no longer) an order awaiting a flagged payment, or not the issue the page showed: nothing changed. */
  | { status: "conflict"; current: OrderStatus };

/**
 * The owner accepts a flagged Stripe payment after checking it in Stripe:
 * the order becomes paid (moveOrder: its hold ends, the confirmation email is
 * queued), the issue is cleared, and a row in payment_events says who
 * accepted what, in the same transaction. Nothing is charged or refunded.
 * `issue` is the note the page showed: if it changed since, nothing happens.
 */
export function acceptFlaggedPayment(
  db: AppDatabase,
  input: { orderId: number; issue: string; staffId: number; origin?: string },
): AcceptResult {
  return db.transaction(
    () => {
      const order = db
        .select({ status: orders.status, paymentProvider: orders.paymentProvider, paymentIssue: orders.paymentIssue })
        .from(orders)
        .where(eq(orders.id, input.orderId))
        .get();
      if (!order) return { status: "missing" } as const;
      if (!paymentAcceptable(order) || order.paymentIssue !== input.issue) return { status: "conflict", current: order.status } as const;
      const moved = moveOrder(db, input.orderId, ["awaiting_payment"], "paid", {
        paidAt: new Date(),
        paymentIssue: null,
        staffId: input.staffId,
        origin: input.origin,
      });
      if (moved.status !== "moved") return moved;
      const who = db.select({ email: staff.email }).from(staff).where(eq(staff.id, input.staffId)).get();
      db.insert(paymentEvents)
        .values({
          id: `staff-accept-${input.orderId}`,
          type: "staff.payment_accepted",
          orderId: input.orderId,
          outcome: `paid: accepted by ${who?.email ?? `staff ${input.staffId}`} (was: ${input.issue})`,
        })
        .run();
      return { status: "paid", number: moved.number } as const;
    },
    { behavior: "immediate" },
  );
}

/** For the dashboard: orders waiting to be shipped, and orders waiting for payment. */
export function storeSummary(db: AppDatabase) {
  const toShip = db.select({ n: count() }).from(orders).where(eq(orders.status, "paid")).get()!.n;
  const toPay = db
    .select({ n: count() })
    .from(orders)
    .where(inArray(orders.status, ["placed", "awaiting_payment"]))
    .get()!.n;
  return { toShip, toPay };
}

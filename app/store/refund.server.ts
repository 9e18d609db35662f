// A full refund of a paid (or shipped) order, by the owner. Stripe first,
// with an idempotency key per order, so pressing twice or retrying after a
// timeout refunds once; then the order moves to refunded, and its stock
// returns if it had not shipped (moveOrder). A manual order's money went
// back by hand: the store only records it. If the process stops between
// Stripe's answer and the move, Stripe's charge.refunded webhook does the
// move (app/store/payment-events.server.ts).
import { eq } from "drizzle-orm";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { orders } from "#app/db/schema.ts";
import { moveOrder, type OrderStatus } from "#app/store/order-states.server.ts";
import { ProviderUnavailable, type PaymentProvider } from "#app/store/payments.server.ts";

export type RefundResult =
  | { status: "refunded"; number: string; restocked: boolean }
  | { status: "missing" }
  | { status: "conflict"; current: OrderStatus }
  | { status: "unavailable" };

export function refundable(status: OrderStatus): boolean {
  return status === "paid" || status === "shipped";
}

export async function refundOrder(
  db: AppDatabase,
  provider: PaymentProvider | null,
  input: { orderId: number; expected: OrderStatus; staffId: number },
): Promise<RefundResult> {
  const order = db
    .select({
      status: orders.status,
      number: orders.number,
      publicId: orders.publicId,
      totalCents: orders.totalCents,
      paymentProvider: orders.paymentProvider,
      paymentIntent: orders.paymentIntent,
    })
    .from(orders)
    .where(eq(orders.id, input.orderId))
    .get();
  if (!order) return { status: "missing" };
  if (order.status !== input.expected || !refundable(order.status)) return { status: "conflict", current: order.status };
  if (order.paymentProvider === "stripe") {
    if (!provider || !order.paymentIntent) return { status: "unavailable" };
    try {
      await provider.refund({ paymentIntent: order.paymentIntent, amount: order.totalCents, idempotencyKey: `refund-${order.publicId}` });
    } catch (error) {
      if (error instanceof ProviderUnavailable) return { status: "unavailable" };
      throw error;
    }
  }
  const moved = moveOrder(db, input.orderId, [order.status], "refunded", { staffId: input.staffId, note: "refunded" });
  // Stripe's webhook may have recorded the refund first: refunded either way.
  if (moved.status === "conflict" && moved.current !== "refunded") return moved;
  return { status: "refunded", number: order.number, restocked: order.status === "paid" };
}

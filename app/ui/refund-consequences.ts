import { formatPrice } from "#app/core/money.ts";

/** What refunding an order does, in words: the order page's confirm step and the refund page say the same. */
export function refundConsequences(order: {
  paymentProvider: string;
  status: string;
  totalCents: number;
  currency: string;
  customerName: string;
}): string {
  const amount = formatPrice(order.totalCents, order.currency);
  return [
    order.paymentProvider === "stripe"
      ? `Stripe will return ${amount} to ${order.customerName}'s card.`
      : `Record that ${amount} went back to ${order.customerName} (by transfer or in cash: the store sends no money itself).`,
    order.status === "paid"
      ? "The order has not shipped, so its items go back in stock."
      : "The order has shipped, so its items do not come back into stock.",
    "This cannot be undone.",
  ].join(" ");
}

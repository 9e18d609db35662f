/**
 * An order's status as people read it ("Placed", not the stored "placed"),
 * on the shopper's and the staff's pages alike. A status without a word here
 * yet (one a later release adds) still reads as a word.
 */
const words: Record<string, string> = {
  placed: "Placed",
  awaiting_payment: "Awaiting payment",
  paid: "Paid",
  shipped: "Shipped",
  cancelled: "Cancelled",
  refunded: "Refunded",
};

export function orderStatusLabel(status: string): string {
  return words[status] ?? `${status.charAt(0).toUpperCase()}${status.slice(1).replaceAll("_", " ")}`;
}

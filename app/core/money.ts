// Prices are integer cents everywhere; this is the one place they become text.
const formatter = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

export function formatPrice(cents: number): string {
  return formatter.format(cents / 100);
}

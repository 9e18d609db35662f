// One order as a page or an email shows it: the ship-to, the contact, the
// total and its lines. The shopper's confirmation page, the staff's order
// page and the emails read it here, each adding the few columns only it
// shows (`more`), so what reaches a shopper's page never carries staff-only
// columns such as the payment issue or the provider's reference.
import { asc, eq, sql, type SQL } from "drizzle-orm";
import type { SelectedFields } from "drizzle-orm/sqlite-core";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { orderItems, orders, products } from "#app/db/schema.ts";

const SUMMARY = {
  id: orders.id,
  number: orders.number,
  status: orders.status,
  createdAt: orders.createdAt,
  email: orders.email,
  phone: orders.phone,
  customerName: orders.customerName,
  addressLine1: orders.addressLine1,
  addressLine2: orders.addressLine2,
  city: orders.city,
  postalCode: orders.postalCode,
  country: orders.country,
  totalCents: orders.totalCents,
  // An order keeps the currency it was placed in, whatever the store's is today.
  currency: orders.currency,
  paymentProvider: orders.paymentProvider,
};

/**
 * The order matching `where` (one row: by id or by public id) with its lines
 * in the order they were bought, or undefined. A line's name and price are
 * the ones it was sold at; the product's picture, address and SKU are today's.
 */
export function orderSummary<More extends SelectedFields = Record<never, never>>(
  db: AppDatabase,
  where: SQL,
  more: More = {} as More,
) {
  const order = db
    .select({ ...SUMMARY, ...more })
    .from(orders)
    .where(where)
    .get();
  if (!order) return undefined;
  const items = db
    .select({
      productId: orderItems.productId,
      productName: orderItems.productName,
      unitPriceCents: orderItems.unitPriceCents,
      quantity: orderItems.quantity,
      slug: products.slug,
      sku: products.sku,
      image: products.image,
      archived: sql<boolean>`${products.archivedAt} IS NOT NULL`.mapWith(Boolean),
    })
    .from(orderItems)
    .innerJoin(products, eq(products.id, orderItems.productId))
    .where(eq(orderItems.orderId, order.id))
    .orderBy(asc(orderItems.id))
    .all();
  return { ...order, items };
}

export type OrderSummary = NonNullable<ReturnType<typeof orderSummary>>;
export type OrderSummaryLine = OrderSummary["items"][number];

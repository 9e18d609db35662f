// Orders as staff see them (/admin/orders): the list, one order, and the two
// things that can happen to a placed order. Shipping marks it shipped;
// cancelling puts its items back in stock, with a ledger movement per line,
// in the same transaction that changes the status.
//
// Both refuse to act on a page that is out of date: the form says which
// status it showed (always `placed`, the only status with buttons), and the
// UPDATE only matches an order that still has it. If another member of staff
// got there first, nothing changes and the page says what happened (409).
import { and, asc, count, desc, eq, sql, sum } from "drizzle-orm";
import { z } from "zod";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { orderItems, orders, orderStatuses, products, staff, stockMovements } from "#app/db/schema.ts";
import { moveStock } from "#app/lib/inventory.server.ts";

export const ORDERS_PAGE_SIZE = 25;

export type OrderStatus = (typeof orderStatuses)[number];
export const orderStatusFilters = ["all", ...orderStatuses] as const;
export type OrderStatusFilter = (typeof orderStatusFilters)[number];

export function parseStatusFilter(value: string | null): OrderStatusFilter {
  return orderStatusFilters.find((s) => s === value) ?? "all";
}

export function listOrders(db: AppDatabase, options: { status?: OrderStatusFilter; page?: number }) {
  const status = options.status ?? "all";
  const where = status === "all" ? undefined : eq(orders.status, status);
  const total = db.select({ n: count() }).from(orders).where(where).get()!.n;
  const pageCount = Math.max(1, Math.ceil(total / ORDERS_PAGE_SIZE));
  const page = Math.min(Math.max(1, Math.trunc(options.page ?? 1) || 1), pageCount);
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
  const order = db
    .select({
      id: orders.id,
      number: orders.number,
      email: orders.email,
      customerName: orders.customerName,
      addressLine1: orders.addressLine1,
      addressLine2: orders.addressLine2,
      city: orders.city,
      postalCode: orders.postalCode,
      country: orders.country,
      phone: orders.phone,
      status: orders.status,
      totalCents: orders.totalCents,
      createdAt: orders.createdAt,
      updatedAt: orders.updatedAt,
    })
    .from(orders)
    .where(eq(orders.id, id))
    .get();
  if (!order) return undefined;
  const items = db
    .select({
      productId: orderItems.productId,
      productName: orderItems.productName,
      unitPriceCents: orderItems.unitPriceCents,
      quantity: orderItems.quantity,
      sku: products.sku,
      archived: sql<boolean>`${products.archivedAt} IS NOT NULL`.mapWith(Boolean),
    })
    .from(orderItems)
    .innerJoin(products, eq(products.id, orderItems.productId))
    .where(eq(orderItems.orderId, id))
    .orderBy(asc(orderItems.id))
    .all();
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
  return { ...order, items, movements };
}

/** The ship and cancel buttons: which order, and the status the page showed. */
export const transitionSchema = z.object({
  intent: z.enum(["ship", "cancel"], { error: "Choose ship or cancel." }),
  status: z.enum(orderStatuses, { error: "This page is out of date. Reload it and try again." }),
});

export type TransitionResult =
  | { status: "done"; order: { number: string; status: OrderStatus } }
  | { status: "missing" }
  /** The order is no longer in the status the page showed: nothing changed. */
  | { status: "conflict"; current: OrderStatus };

const NEXT = { ship: "shipped", cancel: "cancelled" } as const;

/**
 * placed → shipped, or placed → cancelled with the stock returned. `expected`
 * is the status the staff member's page showed.
 */
export function transitionOrder(
  db: AppDatabase,
  input: { orderId: number; intent: "ship" | "cancel"; expected: OrderStatus; staffId: number },
): TransitionResult {
  return db.transaction(
    () => {
      const to = NEXT[input.intent];
      // Only `placed` orders move; the page's status must still be the
      // order's status. One UPDATE checks both under the write lock.
      const updated = db
        .update(orders)
        .set({ status: to, updatedAt: sql`(unixepoch())` })
        .where(and(eq(orders.id, input.orderId), eq(orders.status, input.expected), eq(orders.status, "placed")))
        .returning({ number: orders.number })
        .get();
      if (!updated) {
        const current = db.select({ status: orders.status }).from(orders).where(eq(orders.id, input.orderId)).get();
        return current ? ({ status: "conflict", current: current.status } as const) : ({ status: "missing" } as const);
      }
      if (input.intent === "cancel") {
        const items = db
          .select({ productId: orderItems.productId, quantity: orderItems.quantity })
          .from(orderItems)
          .where(eq(orderItems.orderId, input.orderId))
          .orderBy(asc(orderItems.id))
          .all();
        for (const item of items) {
          moveStock(db, {
            productId: item.productId,
            delta: item.quantity,
            reason: "cancellation",
            orderId: input.orderId,
            staffId: input.staffId,
          });
        }
      }
      return { status: "done", order: { number: updated.number, status: to } } as const;
    },
    { behavior: "immediate" },
  );
}

/** For the dashboard: orders waiting to be shipped, and products running low. */
export function storeSummary(db: AppDatabase, lowStock = 5) {
  const toShip = db.select({ n: count() }).from(orders).where(eq(orders.status, "placed")).get()!.n;
  const running = db
    .select({ id: products.id, name: products.name, sku: products.sku, stock: products.stock })
    .from(products)
    .where(sql`${products.archivedAt} IS NULL AND ${products.stock} <= ${lowStock}`)
    .orderBy(asc(products.stock), asc(products.name))
    .limit(10)
    .all();
  return { toShip, lowStock: running, lowStockThreshold: lowStock };
}

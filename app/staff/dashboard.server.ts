// The staff dashboard's figures (docs/admin.md, decision 038): sales today,
// over 7 and over 30 days, a 30-day series for the chart, the latest
// orders, the best sellers, and what is running low. Plain functions over
// the database, each one query.
//
// A sale is an order whose money came in and stayed: status paid or shipped.
// Not placed or awaiting_payment (no money yet), not cancelled (none came or
// it went back) and not refunded (it went back). An order counts on the day
// it was placed (created_at), in the store's time zone (app/core/store-days.ts).
//
// The SQL is written out with every column named by its table: in a
// sql`` template Drizzle prints interpolated columns without their table's
// name, which in a join or a correlated subquery can bind to the wrong
// table (issue 23's Items count).
import { sql } from "drizzle-orm";
import type { AppDatabase } from "#app/db/connection.server.ts";
import type { StoreDay } from "#app/core/store-days.ts";

/** The statuses that count as a sale. */
export const SALE_STATUSES = ["paid", "shipped"] as const;
const isSale = sql`orders.status IN (${sql.join(
  SALE_STATUSES.map((s) => sql`${s}`),
  sql`, `,
)})`;
/** A product on sale with this many or fewer in stock is listed as running low. */
export const LOW_STOCK_THRESHOLD = 5;
/** Days in the chart and in the longest total. */
export const CHART_DAYS = 30;

export type DaySales = { date: string; orders: number; units: number; revenueCents: number };
export type SalesTotals = { orders: number; units: number; revenueCents: number };

/**
 * Orders, units and revenue for each of `days` (oldest first, as
 * storeDays gives them), with a row for a day without sales. Each day reads
 * only its own range of the (status, created_at) index.
 */
export function dailySales(db: AppDatabase, days: StoreDay[]): DaySales[] {
  const rows = db.all<{ date: string; orders: number; units: number; revenue: number }>(sql`
    WITH days(date, start_at, end_at) AS (
      SELECT value ->> 'date', value ->> 'start', value ->> 'end' FROM json_each(${JSON.stringify(days)})
    )
    SELECT days.date AS date,
           count(orders.id) AS orders,
           coalesce(sum((SELECT sum(order_items.quantity) FROM order_items WHERE order_items.order_id = orders.id)), 0) AS units,
           coalesce(sum(orders.total_cents), 0) AS revenue
    FROM days
    LEFT JOIN orders
      ON ${isSale}
     AND orders.created_at >= days.start_at AND orders.created_at < days.end_at
    GROUP BY days.date
    ORDER BY days.date`);
  return rows.map((r) => ({ date: r.date, orders: r.orders, units: r.units, revenueCents: r.revenue }));
}

/** The totals of the last `n` days of a daily series (n = 1: today). */
export function lastDays(series: DaySales[], n: number): SalesTotals {
  return series.slice(-n).reduce(
    (t, d) => ({ orders: t.orders + d.orders, units: t.units + d.units, revenueCents: t.revenueCents + d.revenueCents }),
    { orders: 0, units: 0, revenueCents: 0 },
  );
}

/** The products that sold the most units from `since` (unix seconds), then by revenue. */
export function topProducts(db: AppDatabase, since: number, limit = 5) {
  return db.all<{ productId: number; name: string; sku: string; units: number; revenueCents: number }>(sql`
    SELECT products.id AS productId, products.name AS name, products.sku AS sku,
           sum(order_items.quantity) AS units,
           sum(order_items.quantity * order_items.unit_price_cents) AS revenueCents
    FROM orders
    JOIN order_items ON order_items.order_id = orders.id
    JOIN products ON products.id = order_items.product_id
    WHERE ${isSale} AND orders.created_at >= ${since}
    GROUP BY products.id
    ORDER BY units DESC, revenueCents DESC, products.name
    LIMIT ${limit}`);
}

/** The newest orders, in any status, with their units. */
export function recentOrders(db: AppDatabase, limit = 5) {
  return db
    .all<{ id: number; number: string; customerName: string; status: string; totalCents: number; createdAt: number; units: number }>(sql`
      SELECT orders.id AS id, orders.number AS number, orders.customer_name AS customerName, orders.status AS status,
             orders.total_cents AS totalCents, orders.created_at AS createdAt,
             (SELECT coalesce(sum(order_items.quantity), 0) FROM order_items WHERE order_items.order_id = orders.id) AS units
      FROM orders
      ORDER BY orders.created_at DESC, orders.id DESC
      LIMIT ${limit}`)
    .map((o) => ({ ...o, createdAt: new Date(o.createdAt * 1000) }));
}

/** Products on sale with LOW_STOCK_THRESHOLD or fewer left, the emptiest first. */
export function lowStock(db: AppDatabase, threshold = LOW_STOCK_THRESHOLD, limit = 10) {
  return db.all<{ id: number; name: string; sku: string; stock: number }>(sql`
    SELECT products.id AS id, products.name AS name, products.sku AS sku, products.stock AS stock
    FROM products
    WHERE products.archived_at IS NULL AND products.stock <= ${threshold}
    ORDER BY products.stock, products.name
    LIMIT ${limit}`);
}

// The dashboard's figures on a real SQLite file: orders in every status, on
// different days, with several lines, quantities above 1 and distinct
// prices; days cut in the store's time zone, where that is not UTC's day.
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { orderItems, orders, products, type orderStatuses } from "#app/db/schema.ts";
import { storeDays } from "#app/core/store-days.ts";
import { dailySales, lastDays, lowStock, recentOrders, topProducts } from "#app/staff/dashboard.server.ts";
import { productBySlug, seededDatabase } from "#tests/helpers/db.ts";

type Status = (typeof orderStatuses)[number];

let made = 0;
/** An order placed at `at`, with lines of [product, quantity, unit price]. */
function order(db: AppDatabase, at: string, status: Status, lines: [number, number, number][]) {
  const n = ++made;
  const total = lines.reduce((sum, [, q, price]) => sum + q * price, 0);
  const { id } = db
    .insert(orders)
    .values({
      publicId: randomUUID(),
      number: `T-${n}`,
      checkoutToken: randomUUID(),
      email: `buyer${n}@example.com`,
      customerName: `Buyer ${n}`,
      addressLine1: "1 High Street",
      city: "Leeds",
      postalCode: "LS1 1AA",
      country: "United Kingdom",
      status,
      totalCents: total,
      createdAt: new Date(at),
      holdExpiresAt: status === "awaiting_payment" ? new Date(Date.parse(at) + 1_800_000) : null,
    })
    .returning({ id: orders.id })
    .get();
  for (const [productId, quantity, unitPriceCents] of lines) {
    db.insert(orderItems).values({ orderId: id, productId, productName: `#${productId}`, unitPriceCents, quantity }).run();
  }
  return id;
}

describe("the store's days", () => {
  it("cut at midnight in the store's zone, not UTC's", () => {
    // 20:30 UTC on 5 December is 09:30 on the 6th in Auckland (UTC+13 in summer).
    const now = new Date("2026-12-05T20:30:00Z");
    const [today] = storeDays(now, "Pacific/Auckland", 1);
    expect(today).toEqual({
      date: "2026-12-06",
      start: Date.parse("2026-12-05T11:00:00Z") / 1000,
      end: Date.parse("2026-12-06T11:00:00Z") / 1000,
    });
    expect(storeDays(now, "UTC", 1)[0]!.date).toBe("2026-12-05");
    const days = storeDays(now, "America/Los_Angeles", 30);
    expect(days).toHaveLength(30);
    expect(days[0]!.date).toBe("2026-11-06");
    expect(days.at(-1)!.date).toBe("2026-12-05");
    // Each day starts where the one before ended.
    for (let i = 1; i < days.length; i++) expect(days[i]!.start).toBe(days[i - 1]!.end);
  });

  it("has a 23-hour day when the clocks go forward", () => {
    // Europe/London: 29 March 2026, 01:00 → 02:00.
    const days = storeDays(new Date("2026-03-30T12:00:00Z"), "Europe/London", 3);
    expect(days.map((d) => [d.date, (d.end - d.start) / 3600])).toEqual([
      ["2026-03-28", 24],
      ["2026-03-29", 23],
      ["2026-03-30", 24],
    ]);
    expect(days[2]!.start).toBe(Date.parse("2026-03-29T23:00:00Z") / 1000);
  });
});

describe("dashboard figures", () => {
  // The store is in Auckland; it is 09:30 on 6 December there, 20:30 on the 5th in UTC.
  const ZONE = "Pacific/Auckland";
  const NOW = new Date("2026-12-05T20:30:00Z");

  function store() {
    const db = seededDatabase();
    const mug = productBySlug(db, "stoneware-mug").id;
    const [a, b] = db.select({ id: products.id }).from(products).limit(3).all().filter((p) => p.id !== mug);
    return { db, mug, a: a!.id, b: b!.id };
  }

  it("counts paid and shipped orders by the store's day, with units and revenue", () => {
    const { db, mug, a, b } = store();
    // Today in Auckland (after 11:00 UTC on the 5th): a paid order of two lines, a shipped one.
    order(db, "2026-12-05T12:00:00Z", "paid", [[mug, 3, 1_250], [a, 2, 4_000]]); // 5 units, 11,750
    order(db, "2026-12-05T20:00:00Z", "shipped", [[b, 4, 999]]); // 4 units, 3,996
    // Today too, but not sales: no money yet, or none kept.
    order(db, "2026-12-05T13:00:00Z", "placed", [[mug, 7, 1_250]]);
    order(db, "2026-12-05T13:30:00Z", "awaiting_payment", [[mug, 6, 1_250]]);
    order(db, "2026-12-05T14:00:00Z", "cancelled", [[a, 5, 4_000]]);
    order(db, "2026-12-05T14:30:00Z", "refunded", [[b, 9, 999]]);
    // 10:59 UTC on the 5th is still yesterday in Auckland (23:59 on the 5th there): UTC's today, not the store's.
    order(db, "2026-12-05T10:59:00Z", "paid", [[a, 2, 3_500]]); // 2 units, 7,000
    // Four days ago in the store's zone.
    order(db, "2026-12-01T22:00:00Z", "shipped", [[mug, 2, 1_100], [b, 3, 2_000]]); // 5 units, 8,200
    // 20 days ago.
    order(db, "2026-11-15T23:00:00Z", "paid", [[a, 6, 3_000]]); // 6 units, 18,000
    // 31 days ago: outside the 30 days.
    order(db, "2026-11-04T12:00:00Z", "paid", [[mug, 10, 1_000]]);

    const days = storeDays(NOW, ZONE, 30);
    const series = dailySales(db, days);
    expect(series).toHaveLength(30);
    expect(series.at(-1)).toEqual({ date: "2026-12-06", orders: 2, units: 9, revenueCents: 15_746 });
    expect(series.at(-2)).toEqual({ date: "2026-12-05", orders: 1, units: 2, revenueCents: 7_000 });
    expect(series.find((d) => d.date === "2026-12-02")).toEqual({ date: "2026-12-02", orders: 1, units: 5, revenueCents: 8_200 });
    expect(series.find((d) => d.date === "2026-11-16")).toEqual({ date: "2026-11-16", orders: 1, units: 6, revenueCents: 18_000 });
    expect(series.filter((d) => d.orders > 0)).toHaveLength(4);

    expect(lastDays(series, 1)).toEqual({ orders: 2, units: 9, revenueCents: 15_746 });
    expect(lastDays(series, 7)).toEqual({ orders: 4, units: 16, revenueCents: 30_946 });
    expect(lastDays(series, 30)).toEqual({ orders: 5, units: 22, revenueCents: 48_946 });

    // The same orders in UTC: the 10:59 order is today's, and so are the later ones.
    const utc = dailySales(db, storeDays(NOW, "UTC", 30));
    expect(lastDays(utc, 1)).toEqual({ orders: 3, units: 11, revenueCents: 22_746 });
  });

  it("ranks the best sellers of the 30 days by units, and lists the newest orders with their units", () => {
    const { db, mug, a, b } = store();
    const since = storeDays(NOW, ZONE, 30)[0]!.start;
    order(db, "2026-12-05T12:00:00Z", "paid", [[mug, 3, 1_250], [a, 2, 4_000]]);
    order(db, "2026-12-03T12:00:00Z", "shipped", [[mug, 2, 1_100], [b, 4, 999]]);
    order(db, "2026-12-04T12:00:00Z", "cancelled", [[a, 9, 4_000]]); // not a sale
    order(db, "2026-11-01T12:00:00Z", "paid", [[a, 20, 4_000]]); // too old
    const last = order(db, "2026-12-05T19:00:00Z", "placed", [[b, 2, 999], [a, 1, 4_000]]);

    const top = topProducts(db, since);
    expect(top.map((p) => [p.productId, p.units, p.revenueCents])).toEqual([
      [mug, 5, 3 * 1_250 + 2 * 1_100],
      [b, 4, 3_996],
      [a, 2, 8_000],
    ]);
    const mugRow = db.select().from(products).where(eq(products.id, mug)).get()!;
    expect(top[0]).toMatchObject({ name: mugRow.name, sku: mugRow.sku });

    const recent = recentOrders(db, 3);
    expect(recent.map((o) => [o.id, o.status, o.units, o.totalCents])).toEqual([
      [last, "placed", 3, 2 * 999 + 4_000],
      [recent[1]!.id, "paid", 5, 11_750],
      [recent[2]!.id, "cancelled", 9, 36_000],
    ]);
    expect(recent[0]!.createdAt).toEqual(new Date("2026-12-05T19:00:00Z"));
  });

  it("lists products on sale at or under the threshold, the emptiest first, and not archived ones", () => {
    const { db, mug, a, b } = store();
    db.update(products).set({ stock: 50 }).run();
    db.update(products).set({ stock: 4 }).where(eq(products.id, mug)).run();
    db.update(products).set({ stock: 0 }).where(eq(products.id, a)).run();
    db.update(products).set({ stock: 5 }).where(eq(products.id, b)).run();
    expect(lowStock(db).map((p) => [p.id, p.stock])).toEqual([[a, 0], [mug, 4], [b, 5]]);
    db.update(products).set({ archivedAt: new Date() }).where(eq(products.id, a)).run();
    expect(lowStock(db).map((p) => p.id)).toEqual([mug, b]);
    expect(lowStock(db, 4).map((p) => p.id)).toEqual([mug]);
  });
});

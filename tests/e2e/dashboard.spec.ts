// The staff dashboard at 390 and 1280 px, with JavaScript and without: the
// sales figures, the chart's table, recent orders, best sellers and the
// products running low, on
// orders this file writes into the server's database (several lines,
// quantities above 1, distinct prices, different states and days). Other
// spec files place orders today too, so today's and the periods' figures are
// read before and after: what this file adds must show, exactly. The e2e
// server runs in UTC (playwright.config.ts); the zone's cut is tested in
// tests/staff/dashboard.test.ts.
import { randomUUID } from "node:crypto";
import { inArray } from "drizzle-orm";
import type { Page } from "@playwright/test";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { orderItems, orders, products, type orderStatuses } from "#app/db/schema.ts";
import { expect, expectAccessible, expectNoSidewaysScroll, signInAsStaff, test } from "#tests/helpers/browser.ts";
import { productBySlug } from "#tests/helpers/db.ts";

const db = openDatabase(process.env.E2E_DATABASE_PATH!);
test.afterAll(() => closeDatabase(db));

const made: number[] = [];
const madeProducts: number[] = [];
test.afterEach(() => {
  // Products of this file's own go off sale again: the shopper specs count the catalog.
  if (madeProducts.length > 0) db.update(products).set({ archivedAt: new Date() }).where(inArray(products.id, madeProducts)).run();
  madeProducts.length = 0;
  if (made.length === 0) return;
  db.delete(orderItems).where(inArray(orderItems.orderId, made)).run();
  db.delete(orders).where(inArray(orders.id, made)).run();
  made.length = 0;
});

/** A product of this file's own with `stock` left; named to sort first among products as empty. */
function stocked(label: string, stock: number, archived = false) {
  const tag = randomUUID().slice(0, 6);
  const name = `Aaa Dash ${label} ${tag}`;
  const { id } = db
    .insert(products)
    .values({
      slug: `dash-${label.toLowerCase().replaceAll(" ", "-")}-${tag}`,
      name,
      description: "A product the dashboard test counts.",
      priceCents: 1_500,
      stock,
      image: "/images/products/stoneware-mug.svg",
      sku: `DSH-${tag.toUpperCase()}`,
      archivedAt: archived ? new Date() : null,
    })
    .returning({ id: products.id })
    .get();
  madeProducts.push(id);
  return name;
}

const DAY = 86_400_000;
function order(at: Date, status: (typeof orderStatuses)[number], customer: string, lines: [string, number, number][]) {
  const total = lines.reduce((sum, [, q, price]) => sum + q * price, 0);
  const { id, number } = db
    .insert(orders)
    .values({
      publicId: randomUUID(),
      number: `DASH-${randomUUID().slice(0, 8).toUpperCase()}`,
      checkoutToken: randomUUID(),
      email: "dash@example.com",
      customerName: customer,
      addressLine1: "1 High Street",
      city: "Leeds",
      postalCode: "LS1 1AA",
      country: "United Kingdom",
      status,
      totalCents: total,
      createdAt: at,
    })
    .returning({ id: orders.id, number: orders.number })
    .get();
  made.push(id);
  for (const [slug, quantity, unitPriceCents] of lines) {
    const product = productBySlug(db, slug);
    db.insert(orderItems).values({ orderId: id, productId: product.id, productName: product.name, unitPriceCents, quantity }).run();
  }
  return number;
}

const money = (text: string) => Math.round(Number(text.replace(/[$,]/g, "")) * 100);

/** The three periods as { revenue (cents), orders, units }. */
async function periods(page: Page) {
  const read = async (label: string) => {
    const box = page.locator("dl > div").filter({ has: page.locator("dt", { hasText: new RegExp(`^${label}$`) }) });
    const [revenue, counts] = await box.locator("dd").allTextContents();
    const [, orderCount, units] = /^(\d+) orders?, (\d+) units?$/.exec(counts!.trim()) ?? [];
    return { revenue: money(revenue!), orders: Number(orderCount), units: Number(units) };
  };
  return { today: await read("Today"), week: await read("Last 7 days"), month: await read("Last 30 days") };
}

/** The chart table's row for a day, as [orders, units, revenue in cents]. */
async function tableRow(page: Page, date: Date) {
  const label = new Intl.DateTimeFormat("en-US", { weekday: "short", month: "short", day: "numeric", timeZone: "UTC" }).format(date);
  const row = page.getByRole("table", { name: /Sales by day/ }).getByRole("row").filter({ has: page.getByRole("rowheader", { name: label, exact: true }) });
  const cells = await row.getByRole("cell").allTextContents();
  return [Number(cells[0]), Number(cells[1]), money(cells[2]!)];
}

for (const viewport of [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
]) {
  test.describe(`at ${viewport.width} px`, () => {
    test.use({ viewport });

    test("the dashboard's sales, chart table, recent orders and best sellers count paid and shipped orders only; running low lists what is on sale with 5 or fewer", async ({ page }) => {
      await signInAsStaff(page, db);
      const before = await periods(page);
      const now = new Date();
      // Earlier today in UTC, unless the test runs in the first minutes of the day.
      const today = new Date(Math.max(now.getTime() - 60_000, Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())));
      const threeDaysAgo = new Date(now.getTime() - 3 * DAY);
      const twelveDaysAgo = new Date(now.getTime() - 12 * DAY);
      const fortyDaysAgo = new Date(now.getTime() - 40 * DAY);

      // Sales: two lines with quantities above 1 today, one shipped three days ago, two paid twelve days ago.
      order(today, "paid", "Grace Hopper", [["stoneware-mug", 3, 1_850], ["espresso-cup-pair", 2, 2_400]]); // 5 units, 10,350
      order(threeDaysAgo, "shipped", "Alan Turing", [["espresso-cup-pair", 4, 2_300]]); // 4 units, 9,200
      order(twelveDaysAgo, "paid", "Katherine Johnson", [["stoneware-mug", 2, 1_700]]); // 2, 3,400
      order(twelveDaysAgo, "shipped", "Dorothy Vaughan", [["stoneware-mug", 1, 1_700], ["espresso-cup-pair", 6, 2_000]]); // 7, 13,700
      // Not sales: waiting for payment, cancelled, refunded; and one older than 30 days.
      order(today, "placed", "Not Yet Paid", [["stoneware-mug", 9, 1_800]]);
      order(today, "cancelled", "Changed Mind", [["espresso-cup-pair", 8, 2_400]]);
      order(threeDaysAgo, "refunded", "Sent Back", [["stoneware-mug", 5, 1_800]]);
      order(fortyDaysAgo, "paid", "Long Ago", [["stoneware-mug", 11, 1_800]]);
      const newest = order(now, "placed", "Ada Newest", [["espresso-cup-pair", 2, 2_400], ["stoneware-mug", 3, 1_800]]);
      // Running low: on sale with 5 or fewer; not the one with 6, nor an archived one.
      const soldOut = stocked("Sold Out", 0);
      const twoLeft = stocked("Two Left", 2);
      const sixLeft = stocked("Six Left", 6);
      const archived = stocked("Archived", 1, true);

      await page.reload();
      const after = await periods(page);
      expect({
        today: { revenue: after.today.revenue - before.today.revenue, orders: after.today.orders - before.today.orders, units: after.today.units - before.today.units },
        week: { revenue: after.week.revenue - before.week.revenue, orders: after.week.orders - before.week.orders, units: after.week.units - before.week.units },
        month: { revenue: after.month.revenue - before.month.revenue, orders: after.month.orders - before.month.orders, units: after.month.units - before.month.units },
      }).toEqual({
        today: { revenue: 10_350, orders: 1, units: 5 },
        week: { revenue: 19_550, orders: 2, units: 9 },
        month: { revenue: 36_650, orders: 4, units: 18 },
      });
      await expect(page.getByText("A sale is an order that is paid or shipped")).toBeVisible();
      await expect(page.getByText("Days run midnight to midnight in UTC.")).toBeVisible();

      // The chart is one image with a summary; its table has a row for each of the 30 days.
      await expect(page.getByRole("img", { name: /^Revenue by day from/ })).toBeVisible();
      await page.getByText("The figures, day by day").click();
      const table = page.getByRole("table", { name: /Sales by day/ });
      await expect(table).toBeVisible();
      await expect(table.getByRole("row")).toHaveCount(31);
      // Twelve days ago only this file's orders exist: exact figures.
      expect(await tableRow(page, twelveDaysAgo)).toEqual([2, 9, 17_100]);

      // Recent orders: the newest first, with its units and total.
      const recent = page.getByRole("list", { name: "Recent orders" }).getByRole("listitem");
      await expect(recent.first()).toContainText(newest);
      await expect(recent.first()).toContainText("Ada Newest");
      await expect(recent.first()).toContainText("Placed");
      await expect(recent.first()).toContainText("5 units, $102.00");

      // Best sellers over 30 days include the cup pair's 12 units here (2 + 4 + 6) and the mug's 6 (3 + 2 + 1).
      const best = page.getByRole("list", { name: "Best sellers" });
      await expect(best.getByRole("link", { name: "Espresso Cup Pair" })).toBeVisible();
      await expect(best.getByRole("link", { name: "Stoneware Mug" })).toBeVisible();

      // Running low, the emptiest first; each links to its stock page.
      await expect(page.getByRole("heading", { name: "Running low (5 or fewer)" })).toBeVisible();
      const low = page.getByRole("list", { name: "Running low" }).getByRole("listitem");
      await expect(low.filter({ hasText: soldOut })).toContainText("Sold out");
      await expect(low.filter({ hasText: twoLeft })).toContainText("2 left");
      await expect(low.filter({ hasText: sixLeft })).toHaveCount(0);
      await expect(low.filter({ hasText: archived })).toHaveCount(0);
      const names = await low.getByRole("link").allTextContents();
      expect(names.indexOf(soldOut)).toBeLessThan(names.indexOf(twoLeft));
      await expect(low.filter({ hasText: twoLeft }).getByRole("link")).toHaveAttribute("href", new RegExp(`^/admin/products/${madeProducts[1]}/stock$`));

      await expectNoSidewaysScroll(page);
      await expectAccessible(page);

      await recent.first().getByRole("link", { name: newest }).click();
      await expect(page.getByRole("heading", { level: 1 })).toContainText(newest);
    });
  });
}

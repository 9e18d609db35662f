// Staff tables at a phone's width (390 px) and a laptop's (1280 px), with
// JavaScript and without: the page never scrolls sideways; each table sits
// in a named scroll region, its first column (the order number, the product,
// the day, the email) stays in view while the rest scroll, and codes (order
// numbers, SKUs) never break across lines.
import { randomBytes, randomUUID } from "node:crypto";
import { inArray } from "drizzle-orm";
import type { Page } from "@playwright/test";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { orderItems, orders } from "#app/db/schema.ts";
import { expect, expectAccessible, expectNoSidewaysScroll, signInAsStaff, test } from "#tests/helpers/browser.ts";
import { productBySlug } from "#tests/helpers/db.ts";

const db = openDatabase(process.env.E2E_DATABASE_PATH!);
test.afterAll(() => closeDatabase(db));

const made: number[] = [];
test.afterEach(() => {
  db.delete(orderItems).where(inArray(orderItems.orderId, made)).run();
  db.delete(orders).where(inArray(orders.id, made)).run();
  made.length = 0;
});

/** A placed order of two lines for a customer with a long name; placed and changed at `at`; its number `code` and `status` as given. */
function longOrder(at?: Date, { code, status = "placed" }: { code?: string; status?: "placed" | "awaiting_payment" } = {}) {
  const mug = productBySlug(db, "stoneware-mug");
  const cups = productBySlug(db, "espresso-cup-pair");
  const { id, number, publicId } = db
    .insert(orders)
    .values({
      // The shape of the store's own public ids (newToken): the shopper's page answers 404 to any other.
      publicId: randomBytes(16).toString("base64url"),
      number: code ?? `TBL-${randomUUID().slice(0, 8).toUpperCase()}`,
      checkoutToken: randomUUID(),
      email: "maximilian.wolfeschlegelsteinhausen@example.com",
      customerName: "Maximilian Wolfeschlegelsteinhausenbergerdorff",
      addressLine1: "1 High Street",
      city: "Leeds",
      postalCode: "LS1 1AA",
      country: "United Kingdom",
      status,
      totalCents: 3 * 1_800 + 2 * 2_400,
      ...(at ? { createdAt: at, updatedAt: at } : {}),
      // A held order (waiting for an online payment) has a hold that runs out.
      ...(status === "awaiting_payment" ? { paymentProvider: "stripe" as const, holdExpiresAt: new Date(Date.now() + 3_600_000) } : {}),
    })
    .returning({ id: orders.id, number: orders.number, publicId: orders.publicId })
    .get();
  made.push(id);
  db.insert(orderItems).values([
    { orderId: id, productId: mug.id, productName: mug.name, unitPriceCents: 1_800, quantity: 3 },
    { orderId: id, productId: cups.id, productName: cups.name, unitPriceCents: 2_400, quantity: 2 },
  ]).run();
  return { id, number, publicId };
}

/** The table's region: named, focusable by keyboard, holding the table. */
async function region(page: Page, name: string) {
  const found = page.getByRole("region", { name });
  await expect(found).toBeVisible();
  await expect(found).toHaveAttribute("tabindex", "0");
  await expect(found.getByRole("table")).toBeVisible();
  return found;
}

/** How many lines the element's text takes. */
const lines = (element: ReturnType<Page["locator"]>) =>
  element.evaluate((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
  });

/**
 * Every cell holds its own content: nothing in it reaches past its edges
 * into the next column. At 390 px the products' names once ran over their
 * SKUs: the thumbnail beside each name counted as 0 px wide when the table
 * sized its columns.
 */
async function expectCellsHoldTheirContent(region: ReturnType<Page["locator"]>) {
  const spills = await region.locator("table").evaluate((table) =>
    [...table.querySelectorAll("th, td")].flatMap((cell) => {
      const box = cell.getBoundingClientRect();
      // What is drawn: every element and text in the cell, not a screen reader's clipped `sr-only` text.
      const drawn: DOMRect[] = [];
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if ((node instanceof Element ? node : node.parentElement)?.closest(".sr-only")) continue;
        if (node instanceof Element) drawn.push(node.getBoundingClientRect());
        else if (node.textContent?.trim()) {
          const range = document.createRange();
          range.selectNodeContents(node);
          drawn.push(range.getBoundingClientRect());
        }
      }
      // A closed <dialog> (display: none) has no box.
      drawn.splice(0, drawn.length, ...drawn.filter((r) => r.width > 0 && r.height > 0));
      const left = Math.min(...drawn.map((r) => r.left));
      const right = Math.max(...drawn.map((r) => r.right));
      return drawn.length > 0 && (left < box.left - 0.5 || right > box.right + 0.5)
        ? [`"${(cell.textContent ?? "").trim().slice(0, 30)}": ${Math.round(left)}–${Math.round(right)} in ${Math.round(box.left)}–${Math.round(box.right)}`]
        : [];
    }),
  );
  expect(spills, "cells whose content spills into the next column").toEqual([]);
}

/** Inside the window, left to right. */
async function inView(page: Page, element: ReturnType<Page["locator"]>) {
  const box = (await element.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(page.viewportSize()!.width);
}

for (const viewport of [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
]) {
  test.describe(`at ${viewport.width} px`, () => {
    test.use({ viewport });

    test("orders, products, stock history and staff fit the window; the key column stays readable", async ({ page }) => {
      test.setTimeout(90_000);
      const { id, number } = longOrder();
      await signInAsStaff(page, db, "owner");

      await page.goto("/admin/orders");
      const list = await region(page, "Orders");
      // The order number: in view and on one line.
      await inView(page, list.getByRole("link", { name: number }));
      expect(await lines(list.getByRole("link", { name: number }))).toBe(1);
      await expectCellsHoldTheirContent(list);
      await expectNoSidewaysScroll(page);
      await expectAccessible(page);
      if (viewport.width < 640) {
        await expect(page.getByText("Scroll sideways for more columns").first()).toBeVisible();
        // The first column stays put while the rest scroll.
        const link = list.getByRole("link", { name: number });
        const before = (await link.boundingBox())!.x;
        await list.evaluate((el) => el.scrollBy(400, 0));
        await expect.poll(async () => list.evaluate((el) => el.scrollLeft)).toBeGreaterThan(0);
        expect((await link.boundingBox())!.x).toBeCloseTo(before, 0);
      } else {
        await expect(page.getByText("Scroll sideways for more columns")).toBeHidden();
      }

      // The order's page: its lines fit too.
      await page.goto(`/admin/orders/${id}`);
      await expect(page.getByRole("heading", { level: 1 })).toContainText(number);
      await expectCellsHoldTheirContent(await region(page, "Items"));
      await expectNoSidewaysScroll(page);
      await expectAccessible(page);

      await page.goto("/admin/products?q=Stoneware");
      const products = await region(page, "Products");
      const mug = productBySlug(db, "stoneware-mug");
      await inView(page, products.getByRole("link", { name: mug.name, exact: true }));
      expect(await lines(products.getByRole("cell", { name: mug.sku, exact: true }))).toBe(1);
      await expectNoSidewaysScroll(page);
      // The whole first page of products, with names of two and three words beside their thumbnails.
      await page.goto("/admin/products");
      await expectCellsHoldTheirContent(await region(page, "Products"));
      await expectAccessible(page);

      await page.goto(`/admin/products/${mug.id}/stock`);
      await expectCellsHoldTheirContent(await region(page, "Stock history"));
      await expectNoSidewaysScroll(page);
      await expectAccessible(page);

      await page.goto("/admin/staff");
      const accounts = await region(page, "Staff accounts");
      await expectCellsHoldTheirContent(accounts);
      // When each person was last active: one line, like every time in these tables (it wrapped to five).
      const me = accounts.getByRole("row").filter({ hasText: "(you)" });
      const lastActive = me.getByRole("cell").nth(3);
      await expect(lastActive).toContainText(/\d{4}, \d{1,2}:\d{2} [AP]M UTC/);
      expect(await lines(lastActive)).toBe(1);
      await expectNoSidewaysScroll(page);
      await expectAccessible(page);
    });
  });
}

// Times are shown in the store's zone (STORE_TIME_ZONE; UTC on the e2e
// server), on both sides, the same in the server's HTML and after the page
// hydrates in a browser whose own zone is elsewhere: at 02:30 UTC on 10
// March it is still 9 March in Los Angeles.
test.describe("in a browser in Los Angeles", () => {
  test.use({ timezoneId: "America/Los_Angeles", viewport: { width: 390, height: 844 } });

  test("an order's times are the store's, on the staff page and the shopper's", async ({ page }) => {
    const { id, number, publicId } = longOrder(new Date("2026-03-10T02:30:00Z"));
    expect(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).toBe("America/Los_Angeles");
    await signInAsStaff(page, db);
    await page.goto(`/admin/orders/${id}`);
    await expect(page.getByRole("heading", { level: 1 })).toContainText(number);
    // With JavaScript the confirm step's trigger is a button once the page has hydrated.
    if (test.info().project.use.javaScriptEnabled !== false) await expect(page.getByRole("button", { name: "Cancel order…" })).toBeVisible();
    await expect(page.getByText("Placed Mar 10, 2026, 2:30 AM UTC · last changed Mar 10, 2026, 2:30 AM UTC")).toBeVisible();

    await page.goto(`/orders/${publicId}`);
    await expect(page.getByRole("heading", { level: 1, name: `Order ${number}` })).toBeVisible();
    await page.waitForLoadState("networkidle");
    await expect(page.getByText("Placed on March 10, 2026.")).toBeVisible();
  });
});

/** How many lines `code` takes inside the element's text. */
const codeLines = (element: ReturnType<Page["locator"]>, code: string) =>
  element.evaluate((el, code) => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let text = "";
    const nodes: { node: Text; start: number }[] = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      nodes.push({ node: node as Text, start: text.length });
      text += node.textContent;
    }
    const at = text.indexOf(code);
    if (at < 0) return 0;
    const place = (offset: number) => {
      const found = nodes.findLast((n) => n.start <= offset)!;
      return [found.node, offset - found.start] as const;
    };
    const range = document.createRange();
    range.setStart(...place(at));
    range.setEnd(...place(at + code.length - 1));
    const last = document.createRange();
    last.setStart(...place(at + code.length - 1));
    last.setEnd(...place(at + code.length - 1));
    return new Set([...range.getClientRects(), ...last.getClientRects()].filter((r) => r.width > 0 || r.height > 0).map((r) => Math.round(r.top))).size;
  }, code);

// An order number in a heading that wraps on a phone: the line breaks before
// the number, never at its dash. "WMWM-MWMW" is the widest a number can be
// (W and M are in the store's alphabet); before, "Refund order WMWM-" ended a line.
test.describe("at 390 px, a heading with an order number", () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test("keeps the number on one line, on the staff pages and the shopper's", async ({ page }) => {
    const number = "WMWM-MWMW";
    const { id, publicId } = longOrder(undefined, { code: number, status: "awaiting_payment" });
    await signInAsStaff(page, db, "owner");
    for (const [path, name] of [
      [`/admin/orders/${id}`, `Order ${number}`],
      [`/admin/orders/${id}/refund`, `Refund order ${number}`],
      [`/admin/orders/${id}/accept-payment`, `Mark order ${number} paid`],
      [`/orders/${publicId}`, `Order ${number}`],
      [`/orders/${publicId}/pay`, `Pay for order ${number}`],
    ] as const) {
      await page.goto(path);
      const heading = page.getByRole("heading", { level: 1, name });
      await expect(heading).toBeVisible();
      expect(await codeLines(heading, number), `${name} at ${path}`).toBe(1);
      await expectNoSidewaysScroll(page);
    }
  });
});

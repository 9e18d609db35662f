// Staff tables at a phone's width (390 px) and a laptop's (1280 px), with
// JavaScript and without: the page never scrolls sideways; each table sits
// in a named scroll region, its first column (the order number, the product,
// the day, the email) stays in view while the rest scroll, and codes (order
// numbers, SKUs) never break across lines.
import { randomBytes, randomUUID } from "node:crypto";
import { eq, inArray } from "drizzle-orm";
import type { Page } from "@playwright/test";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { orderItems, orders, outboxMessages, products, stockMovements } from "#app/db/schema.ts";
import { deleteProduct } from "#app/staff/product-admin.server.ts";
import {
  confirmStep,
  confirmTrigger,
  expect,
  expectAccessible,
  expectNoSidewaysScroll,
  signInAsStaff,
  test,
} from "#tests/helpers/browser.ts";
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
function longOrder(at?: Date, { code, status = "placed" }: { code?: string; status?: "placed" | "awaiting_payment" | "paid" } = {}) {
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
      // Its row as staff read it when packing: two lines of 3 and 2 are 5 items (issue 23: every order showed 1).
      await expect(list.getByRole("row").filter({ has: page.getByRole("link", { name: number }) }).getByRole("cell")).toHaveText([
        number,
        /\d/,
        "Maximilian Wolfeschlegelsteinhausenbergerdorff",
        "5",
        "$102.00",
        "Placed",
      ]);
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

// Codes in running text, on a phone: notices, the stock page's SKU line, its
// history, the confirm question and the back links. Each code is a NoBreak
// (app/ui/kit.tsx); notices carry their codes as parts of their own
// (app/core/notice.ts). Before, "Created Tall Shot Glass (SKU SHOT-LONGSKU-"
// ended a line at 390 px, the stock history's "WMWM-" did, and with the
// browser's text larger so did "Refund order WMWM-" in the question and
// "Order WMWM-" in the notices.
test.describe("at 390 px, codes in running text", () => {
  test.use({ viewport: { width: 390, height: 844 } });
  const javascript = () => test.info().project.use.javaScriptEnabled !== false;
  // Both projects share the database: their SKUs differ by a letter, their
  // order numbers by the order of the same letters (the same width).
  const letter = () => (javascript() ? "J" : "N");
  const numbered = (j: string, n: string) => (javascript() ? j : n);

  const productsMade: number[] = [];
  test.afterEach(() => {
    // Shipping queued an email about the order: it goes first.
    db.delete(outboxMessages).where(inArray(outboxMessages.orderId, made)).run();
    db.delete(stockMovements).where(inArray(stockMovements.productId, productsMade)).run();
    for (const id of productsMade.splice(0)) deleteProduct(db, id);
  });

  /** The element's lines, as the person reads them, for the failure message. */
  const shown = (element: ReturnType<Page["locator"]>) =>
    element.evaluate((el) => {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      const lines = new Map<number, string>();
      const range = document.createRange();
      for (let node = walker.nextNode() as Text | null; node; node = walker.nextNode() as Text | null) {
        for (let i = 0; i < node.length; i++) {
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          const top = Math.round(range.getBoundingClientRect().top);
          lines.set(top, (lines.get(top) ?? "") + node.data[i]);
        }
      }
      return [...lines.values()].join(" | ");
    });

  /** `code` on one line inside `element`, which is inside the window. */
  async function expectOneLine(element: ReturnType<Page["locator"]>, code: string) {
    await expect(element).toContainText(code);
    expect(await codeLines(element, code), `"${code}" in: ${await shown(element)}`).toBe(1);
    await inView(element.page(), element);
  }

  test("a new product's notice and its stock page keep the SKU, and the history its order number, on one line", async ({ page }) => {
    await signInAsStaff(page, db);
    const sku = `SHOT-LONGSKU-2026-XL-${letter()}`;
    await page.goto("/admin/products/new");
    await page.getByLabel("Name").fill("Tall Shot Glass");
    await page.getByLabel("SKU").fill(sku);
    await page.getByLabel(/^Price/).fill("9");
    await page.getByLabel("Description").fill("A tall shot glass, for the test of long codes.");
    await page.getByRole("button", { name: "Create product" }).click();
    const notice = page.getByRole("status").filter({ hasText: "Created Tall Shot Glass" });
    await expect(notice).toHaveText(`Created Tall Shot Glass (SKU ${sku}).`);
    const created = db.select().from(products).where(eq(products.sku, sku)).get()!;
    productsMade.push(created.id);
    await expectOneLine(notice, sku);
    await expectNoSidewaysScroll(page);
    await expectAccessible(page);

    // A SKU too long to share its line with "SKU ", sold to an order: three
    // in, three sold, so the ledger adds up. Archived, out of the catalog.
    const longSku = `SHOT-LONGSKU-2026-XL-SMOKED-GLASS-${letter()}`;
    db.update(products).set({ sku: longSku, archivedAt: new Date() }).where(eq(products.id, created.id)).run();
    const number = numbered("WWMM-MMWW", "MMWW-WWMM");
    const { id: orderId } = longOrder(undefined, { code: number });
    db.insert(stockMovements).values([
      { productId: created.id, delta: 3, reason: "initial", note: "for the test of long codes" },
      { productId: created.id, delta: -3, reason: "sale", orderId },
    ]).run();
    await page.goto(`/admin/products/${created.id}/stock`);
    await expectOneLine(page.getByText(/^SKU /), longSku);
    const history = await region(page, "Stock history");
    await expectOneLine(history.getByRole("row").filter({ hasText: "Sale" }).getByRole("cell").nth(1), number);
    await expectCellsHoldTheirContent(history);
    await expectNoSidewaysScroll(page);
    await expectAccessible(page);

    // The longest SKU there can be (40 characters) is wider than the line:
    // it wraps inside its box rather than pushing the page sideways.
    const longest = `${longSku}-2026`.slice(0, 40);
    expect(longest).toHaveLength(40);
    db.update(products).set({ sku: longest }).where(eq(products.id, created.id)).run();
    await page.reload();
    await expect(page.getByText(/^SKU /)).toContainText(longest);
    await expectNoSidewaysScroll(page);
  });

  test("with the browser's text larger, an order number stays on one line in the question, the back link and the notice", async ({ page }) => {
    const number = numbered("WMWM-WMMW", "MWMW-MWWM");
    const { id } = longOrder(undefined, { code: number, status: "paid" });
    await signInAsStaff(page, db, "owner");
    // What a person who needs larger text sets in the browser (its font
    // size), which every rem in the pages follows.
    const browser = await page.context().newCDPSession(page);
    const textSize = (px: number) => browser.send("Page.setFontSizes", { fontSizes: { standard: px, fixed: Math.round((px * 13) / 16) } });

    // Chrome's own "Large" (20 px): "Refund order WMWM-" ended the question's first line.
    await textSize(20);
    await page.goto(`/admin/orders/${id}`);
    await confirmTrigger(page, "Refund…").click();
    const question = confirmStep(page, `Refund order ${number}?`);
    await expectOneLine(question.getByRole("heading"), number);
    await question.getByRole(javascript() ? "button" : "link", { name: "Keep the payment" }).click();
    await expect(question).toBeHidden();

    // 200 %, as WCAG asks text to be resizable to.
    await textSize(32);
    await page.goto(`/admin/orders/${id}/refund`);
    await expectOneLine(page.getByRole("link", { name: `← Order ${number}` }), number);
    await expectNoSidewaysScroll(page);

    await page.goto(`/admin/orders/${id}`);
    await page.getByRole("button", { name: "Mark shipped", exact: true }).click();
    const notice = page.getByRole("status").filter({ hasText: "is marked shipped" });
    await expect(notice).toHaveText(`Order ${number} is marked shipped.`);
    await expectOneLine(notice, number);
    await expectNoSidewaysScroll(page);
    expect(db.select().from(orders).where(eq(orders.id, id)).get()!.status).toBe("shipped");
  });
});

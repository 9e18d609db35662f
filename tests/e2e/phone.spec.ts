// The shop at a phone's width (390 px) and a laptop's (1280 px), with
// JavaScript and without (playwright.config.ts runs this file both ways).
// Layout is asserted from the boxes the browser drew, not from class names.
import { addToCart, cartLink, expect, expectAccessible, expectNoSidewaysScroll, fillCheckout, storeDatabase, test, watchResponses } from "#tests/helpers/browser.ts";
import { products } from "#app/db/schema.ts";
import { deleteProduct } from "#app/staff/product-admin.server.ts";
import { productBySlug } from "#tests/helpers/db.ts";
import type { Page } from "@playwright/test";

// Puts each product's stock back after each test.
const db = storeDatabase();

const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 800 };
const javascript = () => test.info().project.use.javaScriptEnabled !== false;

async function box(page: Page, locator: ReturnType<Page["locator"]>) {
  const found = await locator.boundingBox();
  expect(found, "drawn on the page").not.toBeNull();
  return found!;
}

const cards = (page: Page) => page.getByRole("main").getByRole("list").first().getByRole("listitem");

test.describe("on a phone", () => {
  test.use({ viewport: PHONE });

  test("the catalog shows two products side by side, under a one-line header, the first high on the screen", async ({ page }) => {
    await page.goto("/");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Catalog");
    const [first, second, third] = [await box(page, cards(page).nth(0)), await box(page, cards(page).nth(1)), await box(page, cards(page).nth(2))];
    // Side by side: the same top, the second to the right of the first, each under half the screen.
    expect(Math.abs(first.y - second.y)).toBeLessThan(1);
    expect(second.x).toBeGreaterThanOrEqual(first.x + first.width);
    expect(first.width).toBeLessThan(PHONE.width / 2);
    expect(third.y).toBeGreaterThan(first.y + first.height);
    // The first product starts above 350 px: search and sort do not push it off the first screen.
    expect(first.y).toBeLessThan(350);

    // The header is one line: every item in it has the height of one line of text, on the same row.
    const nav = page.getByRole("navigation", { name: "Main" });
    const items = [nav.getByRole("link", { name: "Corner Store" }), nav.getByRole("link", { name: "Find an order" }), cartLink(page)];
    const boxes = await Promise.all(items.map((item) => box(page, item)));
    for (const b of boxes) expect(b.height).toBeLessThan(30);
    expect(Math.max(...boxes.map((b) => b.y)) - Math.min(...boxes.map((b) => b.y))).toBeLessThan(8);
    expect((await box(page, nav)).height).toBeLessThan(60);

    // Nothing is wider than the screen.
    const main = await box(page, page.getByRole("main"));
    expect(main.width).toBeLessThanOrEqual(PHONE.width);
    await expectAccessible(page);
  });

  test("the search placeholder fits its box", async ({ page }) => {
    test.skip(!javascript(), "measuring text needs a script in the page");
    await page.goto("/");
    const fits = await page.getByRole("searchbox", { name: "Search products" }).evaluate((input: HTMLInputElement) => {
      const style = getComputedStyle(input);
      const context = document.createElement("canvas").getContext("2d")!;
      context.font = `${style.fontSize} ${style.fontFamily}`;
      const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return { text: input.placeholder, width: context.measureText(input.placeholder).width, room };
    });
    expect(fits.text).not.toBe("");
    expect(fits.width).toBeLessThan(fits.room);
  });

  test("sorting applies on change with JavaScript, and with the Sort button without it; the heading says which page", async ({ page }) => {
    const responses = watchResponses(page);
    await page.goto("/?q=notebook");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Results for “notebook”");
    await page.getByLabel("Sort by").selectOption({ label: "Price: low to high" });
    if (javascript()) {
      // No button to press: the choice applies, and the no-JavaScript button is gone.
      await expect(page).toHaveURL(/\/\?q=notebook&sort=price-asc$/);
      await expect(page.getByRole("button", { name: "Sort", exact: true })).toHaveCount(0);
    } else {
      await page.getByRole("button", { name: "Sort", exact: true }).click();
      await expect(page).toHaveURL(/\/\?q=notebook&sort=price-asc$/);
    }
    await expect(page.getByRole("main").getByRole("heading", { level: 2 })).toHaveText(["Pocket Notebook Set", "Linen Notebook"]);
    await expect(page.getByLabel("Sort by")).toHaveValue("price-asc");

    await page.goto("/?sort=price-desc");
    await page.getByRole("link", { name: "Next" }).click();
    await expect(page).toHaveURL(/page=2/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Catalog, page 2");
    await expect(page).toHaveTitle("Catalog (page 2) · Corner Store");
    expect(responses.unexpected()).toEqual([]);
  });

  test("the cart's − and + are buttons on one line with the quantity, and work as a form", async ({ page }) => {
    await addToCart(page, "soy-candle", 2);
    await addToCart(page, "linen-notebook", 3);
    await page.goto("/cart");
    await expect(page.getByText("Subtotal (5 items): $106.00")).toBeVisible();
    const fewer = page.getByRole("button", { name: "One fewer Linen Notebook" });
    const more = page.getByRole("button", { name: "One more Linen Notebook" });
    const quantity = page.getByLabel("Quantity of Linen Notebook");
    const update = page.getByRole("button", { name: "Update Linen Notebook" });
    const remove = page.getByRole("button", { name: "Remove Linen Notebook" });
    const row = await Promise.all([fewer, quantity, more, update, remove].map((l) => box(page, l)));
    const middles = row.map((b) => b.y + b.height / 2);
    expect(Math.max(...middles) - Math.min(...middles)).toBeLessThan(4);
    for (let i = 1; i < row.length; i++) expect(row[i]!.x).toBeGreaterThanOrEqual(row[i - 1]!.x + row[i - 1]!.width);
    expect(row.at(-1)!.x + row.at(-1)!.width).toBeLessThanOrEqual(PHONE.width);

    await more.click();
    await expect(page).toHaveURL(/\/cart$/);
    await expect(page.getByRole("status")).toContainText("Updated Linen Notebook to 4.");
    await expect(quantity).toHaveValue("4");
    await expect(page.getByText("Subtotal (6 items): $128.00")).toBeVisible();
    await page.getByRole("button", { name: "One fewer Soy Candle" }).click();
    await expect(page.getByRole("status")).toContainText("Updated Soy Candle to 1.");
    await expect(page.getByText("Subtotal (5 items): $108.00")).toBeVisible();
    await expect(cartLink(page)).toHaveAccessibleName("Cart 5 items");
    // Enter in the quantity field updates to what was typed (the form's first button is Update, not −).
    await quantity.fill("2");
    await quantity.press("Enter");
    await expect(page.getByRole("status")).toContainText("Updated Linen Notebook to 2.");
    await expect(page.getByText("Subtotal (3 items): $64.00")).toBeVisible();
    await expectAccessible(page);
  });

  test("a refused quantity replaces the Added notice instead of sitting under it", async ({ page }) => {
    const responses = watchResponses(page);
    responses.expect(400, "POST", /^\/products\/tea-tin(\.data)?$/);
    await addToCart(page, "tea-tin", 2);
    await expect(page.getByRole("status").filter({ hasText: "Added 2 × " })).toBeVisible();
    await page.getByLabel("Quantity").fill("0");
    await page.getByRole("button", { name: "Add to cart" }).click();
    await expect(page.locator("#quantity-error")).toBeVisible();
    await expect(page.getByText(/Added 2 ×/)).toHaveCount(0);
    await expect(cartLink(page)).toHaveAccessibleName("Cart 2 items");
    expect(responses.unexpected()).toEqual([]);
  });

  test("with the browser's text at 200 %, a product's SKU stays on one line: the line breaks before it, not at a dash", async ({ page }) => {
    // A product of its own with a SKU of several dashes, archived: out of the
    // catalog the other tests count, its page still shown ("No longer sold").
    const letter = javascript() ? "J" : "N";
    const sku = `HOME-TEXTILE-THROW-${letter}`;
    const product = db
      .insert(products)
      .values({
        slug: `long-sku-throw-${letter.toLowerCase()}`,
        name: "Long Code Throw",
        description: "A throw with a long SKU, for the test of codes on a phone.",
        priceCents: 4_200,
        stock: 0,
        image: productBySlug(db, "wool-throw").image,
        sku,
        archivedAt: new Date(),
      })
      .returning()
      .get();
    try {
      const browser = await page.context().newCDPSession(page);
      await browser.send("Page.setFontSizes", { fontSizes: { standard: 32, fixed: 26 } });
      await page.goto(`/products/${product.slug}`);
      const line = page.getByText(/^SKU /);
      await expect(line).toHaveText(`SKU ${sku}`);
      // The lines the code's own letters are drawn on: before, "HOME-TEXTILE-" ended one.
      const drawnOn = await line.evaluate((element, code) => {
        const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          if (node.textContent !== code) continue;
          const range = document.createRange();
          range.selectNodeContents(node);
          return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
        }
        return 0;
      }, sku);
      expect(drawnOn).toBe(1);
      await expectNoSidewaysScroll(page);
    } finally {
      deleteProduct(db, product.id);
    }
  });

  test("with the browser's text at 200 %, no shop page scrolls sideways: the header's links move to a second row, controls wrap", async ({ page }) => {
    // What a person who needs larger text sets in the browser (its font size),
    // which every rem in the pages follows; WCAG asks for 200 %.
    const browser = await page.context().newCDPSession(page);
    await browser.send("Page.setFontSizes", { fontSizes: { standard: 32, fixed: 26 } });
    await addToCart(page, "tea-tin", 3);
    for (const path of ["/", "/?page=2", "/products/tea-tin", "/cart", "/orders", "/checkout"]) {
      await page.goto(path);
      const nav = page.getByRole("navigation", { name: "Main" });
      const name = await box(page, nav.getByRole("link", { name: "Corner Store" }));
      const links = [nav.getByRole("link", { name: "Catalog" }), nav.getByRole("link", { name: "Find an order" }), cartLink(page)];
      for (const link of links) {
        const b = await box(page, link);
        expect(b.x + b.width, "inside the window").toBeLessThanOrEqual(PHONE.width);
        expect(b.y, "below the store's name").toBeGreaterThanOrEqual(name.y + name.height);
      }
      await expect(cartLink(page)).toHaveAccessibleName("Cart 3 items");
      await expectNoSidewaysScroll(page);
    }
    // And the confirmation: its table of items is wider than the phone at this
    // size, and scrolls in its own region rather than the page (before, 710 px wide).
    await page.goto("/checkout");
    await fillCheckout(page);
    await page.getByRole("button", { name: /^Place order/ }).click();
    await expect(page).toHaveURL(/\/orders\/[\w-]{22}$/);
    await expect(page.getByRole("row", { name: /Loose Tea Tin \$14\.00 3 \$42\.00/ })).toBeVisible();
    await expectNoSidewaysScroll(page);
    // Scrolled to it, the order's total is drawn where a person sees it, not under "Total".
    const total = page.getByRole("row", { name: "Total $42.00" }).getByRole("cell");
    await total.scrollIntoViewIfNeeded();
    const seen = await total.evaluate((cell) => {
      const r = cell.getBoundingClientRect();
      return cell.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2));
    });
    expect(seen, "the total's cell is on top where it is drawn").toBe(true);
  });
});

test.describe("on a laptop", () => {
  test.use({ viewport: LAPTOP });

  test("the catalog shows four products a row and the header is one line", async ({ page }) => {
    await page.goto("/");
    const tops = await Promise.all([0, 1, 2, 3, 4].map(async (i) => (await box(page, cards(page).nth(i))).y));
    expect(new Set(tops.slice(0, 4).map(Math.round)).size).toBe(1);
    expect(tops[4]).toBeGreaterThan(tops[0]!);
    expect((await box(page, page.getByRole("navigation", { name: "Main" }))).height).toBeLessThan(70);
    await expectAccessible(page);
    await page.goto("/products/soy-candle");
    await expectAccessible(page);
  });

  test("the Sort button sits beside the select, and the products do not move when the scripts remove it", async ({ page, browser, baseURL }) => {
    await page.goto("/");
    const select = await box(page, page.getByLabel("Sort by"));
    const first = await box(page, cards(page).nth(0));
    if (!javascript()) {
      const sort = await box(page, page.getByRole("button", { name: "Sort", exact: true }));
      expect(Math.abs(sort.y + sort.height / 2 - (select.y + select.height / 2))).toBeLessThan(4);
      expect(sort.x).toBeGreaterThanOrEqual(select.x + select.width);
    } else {
      // The same page before its scripts ran (with the button): the first product was
      // 35 px lower, and jumped up once they had.
      const withoutScripts = await browser.newContext({ javaScriptEnabled: false, viewport: LAPTOP, baseURL });
      const before = await withoutScripts.newPage();
      await before.goto("/");
      await expect(before.getByRole("button", { name: "Sort", exact: true })).toBeVisible();
      expect((await box(before, cards(before).nth(0))).y).toBeCloseTo(first.y, 0);
      await withoutScripts.close();
    }
  });
});

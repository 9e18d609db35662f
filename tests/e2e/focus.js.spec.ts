// Keyboard focus, with JavaScript (the "javascript" project only): a ring
// you can see on every control, and focus that stays where the person was
// after a form updates the page.
import { addToCart, expect, expectAccessible, storeDatabase, test } from "#tests/helpers/browser.ts";
import type { Locator } from "@playwright/test";

storeDatabase();

/** The outline the browser draws now, on the element or (a product card) around it. */
const outline = (locator: Locator) =>
  locator.evaluate((element) => {
    const { outlineStyle, outlineWidth, outlineColor, outlineOffset } = getComputedStyle(element);
    return { style: outlineStyle, width: parseFloat(outlineWidth), color: outlineColor, offset: parseFloat(outlineOffset) };
  });

const RING = { style: "solid", width: 3, offset: 2 };

for (const viewport of [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
]) {
  test.describe(`at ${viewport.width} px`, () => {
    test.use({ viewport });

    test("dark buttons and product cards get a ring a keyboard user can see", async ({ page }) => {
      await page.goto("/");
      // Search (a dark button): Tab to it from the search field.
      await page.getByRole("searchbox", { name: "Search products" }).focus();
      await page.keyboard.press("Tab");
      const search = page.getByRole("button", { name: "Search" });
      await expect(search).toBeFocused();
      expect(await outline(search)).toMatchObject(RING);

      // A product card: the ring goes round the whole card (its link's own would be clipped).
      const firstCardLink = page.getByRole("main").getByRole("listitem").first().getByRole("link");
      await page.getByLabel("Sort by").focus();
      await page.keyboard.press("Tab");
      await expect(firstCardLink).toBeFocused();
      const card = page.getByRole("main").getByRole("listitem").first();
      expect(await outline(card)).toMatchObject(RING);
      // The second card, not focused, has none.
      expect((await outline(page.getByRole("main").getByRole("listitem").nth(1))).style).toBe("none");

      await page.goto("/products/soy-candle");
      await page.getByLabel("Quantity").focus();
      await page.keyboard.press("Tab");
      const add = page.getByRole("button", { name: "Add to cart" });
      await expect(add).toBeFocused();
      expect(await outline(add)).toMatchObject(RING);
      await expectAccessible(page);
    });

    test("focus stays on Add to cart, and on the cart's buttons, after the page updates", async ({ page }) => {
      await page.goto("/products/soy-candle");
      await page.getByLabel("Quantity").fill("2");
      await page.keyboard.press("Tab");
      const add = page.getByRole("button", { name: "Add to cart" });
      await page.keyboard.press("Enter");
      await expect(page.getByRole("status")).toContainText("Added 2 × Soy Candle to your cart.");
      await expect(add).toBeFocused();
      // And again: the button was never disabled, so it still has the focus to press.
      await page.keyboard.press("Enter");
      await expect(page.getByRole("status")).toContainText("Added 2 × Soy Candle to your cart. View cart");
      await expect(add).toBeFocused();

      await addToCart(page, "tea-tin", 2);
      await page.goto("/cart");
      const more = page.getByRole("button", { name: "One more Loose Tea Tin" });
      await more.focus();
      await page.keyboard.press("Enter");
      await expect(page.getByRole("status")).toContainText("Updated Loose Tea Tin to 3.");
      await expect(more).toBeFocused();
      const update = page.getByRole("button", { name: "Update Soy Candle" });
      await page.getByLabel("Quantity of Soy Candle").fill("3");
      await update.focus();
      await page.keyboard.press("Enter");
      await expect(page.getByRole("status")).toContainText("Updated Soy Candle to 3.");
      await expect(update).toBeFocused();
      await expect(page.getByText("Subtotal (6 items)")).toBeVisible();
    });
  });
}

// Checkout at 390 and 1280 px, with JavaScript and without (both projects):
// the countries the store ships to, the optional phone, the summary, the
// refusal that answers 303 without JavaScript, and what the order page says.
import { addToCart, expect, expectAccessible, fillCheckout, storeDatabase, test, watchResponses } from "#tests/helpers/browser.ts";
import { writes } from "#tests/helpers/db.ts";

const db = storeDatabase();
const javascript = () => test.info().project.use.javaScriptEnabled !== false;

for (const viewport of [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
]) {
  test.describe(`at ${viewport.width} px`, () => {
    test.use({ viewport });

    test("a refused checkout comes back with its errors and input, and Back after ordering never posts again", async ({ page }) => {
      const responses = watchResponses(page);
      // With JavaScript the page's script gets the 400; without, the browser gets a 303 to the form.
      responses.expect(400, "POST", /^\/checkout\.data$/);
      await addToCart(page, "soy-candle", 3);
      await addToCart(page, "tea-tin", 2);
      await page.goto("/checkout");
      const posts: { status: number; url: string }[] = [];
      page.on("response", (r) => {
        if (r.request().method() === "POST") posts.push({ status: r.status(), url: new URL(r.url()).pathname });
      });
      await page.getByLabel("Email").fill("ada@example.com");
      await page.getByLabel("Full name").fill("Ada Lovelace");
      await page.getByLabel("Phone (optional)").fill("call me maybe");
      await page.getByLabel("Country").selectOption({ label: "Germany" });
      await page.getByRole("button", { name: /^Place order/ }).click();

      await expect(page.getByRole("alert")).toContainText("Please correct 4 fields below.");
      expect(posts).toEqual([javascript() ? { status: 400, url: "/checkout.data" } : { status: 303, url: "/checkout" }]);
      await expect(page).toHaveURL(/\/checkout$/);
      // What was typed is kept, the mistakes are named beside their fields.
      await expect(page.getByLabel("Email")).toHaveValue("ada@example.com");
      await expect(page.getByLabel("Full name")).toHaveValue("Ada Lovelace");
      await expect(page.getByLabel("Country")).toHaveValue("DE");
      await expect(page.getByLabel("Phone (optional)")).toHaveValue("call me maybe");
      await expect(page.getByLabel("Phone (optional)")).toHaveAccessibleDescription(/Use digits, spaces and \+ \( \) - only\./);
      await expect(page.getByLabel("Street address")).toHaveAccessibleDescription("Enter the street address.");
      await expectAccessible(page);
      // A reload shows the form again, without the errors: the page is a GET, not a post.
      if (!javascript()) {
        await page.reload();
        await expect(page.getByRole("alert")).toHaveCount(0);
        expect(posts).toHaveLength(1);
      }

      await fillCheckout(page);
      await page.getByLabel("Phone (optional)").fill("+44 20 7946 0000");
      const before = writes(db).orders.length;
      await page.getByRole("button", { name: /^Place order/ }).click();
      await expect(page).toHaveURL(/\/orders\/[\w-]{22}$/);
      await expect(page.getByText("Status: Placed.", { exact: false })).toBeVisible();
      await expect(page.getByText("+44 20 7946 0000")).toBeVisible();
      await expect(page.getByRole("row", { name: /Soy Candle \$20\.00 3 \$60\.00/ })).toBeVisible();
      await expect(page.getByRole("row", { name: "Total $88.00" })).toBeVisible();
      const placed = writes(db).orders;
      expect(placed).toHaveLength(before + 1);
      expect(placed.at(-1)).toMatchObject({ totalCents: 8_800, country: "United Kingdom", phone: "+44 20 7946 0000" });
      const postsBefore = posts.length;

      // Back: the checkout page again (a GET, now with an empty cart), no form resubmission.
      await page.goBack();
      await expect(page).toHaveURL(/\/checkout$/);
      await expect(page.getByText("Your cart is empty.")).toBeVisible();
      expect(posts).toHaveLength(postsBefore);
      expect(writes(db).orders).toHaveLength(before + 1);
      expect(responses.unexpected()).toEqual([]);
    });

    test("the summary shows each product's picture, Edit cart comes before Place order, and the countries are the store's", async ({ page }) => {
      await addToCart(page, "linen-notebook", 2);
      await addToCart(page, "stoneware-mug", 1);
      await page.goto("/checkout");
      const summary = page.getByRole("complementary", { name: "Order summary" });
      await expect(summary.getByRole("listitem")).toHaveCount(2);
      await expect(summary.locator("img")).toHaveCount(2);
      for (const image of await summary.locator("img").all()) {
        await expect(image).toHaveJSProperty("complete", true);
        expect(await image.evaluate((i: HTMLImageElement) => i.naturalWidth).catch(() => 1)).toBeGreaterThan(0);
      }
      // The SHIP_TO_COUNTRIES default, by name, after "Choose…".
      await expect(page.getByLabel("Country").getByRole("option")).toHaveText([
        "Choose…",
        "Australia",
        "Canada",
        "France",
        "Germany",
        "Ireland",
        "Netherlands",
        "New Zealand",
        "United Kingdom",
        "United States",
      ]);
      // In the page's order (the keyboard's), Edit cart comes before every field and Place order.
      const order = await page.locator("a, button, input:not([type=hidden]), select").evaluateAll((elements) =>
        elements.map((e) => e.textContent?.trim() || e.getAttribute("name")),
      ).catch(() => null);
      if (order) {
        expect(order.indexOf("Edit cart")).toBeGreaterThan(-1);
        expect(order.indexOf("Edit cart")).toBeLessThan(order.indexOf("email"));
        expect(order.indexOf("Edit cart")).toBeLessThan(order.findIndex((t) => t?.startsWith("Place order")));
      }
      if (javascript()) {
        await page.getByRole("link", { name: "Corner Store" }).focus();
        const reached: string[] = [];
        for (let i = 0; i < 12 && !reached.includes("Edit cart"); i++) {
          await page.keyboard.press("Tab");
          reached.push(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? ""));
        }
        expect(reached).toContain("Edit cart");
        expect(reached.some((t) => t.startsWith("Place order"))).toBe(false);
      }
      // The footer speaks for the store.
      await expect(page.getByRole("contentinfo")).toContainText("Corner Store");
      await expect(page.getByRole("contentinfo").getByRole("link", { name: "hello@corner-store.test" })).toHaveAttribute(
        "href",
        "mailto:hello@corner-store.test",
      );
      await expectAccessible(page);
    });
  });
}

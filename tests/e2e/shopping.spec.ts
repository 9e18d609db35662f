import AxeBuilder from "@axe-core/playwright";
import { eq } from "drizzle-orm";
import { expect, test, type Page } from "@playwright/test";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { products } from "#app/db/schema.ts";
import { productBySlug, setStock, writes } from "#tests/helpers/db.ts";

// The browser tests share the production server's database file (see
// playwright.config.ts), so they can change stock behind the shopper's back
// and check what was written.
const db = openDatabase(process.env.E2E_DATABASE_PATH!);
const orderCount = () => writes(db).orders.length;

let originalStock: { id: number; stock: number }[] = [];
test.beforeAll(() => {
  originalStock = writes(db).stock;
});
test.afterEach(() => {
  for (const { id, stock } of originalStock) db.update(products).set({ stock }).where(eq(products.id, id)).run();
});
test.afterAll(() => closeDatabase(db));

/** Zero serious or critical accessibility violations on the page as it is now. */
async function expectAccessible(page: Page) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(serious).toEqual([]);
}

async function addToCart(page: Page, slug: string, quantity: number) {
  await page.goto(`/products/${slug}`);
  await page.getByLabel("Quantity").fill(String(quantity));
  await page.getByRole("button", { name: "Add to cart" }).click();
  await expect(page.getByRole("status").filter({ hasText: "to your cart" })).toBeVisible();
}

async function fillCheckout(page: Page, email = "ada@example.com") {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Full name").fill("Ada Lovelace");
  await page.getByLabel("Street address").fill("12 St James's Square");
  await page.getByLabel("Town or city").fill("London");
  await page.getByLabel("Postal code").fill("SW1Y 4JH");
  await page.getByLabel("Country").fill("United Kingdom");
}

const cartLink = (page: Page) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /^Cart/ });

test("search, add two products, change a quantity, check out and look the order up", async ({ page }) => {
  test.slow(); // many pages, each checked by axe
  await page.goto("/");
  await expectAccessible(page);
  await page.getByRole("searchbox", { name: "Search products" }).fill("notebook");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/\?q=notebook/);
  await expect(page).toHaveTitle("Search: notebook · Corner Store");
  await expect(page.getByText("2 products match “notebook”")).toBeVisible();
  await page.getByLabel("Sort by").selectOption({ label: "Price: low to high" });
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/sort=price-asc/);
  await expect(page.getByRole("main").getByRole("heading", { level: 2 })).toHaveText(["Pocket Notebook Set", "Linen Notebook"]);
  await expectAccessible(page);

  await page.getByRole("link", { name: /Linen Notebook/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Linen Notebook" })).toBeVisible();
  await expectAccessible(page);
  await page.getByLabel("Quantity").fill("2");
  await page.getByRole("button", { name: "Add to cart" }).click();
  await expect(page.getByText("Added 2 × Linen Notebook to your cart.")).toBeVisible();
  await expect(cartLink(page)).toHaveAccessibleName("Cart 2 items");

  await page.goto("/?q=candle");
  await page.getByRole("link", { name: /Soy Candle/ }).click();
  await page.getByRole("button", { name: "Add to cart" }).click();
  await expect(cartLink(page)).toHaveAccessibleName("Cart 3 items");

  await cartLink(page).click();
  await expect(page.getByRole("heading", { level: 1, name: "Your cart" })).toBeVisible();
  await expect(page.getByText("Subtotal (3 items): $64.00")).toBeVisible();
  await expectAccessible(page);
  await page.getByLabel("Quantity of Soy Candle").fill("3");
  await page.getByRole("button", { name: "Update Soy Candle" }).click();
  await expect(page.getByText("Updated Soy Candle to 3.")).toBeVisible();
  await expect(page.getByText("Subtotal (5 items): $104.00")).toBeVisible();
  await expect(cartLink(page)).toHaveAccessibleName("Cart 5 items");

  await page.getByRole("link", { name: "Check out" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Checkout" })).toBeVisible();
  await expectAccessible(page);
  await fillCheckout(page);
  const before = orderCount();
  await page.getByRole("button", { name: "Place order · $104.00" }).click();

  await expect(page).toHaveURL(/\/orders\/[\w-]{22}$/);
  const confirmationUrl = page.url();
  const heading = page.getByRole("heading", { level: 1, name: /^Order [A-Z0-9]{4}-[A-Z0-9]{4}$/ });
  await expect(heading).toBeVisible();
  const number = (await heading.textContent())!.replace("Order ", "");
  await expect(page.getByRole("row", { name: /Linen Notebook \$22\.00 2 \$44\.00/ })).toBeVisible();
  await expect(page.getByRole("row", { name: /Soy Candle \$20\.00 3 \$60\.00/ })).toBeVisible();
  await expect(page.getByRole("row", { name: "Total $104.00" })).toBeVisible();
  await expect(cartLink(page)).toHaveAccessibleName("Cart 0 items");
  await expectAccessible(page);
  expect(orderCount()).toBe(before + 1);
  expect(writes(db).orders.find((o) => o.number === number)?.totalCents).toBe(10_400);

  await page.getByRole("link", { name: "Find an order" }).click();
  await expectAccessible(page);
  await page.getByLabel("Order number").fill(number.toLowerCase());
  await page.getByLabel("Email").fill("ADA@example.com");
  await page.getByRole("button", { name: "Find my order" }).click();
  await expect(page).toHaveURL(confirmationUrl);

  await page.goto("/orders");
  await page.getByLabel("Order number").fill(number);
  await page.getByLabel("Email").fill("someone-else@example.com");
  await page.getByRole("button", { name: "Find my order" }).click();
  await expect(page.getByRole("alert")).toHaveText("We could not find an order with that number and email.");
  await expect(page.getByRole("alert")).toBeFocused();
});

test("a checkout with mistakes keeps the input, explains each error and moves focus to it", async ({ page }) => {
  await addToCart(page, "stoneware-mug", 1);
  await page.goto("/checkout");
  // Keyboard only: type into a field, Tab to the next.
  await page.getByLabel("Email").focus();
  await page.keyboard.type("ada-at-example");
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Full name")).toBeFocused();
  await page.keyboard.press("Tab");
  await page.keyboard.type("12 Analytical Row");
  const before = orderCount();
  const posted = page.waitForResponse((r) => r.url().includes("/checkout") && r.request().method() === "POST");
  await page.keyboard.press("Enter");
  expect((await posted).status()).toBe(400);
  await expect(page.getByRole("alert")).toContainText("Please correct 5 fields below.");
  const email = page.getByLabel("Email");
  await expect(email).toHaveAttribute("aria-invalid", "true");
  await expect(email).toHaveAccessibleDescription(/Enter an email address like name@example\.com\./);
  await expect(email).toHaveValue("ada-at-example");
  await expect(page.getByLabel("Street address")).toHaveValue("12 Analytical Row");
  await expect(page.getByLabel("Full name")).toHaveAccessibleDescription("Enter your full name.");
  await expect(page.getByLabel("Apartment, suite, etc. (optional)")).not.toHaveAttribute("aria-invalid");
  // Focus moves to the first field in error.
  await expect(page.getByLabel("Email")).toBeFocused();
  await expectAccessible(page);
  expect(orderCount()).toBe(before);

  await fillCheckout(page);
  await page.getByRole("button", { name: /Place order/ }).click();
  await expect(page).toHaveURL(/\/orders\//);
  await expect(page.getByText("Thank you for your order")).toBeVisible();
});

test("stock that runs out during checkout is refused, named, and fixable", async ({ page }) => {
  await addToCart(page, "wool-throw", 2);
  await addToCart(page, "tea-tin", 1);
  await page.goto("/checkout");
  await fillCheckout(page);
  // Someone else buys throws while this shopper types.
  setStock(db, "wool-throw", 1);
  const before = orderCount();
  const stockBefore = writes(db).stock;
  await page.getByRole("button", { name: /Place order/ }).click();

  const alert = page.getByRole("alert");
  await expect(alert).toContainText("Some items are no longer available in the quantity you chose.");
  await expect(alert).toContainText("Wool Throw has only 1 left.");
  await expect(alert).toBeFocused();
  await expectAccessible(page);
  expect(orderCount()).toBe(before);
  expect(writes(db).stock).toEqual(stockBefore);

  await alert.getByRole("link", { name: "Review your cart" }).click();
  await expect(page.getByText("Only 1 left in stock.")).toBeVisible();
  await expect(page.getByText("Some items cannot be bought as they are.")).toBeVisible();
  await expect(page.getByRole("link", { name: "Check out" })).toHaveCount(0);
  await expectAccessible(page);
  await page.getByLabel("Quantity of Wool Throw").fill("1");
  await page.getByRole("button", { name: "Update Wool Throw" }).click();
  await expect(page.getByText("Updated Wool Throw to 1.")).toBeVisible();

  await page.getByRole("link", { name: "Check out" }).click();
  await fillCheckout(page);
  await page.getByRole("button", { name: /Place order/ }).click();
  await expect(page).toHaveURL(/\/orders\//);
  await expect(page.getByRole("row", { name: /Wool Throw/ })).toContainText("1");
  expect(productBySlug(db, "wool-throw").stock).toBe(0);

  // Now sold out: the product page says so and offers no button; a cart
  // that still holds it flags it.
  await page.goto("/products/wool-throw");
  await expect(page.getByText("Sold out")).toBeVisible();
  await expect(page.getByRole("button", { name: "Add to cart" })).toHaveCount(0);
});

test("removing an item keeps focus on the page, and the empty cart says so", async ({ page }) => {
  await addToCart(page, "brass-pen", 1);
  await page.goto("/cart");
  await page.getByRole("button", { name: "Remove Brass Ballpoint Pen" }).click();
  await expect(page.getByText("Removed the item from your cart.")).toBeVisible();
  await expect(page.getByText("Your cart is empty.")).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: "Your cart" })).toBeFocused();
  await expectAccessible(page);
});

test("placing an order shows progress and cannot be clicked twice", async ({ page }) => {
  await addToCart(page, "glass-carafe", 1);
  await page.goto("/checkout");
  await fillCheckout(page);
  // Hold the submission for a moment so the pending state is visible.
  await page.route("**/checkout.data*", async (route) => {
    await new Promise((r) => setTimeout(r, 500));
    await route.continue();
  });
  const before = orderCount();
  const button = page.getByRole("button", { name: /Place order/ });
  await button.click();
  const pending = page.getByRole("button", { name: "Placing your order…" });
  await expect(pending).toBeDisabled();
  await pending.click({ force: true }).catch(() => {});
  await expect(page).toHaveURL(/\/orders\//);
  expect(orderCount()).toBe(before + 1);
});

test("a search that matches nothing says so, and odd input is harmless", async ({ page }) => {
  const response = await page.goto("/?q=%22unicorn*%20NEAR(%20-");
  expect(response?.status()).toBe(200);
  await expect(page.getByText(/No products match “"unicorn\* NEAR\( -”/)).toBeVisible();
  await expectAccessible(page);
  await page.getByRole("link", { name: "Show all products" }).click();
  await expect(page.getByText("24 products")).toBeVisible();
});

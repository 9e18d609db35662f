// The shopper's journeys, run twice by playwright.config.ts: with JavaScript
// and without. Each step asserts where the shopper lands (the URL), what the
// page says, and that nothing answered an error the test did not cause.
import { addToCart, cartLink, emailWith, expect, expectAccessible, fillCheckout, storeDatabase, test, watchResponses } from "#tests/helpers/browser.ts";
import { writes } from "#tests/helpers/db.ts";

// The production server's database (playwright.config.ts): what the journeys
// write is checked there.
const db = storeDatabase();

test("catalog → search → product → cart → checkout → confirmation → lookup", async ({ page }) => {
  test.slow(); // many pages, several checked by axe
  const responses = watchResponses(page);

  // Catalog, and its second page.
  await page.goto("/");
  await expect(page).toHaveTitle("Catalog · Corner Store");
  await expect(page.getByText("24 products", { exact: true })).toBeVisible();
  await expect(page.getByRole("main").getByRole("listitem")).toHaveCount(12);
  await page.getByRole("link", { name: "Next" }).click();
  await expect(page).toHaveURL(/\/\?page=2$/);
  await expect(page.getByText("Page 2 of 2")).toBeVisible();

  // Search, then sort the results: both stay in the URL.
  await page.getByRole("searchbox", { name: "Search products" }).fill("notebook");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/\/\?q=notebook(&sort=)?$/);
  await expect(page).toHaveTitle("Search: notebook · Corner Store");
  await expect(page.getByText("2 products match “notebook”", { exact: true })).toBeVisible();
  await page.getByLabel("Sort by").selectOption({ label: "Price: low to high" });
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/\/\?q=notebook&sort=price-asc$/);
  await expect(page.getByRole("main").getByRole("heading", { level: 2 })).toHaveText(["Pocket Notebook Set", "Linen Notebook"]);
  await expectAccessible(page);

  // The product page, and "Add to cart": the shopper stays on the product.
  await page.getByRole("link", { name: /Linen Notebook/ }).click();
  await expect(page).toHaveURL(/\/products\/linen-notebook$/);
  await expect(page.getByRole("heading", { level: 1, name: "Linen Notebook" })).toBeVisible();
  await page.getByLabel("Quantity").fill("2");
  await page.getByRole("button", { name: "Add to cart" }).click();
  await expect(page).toHaveURL(/\/products\/linen-notebook$/);
  await expect(page.getByRole("heading", { level: 1, name: "Linen Notebook" })).toBeVisible();
  await expect(page.getByRole("status")).toContainText("Added 2 × Linen Notebook to your cart.");
  await expect(cartLink(page)).toHaveAccessibleName("Cart 2 items");
  // Reloading shows the page again, not data, and the notice only once.
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Linen Notebook" })).toBeVisible();
  await expect(page.getByRole("status")).toHaveText("");
  await expect(cartLink(page)).toHaveAccessibleName("Cart 2 items");

  await addToCart(page, "soy-candle", 1);
  await expect(cartLink(page)).toHaveAccessibleName("Cart 3 items");

  // The cart: change a quantity, remove a line.
  await cartLink(page).click();
  await expect(page).toHaveURL(/\/cart$/);
  await expect(page.getByRole("heading", { level: 1, name: "Your cart" })).toBeVisible();
  await expect(page.getByText("Subtotal (3 items): $64.00")).toBeVisible();
  await page.getByLabel("Quantity of Soy Candle").fill("3");
  await page.getByRole("button", { name: "Update Soy Candle" }).click();
  await expect(page).toHaveURL(/\/cart$/);
  await expect(page.getByRole("status")).toContainText("Updated Soy Candle to 3.");
  await expect(page.getByText("Subtotal (5 items): $104.00")).toBeVisible();
  await page.getByRole("button", { name: "Remove Linen Notebook" }).click();
  await expect(page).toHaveURL(/\/cart$/);
  await expect(page.getByRole("status")).toContainText("Removed the item from your cart.");
  await expect(page.getByRole("link", { name: "Linen Notebook" })).toHaveCount(0);
  await expect(page.getByText("Subtotal (3 items): $60.00")).toBeVisible();
  await expect(cartLink(page)).toHaveAccessibleName("Cart 3 items");
  await expectAccessible(page);

  // Checkout: an empty form is refused field by field, then accepted.
  await page.getByRole("link", { name: "Check out" }).click();
  await expect(page).toHaveURL(/\/checkout$/);
  await expect(page.getByRole("heading", { level: 1, name: "Checkout" })).toBeVisible();
  responses.expect(400, "POST", /^\/checkout(\.data)?$/);
  await page.getByRole("button", { name: "Place order · $60.00" }).click();
  await expect(page).toHaveURL(/\/checkout$/);
  await expect(page.getByRole("alert")).toContainText("Please correct 6 fields below.");
  await expect(page.getByLabel("Email")).toHaveAccessibleDescription(/Enter your email address\./);
  await expect(page.getByLabel("Country")).toHaveAccessibleDescription("Choose the country.");
  await expectAccessible(page);
  await fillCheckout(page);
  const ordersBefore = writes(db).orders.length;
  await page.getByRole("button", { name: "Place order · $60.00" }).click();

  // The confirmation, at its private address.
  await expect(page).toHaveURL(/\/orders\/[\w-]{22}$/);
  const confirmation = page.url();
  const heading = page.getByRole("heading", { level: 1, name: /^Order [A-Z0-9]{4}-[A-Z0-9]{4}$/ });
  await expect(heading).toBeVisible();
  const number = (await heading.textContent())!.replace("Order ", "");
  await expect(page.getByRole("row", { name: /Soy Candle \$20\.00 3 \$60\.00/ })).toBeVisible();
  await expect(page.getByRole("row", { name: "Total $60.00" })).toBeVisible();
  await expect(cartLink(page)).toHaveAccessibleName("Cart 0 items");
  await expectAccessible(page);
  const placed = writes(db).orders;
  expect(placed).toHaveLength(ordersBefore + 1);
  expect(placed.find((o) => o.number === number)).toMatchObject({ totalCents: 6_000, email: "ada@example.com" });

  // The confirmation email: to the shopper, with the order's line and total,
  // and a link that opens this order (docs/email.md).
  const mail = await emailWith(`Your order ${number}`);
  expect(mail.headers.to).toBe("ada@example.com");
  // Replies reach the shop's contact address (STORE_CONTACT_EMAIL), not the sending one.
  expect(mail.headers["reply-to"]).toBe("hello@corner-store.test");
  expect(mail.text).toContain("3 × Soy Candle at $20.00: $60.00");
  expect(mail.text).toContain("Total: $60.00");
  expect(mail.text).toContain("12 St James's Square");
  const link = /https?:\/\/\S+\/orders\/[\w-]{22}/.exec(mail.text)?.[0];
  expect(link).toBe(confirmation);
  expect(mail.html).toContain(`href="${confirmation}"`);
  await page.goto(link!);
  await expect(heading).toBeVisible();

  // Looking the order up: a wrong email finds nothing, the right one the order.
  await page.getByRole("link", { name: "Find an order" }).click();
  await expect(page).toHaveURL(/\/orders$/);
  responses.expect(404, "POST", /^\/orders(\.data)?$/);
  await page.getByLabel("Order number").fill(number);
  await page.getByLabel("Email").fill("someone-else@example.com");
  await page.getByRole("button", { name: "Find my order" }).click();
  await expect(page).toHaveURL(/\/orders$/);
  await expect(page.getByRole("alert")).toHaveText("We could not find an order with that number and email.");
  await expect(page.getByLabel("Order number")).toHaveValue(number);
  await page.getByLabel("Order number").fill(number.toLowerCase());
  await page.getByLabel("Email").fill("ADA@example.com");
  await page.getByRole("button", { name: "Find my order" }).click();
  await expect(page).toHaveURL(confirmation);
  await expect(heading).toBeVisible();

  expect(responses.unexpected()).toEqual([]);
});

test("an unknown product answers 404 with a page that leads back", async ({ page }) => {
  const responses = watchResponses(page);
  responses.expect(404, "GET", /^\/products\/not-a-real-product$/);
  const response = await page.goto("/products/not-a-real-product");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await page.getByRole("link", { name: "Back to the catalog" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { level: 1, name: "Catalog" })).toBeVisible();
  expect(responses.unexpected()).toEqual([]);
});

test("a search that matches nothing says so, and odd input is harmless", async ({ page }) => {
  const responses = watchResponses(page);
  const response = await page.goto("/?q=%22unicorn*%20NEAR(%20-");
  expect(response?.status()).toBe(200);
  await expect(page.getByText(/No products match “"unicorn\* NEAR\( -”/)).toBeVisible();
  await expectAccessible(page);
  await page.getByRole("link", { name: "Show all products" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByText("24 products", { exact: true })).toBeVisible();
  expect(responses.unexpected()).toEqual([]);
});

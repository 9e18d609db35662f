// What only exists with JavaScript on (run in the "javascript" project
// only): focus moved to what needs attention, pending buttons that cannot be
// pressed twice. The journeys both ways are in journeys.spec.ts.
import { addToCart, expect, expectAccessible, fillCheckout, storeDatabase, test, watchResponses } from "#tests/helpers/browser.ts";
import { productBySlug, setStock, writes } from "#tests/helpers/db.ts";

// The production server's database (playwright.config.ts): tests change
// stock behind the shopper's back and check what was written.
const db = storeDatabase();
const orderCount = () => writes(db).orders.length;

test("a checkout with mistakes keeps the input, explains each error and moves focus to it", async ({ page }) => {
  const responses = watchResponses(page);
  responses.expect(400, "POST", /^\/checkout\.data$/);
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
  expect(responses.unexpected()).toEqual([]);
});

test("stock that runs out during checkout is refused, named, and fixable", async ({ page }) => {
  const responses = watchResponses(page);
  responses.expect(409, "POST", /^\/checkout\.data$/);
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
  await expect(page.getByRole("row", { name: /Wool Throw/ }).getByRole("cell")).toHaveText(["Wool Throw", "$98.00", "1", "$98.00"]);
  expect(productBySlug(db, "wool-throw").stock).toBe(0);

  // Now sold out: the product page says so and offers no button; a cart
  // that still holds it flags it.
  await page.goto("/products/wool-throw");
  await expect(page.getByText("Sold out")).toBeVisible();
  await expect(page.getByRole("button", { name: "Add to cart" })).toHaveCount(0);
  expect(responses.unexpected()).toEqual([]);
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
  // Every order the browser sends, and the first one held until the second
  // click is done, so the button is certainly still there, pending.
  const posts: string[] = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && /^\/checkout(\.data)?$/.test(new URL(request.url()).pathname)) posts.push(request.url());
  });
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/checkout.data*", async (route) => {
    await held;
    await route.continue();
  });
  const before = orderCount();
  await page.getByRole("button", { name: /Place order/ }).click();
  const pending = page.getByRole("button", { name: "Placing your order…" });
  await expect(pending).toBeDisabled();
  // A real second click (force: past Playwright's own wait for the button to be enabled).
  await pending.click({ force: true });
  expect(posts).toHaveLength(1);
  release();
  await expect(page).toHaveURL(/\/orders\//);
  expect(posts).toHaveLength(1);
  expect(orderCount()).toBe(before + 1);
});

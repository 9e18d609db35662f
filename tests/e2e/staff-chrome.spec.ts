// The staff side's own header, at 390 and 1280 px, with JavaScript and
// without: the store's name, the way back to the shop, the staff menu and
// account, no shopper's cart; an unknown /admin address is a 404 inside it.
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { expect, expectAccessible, test, watchResponses } from "#tests/helpers/browser.ts";
import { staffAccount } from "#tests/helpers/staff.ts";
import type { Page } from "@playwright/test";

const db = openDatabase(process.env.E2E_DATABASE_PATH!);
test.afterAll(() => closeDatabase(db));

let made = 0;
async function signIn(page: Page) {
  // One account per test: the specs share the server's database.
  const email = `chrome-${test.info().project.name}-${test.info().parallelIndex}-${Date.now()}-${made++}@example.com`;
  await staffAccount(db, email, "staff", "a chrome test passphrase");
  await page.goto("/admin/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("a chrome test passphrase");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  return email;
}

for (const viewport of [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
]) {
  test.describe(`at ${viewport.width} px`, () => {
    test.use({ viewport });

    test("staff pages have the staff header, not the shop's", async ({ page }) => {
      const email = await signIn(page);
      const header = page.getByRole("navigation", { name: "Staff" });
      await expect(header.getByRole("link", { name: "Corner Store Staff" })).toHaveAttribute("href", "/admin");
      await expect(header.getByRole("link", { name: "View the shop" })).toHaveAttribute("href", "/");
      await expect(page.getByRole("navigation", { name: "Store admin" }).getByRole("link", { name: "Orders" })).toBeVisible();
      await expect(page.getByRole("link", { name: email })).toBeVisible();
      // No shopper's header: no cart, no "Find an order".
      await expect(page.getByRole("navigation", { name: "Main" })).toHaveCount(0);
      await expect(page.getByRole("link", { name: /^Cart/ })).toHaveCount(0);
      // The header is one line at either width.
      const box = await header.boundingBox();
      expect(box!.height).toBeLessThan(60);
      await expectAccessible(page);

      await header.getByRole("link", { name: "View the shop" }).click();
      await expect(page).toHaveURL(/\/$/);
      await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /^Cart/ })).toBeVisible();
    });

    test("an unknown staff address is a 404 inside the staff layout", async ({ page }) => {
      const responses = watchResponses(page);
      responses.expect(404, "GET", /^\/admin\/no-such-page(\.data)?$/);
      await signIn(page);
      const answer = await page.goto("/admin/no-such-page");
      expect(answer!.status()).toBe(404);
      await expect(page.getByRole("heading", { level: 1, name: "Not found" })).toBeVisible();
      await expect(page.getByText("There is no staff page at this address.")).toBeVisible();
      await expect(page).toHaveTitle("Not found · Store admin");
      // Inside the staff chrome: the staff header and menu are there, the shop's is not.
      await expect(page.getByRole("navigation", { name: "Staff" })).toBeVisible();
      await expect(page.getByRole("navigation", { name: "Store admin" })).toBeVisible();
      await expect(page.getByRole("navigation", { name: "Main" })).toHaveCount(0);
      await expectAccessible(page);
      await page.getByRole("link", { name: "Back to the dashboard" }).click();
      await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
      expect(responses.unexpected()).toEqual([]);
    });

    test("an order or product that does not exist is a 404 inside the staff layout too", async ({ page }) => {
      // A mistyped id, or a link to a product since deleted: the route exists,
      // its loader answers 404. That page once lost the staff menu and account.
      const responses = watchResponses(page);
      responses.expect(404, "GET", /^\/admin\/(orders|products)\/\d+(\/stock)?(\.data)?$/);
      await signIn(page);
      for (const [path, message] of [
        ["/admin/orders/999999999", "There is no such order."],
        ["/admin/products/999999999", "There is no such product."],
        ["/admin/products/999999999/stock", "There is no such product."],
      ] as const) {
        const answer = await page.goto(path);
        expect(answer!.status()).toBe(404);
        await expect(page.getByRole("heading", { level: 1, name: "Not found" })).toBeVisible();
        await expect(page.getByText(message)).toBeVisible();
        await expect(page.getByRole("navigation", { name: "Staff" })).toBeVisible();
        await expect(page.getByRole("navigation", { name: "Store admin" }).getByRole("link", { name: "Orders" })).toBeVisible();
        await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
      }
      await expectAccessible(page);
      // The menu works from there.
      await page.getByRole("navigation", { name: "Store admin" }).getByRole("link", { name: "Products" }).click();
      await expect(page.getByRole("heading", { level: 1, name: "Products" })).toBeVisible();
      expect(responses.unexpected()).toEqual([]);
    });

    test("a member of staff on an owner's page gets the staff side's 403, not the shop's", async ({ page }) => {
      // The owner check is middleware, whose errors React Router renders at
      // the root: this page once said "Back to the catalog", titled for the shop.
      const responses = watchResponses(page);
      responses.expect(403, "GET", /^\/admin\/staff(\.data)?$/);
      await signIn(page);
      const answer = await page.goto("/admin/staff");
      expect(answer!.status()).toBe(403);
      await expect(page.getByRole("heading", { level: 1, name: "Not allowed" })).toBeVisible();
      await expect(page.getByText("Only the store's owner can manage staff accounts.")).toBeVisible();
      await expect(page).toHaveTitle("Not allowed · Store admin");
      await expect(page.getByRole("navigation", { name: "Staff" })).toBeVisible();
      await expect(page.getByRole("link", { name: "Back to the catalog" })).toHaveCount(0);
      await expectAccessible(page);
      await page.getByRole("link", { name: "Back to the dashboard" }).click();
      await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
      expect(responses.unexpected()).toEqual([]);
    });
  });
}

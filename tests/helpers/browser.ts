// Shared steps for the Playwright specs in tests/e2e.
import AxeBuilder from "@axe-core/playwright";
import { test as base, expect, type Page, type Response } from "@playwright/test";
import { eq } from "drizzle-orm";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { products } from "#app/db/schema.ts";
import { writes } from "#tests/helpers/db.ts";

/**
 * Playwright's test, with one check on every page of every test: nothing
 * the Content-Security-Policy blocked. A blocked script would leave a page
 * that renders but never hydrates, which a test of the text on the page
 * would not notice. The specs import `test` and `expect` from here.
 */
export const test = base.extend<{ cspViolations: string[] }>({
  cspViolations: [
    async ({ page }, use) => {
      const violations: string[] = [];
      page.on("console", (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await use(violations);
      expect(violations, "Content-Security-Policy violations").toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

/**
 * Zero serious or critical accessibility violations on the page as it is
 * now. axe runs as a script inside the page, so with JavaScript off it
 * cannot run; the same server-rendered pages are checked in the JavaScript
 * project.
 */
export async function expectAccessible(page: Page) {
  if (test.info().project.use.javaScriptEnabled === false) return;
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(serious).toEqual([]);
}

export const cartLink = (page: Page) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /^Cart/ });

/** Adds a product from its page and checks where the shopper lands: the same product page, with the notice. */
export async function addToCart(page: Page, slug: string, quantity: number) {
  await page.goto(`/products/${slug}`);
  await page.getByLabel("Quantity").fill(String(quantity));
  await page.getByRole("button", { name: "Add to cart" }).click();
  await expect(page.getByRole("status").filter({ hasText: "to your cart" })).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`/products/${slug}$`));
}

/**
 * The production server's database (playwright.config.ts), opened for a spec
 * file that checks what was written. Every test buys from the same store, so
 * each product's stock is put back after each test as the file found it.
 */
export function storeDatabase(): AppDatabase {
  const db = openDatabase(process.env.E2E_DATABASE_PATH!);
  let found: { id: number; stock: number }[] = [];
  test.beforeAll(() => {
    found = writes(db).stock;
  });
  test.afterEach(() => {
    for (const { id, stock } of found) db.update(products).set({ stock }).where(eq(products.id, id)).run();
  });
  test.afterAll(() => closeDatabase(db));
  return db;
}

export async function fillCheckout(page: Page, email = "ada@example.com") {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Full name").fill("Ada Lovelace");
  await page.getByLabel("Street address").fill("12 St James's Square");
  await page.getByLabel("Town or city").fill("London");
  await page.getByLabel("Postal code").fill("SW1Y 4JH");
  await page.getByLabel("Country").fill("United Kingdom");
}

/**
 * Records every response the page gets that is an error (4xx/5xx). A test
 * says which ones it causes on purpose with `expect(status, method, path)`;
 * `unexpected()` lists the rest. A page that looks right after a stray 404
 * (a `.data` request for the wrong URL, say) still fails the test.
 */
export function watchResponses(page: Page) {
  const errors: Response[] = [];
  const allowed: { status: number; method: string; path: RegExp }[] = [];
  page.on("response", (response) => {
    if (response.status() >= 400) errors.push(response);
  });
  return {
    expect(status: number, method: string, path: RegExp) {
      allowed.push({ status, method, path });
    },
    unexpected() {
      return errors
        .filter(
          (r) =>
            !allowed.some(
              (a) => a.status === r.status() && a.method === r.request().method() && a.path.test(new URL(r.url()).pathname),
            ),
        )
        .map((r) => `${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
    },
  };
}

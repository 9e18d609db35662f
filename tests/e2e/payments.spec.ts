// Paying with Stripe Checkout in a real browser, JavaScript on and off: a
// store of its own (Stripe keys set, pointed at the local Stripe double,
// whose stand-in hosted page posts back and sends the signed webhook as
// Stripe would). The shopper goes shop → pay → back → "Payment received",
// and shop → back without paying → cancel → stock returned; and the owner
// accepts a payment Stripe took for another amount.
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { orders, products } from "#app/db/schema.ts";
import type { Page } from "@playwright/test";
import { expect, fillCheckout, test } from "#tests/helpers/browser.ts";
import { tempDir } from "#tests/helpers/db.ts";
import { freePort, startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { startStripeDouble, type StripeDouble } from "#tests/helpers/stripe-double.ts";
import { staffAccount } from "#tests/helpers/staff.ts";

let server: ServerProcess;
let stripe: StripeDouble;
let db: AppDatabase;
let origin: string;

test.beforeAll(async () => {
  stripe = await startStripeDouble();
  const port = await freePort();
  origin = `http://store.test:${port}`;
  const path = join(tempDir("store-e2e-payments-"), "store.db");
  server = await startServer({ env: { DATABASE_PATH: path, PORT: String(port), PUBLIC_URL: origin, SEED_DEMO_DATA: "true", ...stripe.env } });
  stripe.deliverTo(`${server.url}/webhooks/stripe`);
  db = openDatabase(path);
});
test.afterAll(async () => {
  if (db) closeDatabase(db);
  if (server) await stopServer(server);
  await stripe?.stop();
});

async function addToCart(page: Page, slug: string, quantity: number) {
  await page.goto(`${origin}/products/${slug}`);
  await page.getByLabel("Quantity").fill(String(quantity));
  await page.getByRole("button", { name: "Add to cart" }).click();
  await expect(page.getByRole("status").filter({ hasText: "to your cart" })).toBeVisible();
}

const stock = (slug: string) => db.select({ stock: products.stock }).from(products).where(eq(products.slug, slug)).get()!.stock;

test("a shopper pays on Stripe's page and comes back to Payment received", async ({ page }) => {
  const before = stock("tea-tin");
  await addToCart(page, "tea-tin", 2);
  await page.goto(`${origin}/checkout`);
  await fillCheckout(page, "payer@example.com");
  await page.getByRole("button", { name: /^Continue to payment/ }).click();
  await expect(page.getByRole("heading", { name: "Stripe test double" })).toBeVisible();
  await expect(page.getByText("2 × Loose Tea Tin")).toBeVisible();
  expect(stock("tea-tin")).toBe(before - 2);

  await page.getByRole("button", { name: "Pay" }).click();
  await expect(page.getByRole("heading", { name: "Payment received" })).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`^${origin}/orders/[\\w-]{22}$`));
  const order = db.select().from(orders).where(eq(orders.email, "payer@example.com")).all().at(-1)!;
  expect(order.status).toBe("paid");
  expect(stock("tea-tin")).toBe(before - 2);
});

test("a shopper comes back without paying, sees the order's lines, cancels, and the stock returns", async ({ page }) => {
  const before = { notebook: stock("linen-notebook"), pencils: stock("pencil-bundle") };
  await addToCart(page, "linen-notebook", 3);
  await addToCart(page, "pencil-bundle", 2);
  await page.goto(`${origin}/checkout`);
  await fillCheckout(page, "leaver@example.com");
  await page.getByRole("button", { name: /^Continue to payment/ }).click();
  await expect(page.getByRole("heading", { name: "Stripe test double" })).toBeVisible();
  expect(stock("linen-notebook")).toBe(before.notebook - 3);
  expect(stock("pencil-bundle")).toBe(before.pencils - 2);

  await page.getByRole("link", { name: "Back to the store" }).click();
  await expect(page.getByRole("heading", { name: /^Pay for order / })).toBeVisible();
  // The order summary the order page draws: each line's price, quantity and total, the total, where it ships.
  await expect(page.getByText("Its 5 items are held for you")).toBeVisible();
  const rows = page.getByRole("table").getByRole("row");
  await expect(rows).toHaveText([
    /^Product\s*Price\s*Quantity\s*Total$/,
    /^Linen Notebook\s*\$22\.00\s*3\s*\$66\.00$/,
    /^Cedar Pencil Bundle\s*\$9\.00\s*2\s*\$18\.00$/,
    /^Total\s*\$84\.00$/,
  ]);
  await expect(page.getByRole("link", { name: "Linen Notebook" })).toHaveAttribute("href", "/products/linen-notebook");
  await expect(page.getByRole("main").locator("address")).toContainText("Ada Lovelace");
  await expect(page.getByRole("main").locator("address")).toContainText("SW1Y 4JH London");
  await page.getByRole("button", { name: "Cancel the order" }).click();
  await expect(page.getByRole("heading", { name: "Cancelled" })).toBeVisible();
  const order = db.select().from(orders).where(eq(orders.email, "leaver@example.com")).all().at(-1)!;
  expect(order.status).toBe("cancelled");
  expect(stripe.sessions.get(order.paymentReference!)!.status).toBe("expired");
  expect(stock("linen-notebook")).toBe(before.notebook);
  expect(stock("pencil-bundle")).toBe(before.pencils);
});

test("the owner accepts a payment Stripe took for another amount: Mark paid…, then confirm", async ({ page }) => {
  // Stripe takes 1.00 less than the order (a coupon in the Dashboard, say): the webhook flags it.
  await addToCart(page, "tea-tin", 2);
  await page.goto(`${origin}/checkout`);
  const email = `short-${test.info().project.name}@example.com`;
  await fillCheckout(page, email);
  await page.getByRole("button", { name: /^Continue to payment/ }).click();
  await expect(page.getByRole("heading", { name: "Stripe test double" })).toBeVisible();
  const order = db.select().from(orders).where(eq(orders.email, email)).all().at(-1)!;
  stripe.chargeInstead({ amount: order.totalCents - 100 });
  try {
    await page.getByRole("button", { name: "Pay" }).click();
    await expect(page.getByRole("heading", { name: "Confirming your payment…" })).toBeVisible();
  } finally {
    stripe.chargeInstead({});
  }
  expect(db.select().from(orders).where(eq(orders.id, order.id)).get()!.paymentIssue).toMatch(/^Stripe took /);

  const owner = `owner-${test.info().project.name}-${Date.now()}@example.com`;
  await staffAccount(db, owner, "owner", "a browser test passphrase");
  await page.goto(`${origin}/admin/sign-in`);
  await page.getByLabel("Email").fill(owner);
  await page.getByLabel("Password").fill("a browser test passphrase");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();

  await page.goto(`${origin}/admin/orders/${order.id}`);
  await expect(page.getByRole("alert").filter({ hasText: "Payment needs a look" })).toBeVisible();
  await page.getByRole("link", { name: "Mark paid…" }).click();
  await expect(page.getByRole("heading", { name: `Mark order ${order.number} paid` })).toBeVisible();
  await page.getByRole("button", { name: "Accept the payment and mark paid" }).click();
  await expect(page).toHaveURL(`${origin}/admin/orders/${order.id}`);
  await expect(page.getByText(`Order ${order.number} is marked paid: it can be shipped.`)).toBeVisible();
  await expect(page.getByRole("button", { name: "Mark shipped" })).toBeVisible();
  await expect(page.getByText("Payment needs a look")).toHaveCount(0);
  expect(db.select().from(orders).where(eq(orders.id, order.id)).get()).toMatchObject({ status: "paid", paymentIssue: null });
});

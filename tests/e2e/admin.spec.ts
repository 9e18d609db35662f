import { execFileSync } from "node:child_process";
import { and, eq, isNull, like } from "drizzle-orm";
import { type Browser, type Page } from "@playwright/test";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { products } from "#app/db/schema.ts";
import { ledgerDrift } from "#app/store/inventory.server.ts";
import { confirmAction, confirmTrigger, expect, expectAccessible, fillCheckout, test, watchResponses } from "#tests/helpers/browser.ts";
import { photo } from "#tests/helpers/images.ts";
import { staffAccount } from "#tests/helpers/staff.ts";

// Running the store: the owner made with the CLI, a member of staff added by
// the owner, a product with a SKU, a shopper buying it, shipping one order
// and cancelling another. Like every journey, this runs with JavaScript and
// without (playwright.config.ts), on the production server's database file:
// accounts and products get the project's letter, and products made here are
// archived or deleted at the end, so the shopper journeys still see the demo
// catalog alone.
const db = openDatabase(process.env.E2E_DATABASE_PATH!);
test.afterAll(() => closeDatabase(db));
// A journey that fails half-way must not leave its product in the catalog
// for the shopper journeys that run next ("24 products").
test.afterEach(() => {
  db.update(products).set({ archivedAt: new Date() }).where(and(like(products.name, "Walnut Bowl %"), isNull(products.archivedAt))).run();
});

/** a or b: each project's accounts and products are its own. */
const letter = () => (test.info().project.name === "javascript" ? "a" : "b");

/** `node app/cli/cli.ts staff create …` on the server's database, as an operator runs it; returns the link it prints. */
function createOwnerWithCli(email: string, publicUrl: string) {
  const output = execFileSync(process.execPath, ["app/cli/cli.ts", "staff", "create", "--email", email, "--role", "owner"], {
    env: { PATH: process.env.PATH, NODE_ENV: "production", DATABASE_PATH: process.env.E2E_DATABASE_PATH, PUBLIC_URL: publicUrl },
    encoding: "utf8",
  });
  const link = /https?:\/\/\S+\/admin\/welcome\/[\w-]{43}/.exec(output)?.[0];
  if (!link) throw new Error(`no sign-in link in:\n${output}`);
  return link;
}

async function choosePassword(page: Page, link: string, password: string) {
  await page.goto(link);
  await expect(page.getByRole("heading", { level: 1, name: "Choose a password" })).toBeVisible();
  await page.getByLabel("New password").fill(password);
  await page.getByLabel("The same password again").fill(password);
  await page.getByRole("button", { name: "Save password and sign in" }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
}

const adminNav = (page: Page) => page.getByRole("navigation", { name: "Store admin" });

async function buy(browser: Browser, productName: string, quantity: number, email: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`/?q=${encodeURIComponent(productName)}`);
  await page.getByRole("link", { name: new RegExp(productName) }).click();
  await page.getByLabel("Quantity").fill(String(quantity));
  await page.getByRole("button", { name: "Add to cart" }).click();
  await expect(page.getByRole("status").filter({ hasText: "to your cart" })).toBeVisible();
  await page.goto("/checkout");
  await fillCheckout(page, email);
  await page.getByRole("button", { name: /Place order/ }).click();
  await expect(page.getByText("Thank you for your order")).toBeVisible();
  const number = (await page.getByRole("heading", { level: 1 }).textContent())!.replace("Order ", "");
  await context.close();
  return number;
}

test("the owner adds staff; staff create a product, ship one order and cancel another, and the stock comes back", async ({ page, browser, baseURL }) => {
  test.setTimeout(180_000); // many pages, each checked by axe: minutes on a loaded 2-core machine
  const x = letter();
  const owner = `owner-${x}@example.com`;
  const clerk = `clerk-${x}@example.com`;
  const bowl = `Walnut Bowl ${x.toUpperCase()}`;
  const sku = `WAL-100-${x.toUpperCase()}`;
  const responses = watchResponses(page);

  // The first owner: one command, then the link in a browser.
  // Links start with PUBLIC_URL, the store's address (playwright.config.ts): the
  // CLI's opens as printed.
  const ownerLink = createOwnerWithCli(owner, baseURL!);
  expect(ownerLink.startsWith(`${baseURL}/admin/welcome/`)).toBe(true);
  await page.goto("/admin/orders");
  await expect(page).toHaveURL(/\/admin\/sign-in\?next=%2Fadmin%2Forders$/);
  await expectAccessible(page);
  await choosePassword(page, ownerLink, "owner's long passphrase");
  await expect(page.getByText(`Welcome! You are signed in as ${owner}.`)).toBeVisible();
  await expectAccessible(page);

  // The owner adds a member of staff and gets a one-time link to hand over.
  await adminNav(page).getByRole("link", { name: "Staff" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Staff" })).toBeVisible();
  await page.getByLabel("Email").fill(clerk);
  await page.getByLabel("Role").selectOption("staff");
  await page.getByRole("button", { name: "Add and make a sign-in link" }).click();
  const linkField = page.getByRole("textbox", { name: "Sign-in link" });
  await expect(linkField).toHaveValue(/\/admin\/welcome\/[\w-]{43}$/);
  const clerkLink = await linkField.inputValue();
  expect(clerkLink.startsWith(`${baseURL}/admin/welcome/`)).toBe(true);
  await expect(page.getByRole("row", { name: new RegExp(clerk) })).toContainText("Link sent");
  await expectAccessible(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/admin\/sign-in\?signed-out=1$/);
  await expect(page.getByText("You are signed out.")).toBeVisible();

  // The clerk chooses a password; staff have no Staff page.
  await choosePassword(page, clerkLink, "clerk's long passphrase");
  await expect(adminNav(page).getByRole("link", { name: "Staff" })).toHaveCount(0);
  expect((await page.goto("/admin/staff"))?.status()).toBe(403);
  responses.expect(403, "GET", /^\/admin\/staff$/);
  await expect(page.getByText("Only the store's owner can manage staff accounts.")).toBeVisible();

  // A product with a SKU, opening stock and an image.
  await page.goto("/admin/products");
  await expectAccessible(page);
  await page.getByRole("link", { name: "New product" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "New product" })).toBeVisible();
  await expectAccessible(page);
  await page.getByLabel("Name").fill(bowl);
  await page.getByLabel("SKU").fill(sku.toLowerCase());
  await page.getByLabel("Price (USD)").fill("42");
  await page.getByLabel("Stock on hand").fill("5");
  await page.getByLabel("Description").fill("Turned from one piece of walnut, oiled.");
  await page.getByLabel(/^Image/).setInputFiles({ name: "bowl.jpg", mimeType: "image/jpeg", buffer: Buffer.from(await photo(1600, 1200)) });
  await page.getByRole("button", { name: "Create product" }).click();
  await expect(page.getByText(`Created ${bowl} (SKU ${sku}).`)).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: bowl })).toBeVisible();
  await expectAccessible(page);

  // In the catalog at once, for shoppers.
  await page.goto("/?q=walnut");
  await expect(page.getByText("1 product matches “walnut”", { exact: true })).toBeVisible();
  // The browser picks the variant the layout needs, as WebP: at 1280 px a
  // card is 262 px wide (the 400 px file), the product page's image 544 px (800).
  const shown = (image: ReturnType<Page["locator"]>) =>
    expect.poll(() => image.evaluate((img: HTMLImageElement) => (img.complete && img.naturalWidth > 0 ? img.currentSrc : "")));
  await shown(page.locator("main li img")).toMatch(/-400x300\.webp$/);
  await page.getByRole("link", { name: new RegExp(bowl) }).click();
  const picture = page.getByRole("img", { name: bowl });
  await shown(picture).toMatch(/-800x600\.webp$/);
  // In its column, the product's name beside it (the <picture> takes one grid cell).
  const [image, name] = [await picture.boundingBox(), await page.getByRole("heading", { level: 1, name: bowl }).boundingBox()];
  expect([Math.round(image!.width), name!.x > image!.x + image!.width, name!.y < image!.y + image!.height]).toEqual([544, true, true]);
  const shipped = await buy(browser, bowl, 2, "first@example.com");
  const cancelled = await buy(browser, bowl, 1, "second@example.com");

  // Mark the first order paid (the bank transfer came in), then ship it.
  await page.goto("/admin");
  await adminNav(page).getByRole("link", { name: "Orders" }).click();
  await page.getByLabel("Status").selectOption("placed");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/status=placed/);
  await expectAccessible(page);
  await page.getByRole("link", { name: shipped }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Order ${shipped}` })).toBeVisible();
  await expectAccessible(page);
  await expect(page.getByRole("button", { name: "Mark shipped" })).toHaveCount(0);
  await page.getByRole("button", { name: "Mark paid" }).click();
  await expect(page.getByText(`Order ${shipped} is marked paid: it can be shipped.`)).toBeVisible();
  await page.getByRole("button", { name: "Mark shipped" }).click();
  await expect(page.getByText(`Order ${shipped} is marked shipped.`)).toBeVisible();
  await expect(page.getByRole("button", { name: "Mark shipped" })).toHaveCount(0);

  // Cancel the second: its bowl goes back on the shelf.
  await page.goto("/admin/orders?status=placed");
  await page.getByRole("link", { name: cancelled }).click();
  await confirmAction(page, "Cancel order…", `Cancel order ${cancelled}?`, "Cancel order and return stock");
  await expect(page.getByText(`Order ${cancelled} is cancelled; its items are back in stock.`)).toBeVisible();
  await expect(page.getByText(`Returned to stock 1 × ${bowl} (by ${clerk})`)).toBeVisible();
  await expectAccessible(page);

  await page.getByRole("link", { name: bowl }).click();
  await page.getByRole("link", { name: "Adjust stock and see its history" }).click();
  await expect(page.getByText("3 in stock", { exact: true })).toBeVisible(); // 5 − 2 − 1 + 1
  const history = page.getByRole("table");
  await expect(history.getByRole("row")).toHaveCount(5); // header + opening, two sales, the return
  // Newest first: when, what, change, stock after, by whom.
  const cells = (row: number) => history.getByRole("row").nth(row).getByRole("cell");
  await expect(cells(1)).toHaveText([/ UTC$/, `Cancelled order ${cancelled}`, "+1", "3", clerk]);
  await expect(cells(2)).toHaveText([/ UTC$/, `Sale ${cancelled}`, "-1", "2", "Shopper"]);
  await expect(cells(3)).toHaveText([/ UTC$/, `Sale ${shipped}`, "-2", "3", "Shopper"]);
  await expect(cells(4)).toHaveText([/ UTC$/, /^Opening balance\s*new product$/, "+5", "5", clerk]);
  await expectAccessible(page);
  const { id } = db.select({ id: products.id }).from(products).where(eq(products.sku, sku)).get()!;
  expect(ledgerDrift(db).filter((p) => p.id === id)).toEqual([]);

  // Sold, so it cannot be deleted: archived, it leaves the catalog.
  await page.goto(`/admin/products/${id}`);
  await expect(confirmTrigger(page, "Delete product…")).toHaveCount(0);
  await confirmAction(page, "Archive…", `Archive ${bowl}?`, "Archive product");
  await expect(page.getByText(`Archived ${bowl}: it is no longer in the catalog or for sale.`)).toBeVisible();
  await page.goto("/?q=walnut");
  await expect(page.getByText("No products match “walnut”")).toBeVisible();
  expect(responses.unexpected()).toEqual([]);
});

test("refused staff forms keep what was typed; accepted ones redirect", async ({ page }) => {
  const x = letter();
  const email = `forms-${x}@example.com`;
  const spoon = `Cherry Spoon ${x.toUpperCase()}`;
  await staffAccount(db, email, "staff", "clerk's long passphrase");
  const responses = watchResponses(page);

  await page.goto("/admin/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("That email and password do not match an account.");
  await expect(page.getByLabel("Email")).toHaveValue(email);
  responses.expect(401, "POST", /^\/admin\/sign-in(\.data)?$/);
  await expect(page.getByLabel("Password")).toHaveValue("");
  await page.getByLabel("Password").fill("clerk's long passphrase");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();

  // A SKU another product has: the message beside the field, the form as typed.
  await page.goto("/admin/products/new");
  await page.getByLabel("Name").fill(spoon);
  await page.getByLabel("SKU").fill("KIT-101");
  await page.getByLabel("Price (USD)").fill("9.5");
  await page.getByLabel("Description").fill("Carved by hand.");
  await page.getByRole("button", { name: "Create product" }).click();
  await expect(page.getByText("Another product already has this SKU. SKUs must be unique.")).toBeVisible();
  await expect(page.getByLabel("SKU")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByLabel("Name")).toHaveValue(spoon);
  responses.expect(400, "POST", /^\/admin\/products\/new(\.data)?$/);
  await expect(page.getByLabel("Price (USD)")).toHaveValue("9.5");
  await expect(page.getByLabel("Description")).toHaveValue("Carved by hand.");
  await page.getByLabel("SKU").fill(`CHE-1-${x}`);
  await page.getByRole("button", { name: "Create product" }).click();
  await expect(page.getByText(`Created ${spoon} (SKU CHE-1-${x.toUpperCase()}).`)).toBeVisible();

  // Stock: a refusal, then an adjustment.
  await page.getByRole("link", { name: "Adjust stock and see its history" }).click();
  await page.getByLabel("Change by").fill("-1");
  await page.getByLabel("Why").fill("broken");
  await page.getByRole("button", { name: "Save adjustment" }).click();
  await expect(page.getByText("There are only 0 in stock now: stock cannot go below 0.")).toBeVisible();
  await expect(page.getByLabel("Why")).toHaveValue("broken");
  responses.expect(409, "POST", /^\/admin\/products\/\d+\/stock(\.data)?$/);
  await page.getByLabel("Change by").fill("12");
  await page.getByLabel("Why").fill("First delivery");
  await page.getByRole("button", { name: "Save adjustment" }).click();
  await expect(page.getByText("Stock changed by +12: 12 in stock now.")).toBeVisible();

  // Never sold: deleted outright, which also keeps the catalog as it was.
  await page.getByRole("link", { name: `← ${spoon}` }).click();
  await confirmAction(page, "Delete product…", `Delete ${spoon}?`, "Delete product");
  await expect(page.getByText(`Deleted ${spoon}.`)).toBeVisible();
  await expect(page).toHaveURL(/\/admin\/products$/);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByText("You are signed out.")).toBeVisible();
  expect(responses.unexpected()).toEqual([]);
});

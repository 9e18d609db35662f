// The confirm step for actions that cannot be undone (app/ui/confirm-action.tsx),
// at 390 and 1280 px: a <dialog> with JavaScript, the same question in the page
// (?confirm=) without. Keeping changes nothing; confirming does the action once.
import { randomUUID } from "node:crypto";
import { and, eq, isNull, like } from "drizzle-orm";
import type { Browser, Locator, Page } from "@playwright/test";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { orders, products, staff } from "#app/db/schema.ts";
import { addToCart, confirmAction, confirmStep, confirmTrigger, expect, expectAccessible, expectNoSidewaysScroll, fillCheckout, signInAsStaff, test } from "#tests/helpers/browser.ts";
import { staffAccount } from "#tests/helpers/staff.ts";

const db = openDatabase(process.env.E2E_DATABASE_PATH!);
test.afterAll(() => closeDatabase(db));
// A test that fails half-way must not leave its product on sale for the
// shopper specs that run next (they count the catalog).
test.afterEach(() => {
  db.update(products).set({ archivedAt: new Date() }).where(and(like(products.name, "Confirm Test Vase %"), isNull(products.archivedAt))).run();
});
const javascript = () => test.info().project.use.javaScriptEnabled !== false;

/** A shopper's order of `quantity` mugs, placed through the pages; its number and row. */
async function shopperOrder(browser: Browser, quantity: number, email: string) {
  const shopper = await browser.newPage();
  await addToCart(shopper, "stoneware-mug", quantity);
  await shopper.goto("/checkout");
  await fillCheckout(shopper, email);
  await shopper.getByRole("button", { name: /Place order/ }).click();
  await expect(shopper.getByText("Thank you for your order")).toBeVisible();
  const number = (await shopper.getByRole("heading", { level: 1 }).textContent())!.replace("Order ", "");
  await shopper.close();
  return { number, order: db.select().from(orders).where(eq(orders.number, number)).get()! };
}

/**
 * Opens the question, checks it (what it `says`, the way back focused first,
 * nothing wider than the window, axe) and takes the way back: the page is as
 * it was, with no ?confirm= left in the address.
 */
async function askThenKeep(page: Page, trigger: string | RegExp, title: string, keep: string, path: string, says?: string) {
  await confirmTrigger(page, trigger).click();
  const step = confirmStep(page, title);
  await expect(step).toBeVisible();
  if (says) await expect(step).toContainText(says);
  if (javascript()) await expect(step.getByRole("button", { name: keep })).toBeFocused();
  await expectUncovered(step);
  await expectNoSidewaysScroll(page);
  await expectAccessible(page);
  await step.getByRole(javascript() ? "button" : "link", { name: keep }).click();
  await expect(step).toBeHidden();
  await expect(page).toHaveURL(new RegExp(`${path}$`));
  await expect(confirmTrigger(page, trigger)).toBeVisible();
}

/**
 * Nothing is drawn over the question: at the left edge and the centre of its
 * heading and of each of its controls, the topmost element is inside it (a
 * table's sticky first column once covered the start of a row's question).
 */
async function expectUncovered(step: Locator) {
  for (const part of [step.getByRole("heading"), ...(await step.locator("button, a").all())]) {
    await part.first().scrollIntoViewIfNeeded();
    const covered = await part.first().evaluate((element) => {
      const box = element.getBoundingClientRect();
      const question = element.closest("section, dialog")!;
      return [box.left + 3, box.left + box.width / 2]
        .map((x) => document.elementFromPoint(x, box.top + box.height / 2))
        .filter((top) => !top || !question.contains(top))
        .map((top) => top?.outerHTML.slice(0, 80) ?? "nothing");
    });
    expect(covered, `what covers ${await part.first().textContent()}`).toEqual([]);
  }
}

for (const viewport of [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
]) {
  test.describe(`at ${viewport.width} px`, () => {
    test.use({ viewport });

    test("cancelling an order asks first: Keep changes nothing, confirming cancels it", async ({ page, browser }) => {
      test.setTimeout(90_000);
      const { number, order } = await shopperOrder(browser, 2, "confirm@example.com");

      await signInAsStaff(page, db);
      await page.goto(`/admin/orders/${order.id}`);
      const title = `Cancel order ${number}?`;
      // Keep: back to the order, still placed.
      await askThenKeep(page, "Cancel order…", title, "Keep the order", `/admin/orders/${order.id}`, "This cannot be undone.");
      expect(db.select().from(orders).where(eq(orders.id, order.id)).get()!.status).toBe("placed");

      await confirmAction(page, "Cancel order…", title, "Cancel order and return stock");
      await expect(page.getByText(`Order ${number} is cancelled; its items are back in stock.`)).toBeVisible();
      await expect(page.getByRole("dialog")).toHaveCount(0);
      expect(db.select().from(orders).where(eq(orders.id, order.id)).get()!.status).toBe("cancelled");
      await expect(confirmTrigger(page, "Cancel order…")).toHaveCount(0);
      await expectAccessible(page);
    });

    test("the owner's refund goes through the same step and refunds once", async ({ page, browser }) => {
      test.setTimeout(90_000);
      const { number, order } = await shopperOrder(browser, 3, "refund@example.com");

      await signInAsStaff(page, db, "owner");
      await page.goto(`/admin/orders/${order.id}`);
      await page.getByRole("button", { name: "Mark paid", exact: true }).click();
      await expect(confirmTrigger(page, "Refund…")).toBeVisible();
      await confirmAction(page, "Refund…", `Refund order ${number}?`, `Refund $${(order.totalCents / 100).toFixed(2)}`);
      await expect(page.getByText(`Order ${number} is refunded; its items are back in stock.`)).toBeVisible();
      await expect(page).toHaveURL(new RegExp(`/admin/orders/${order.id}$`));
      expect(db.select().from(orders).where(eq(orders.id, order.id)).get()!.status).toBe("refunded");
      await expect(confirmTrigger(page, "Refund…")).toHaveCount(0);
    });

    test("archiving a product asks first: Keep leaves it on sale, confirming archives it", async ({ page }) => {
      test.setTimeout(60_000);
      const name = `Confirm Test Vase ${randomUUID().slice(0, 6)}`;
      const { id } = db
        .insert(products)
        .values({
          slug: `confirm-vase-${randomUUID().slice(0, 8)}`,
          name,
          description: "A vase the confirm tests archive.",
          priceCents: 4_200,
          stock: 3,
          image: "/images/products/stoneware-mug.svg",
          sku: `CNF-${randomUUID().slice(0, 6).toUpperCase()}`,
        })
        .returning({ id: products.id })
        .get();
      const archivedAt = () => db.select({ archivedAt: products.archivedAt }).from(products).where(eq(products.id, id)).get()!.archivedAt;
      await signInAsStaff(page, db);
      await page.goto(`/admin/products/${id}`);
      const heading = page.getByRole("heading", { level: 1, name });
      await expect(heading).toBeVisible();

      await askThenKeep(page, "Archive…", `Archive ${name}?`, "Keep it on sale", `/admin/products/${id}`);
      expect(archivedAt()).toBeNull();
      await expect(page.getByText("On sale", { exact: true }).first()).toBeVisible();
      await expect(page.getByRole("link", { name: "View in the store" })).toBeVisible();

      await confirmAction(page, "Archive…", `Archive ${name}?`, "Archive product");
      await expect(page.getByRole("status").filter({ hasText: `Archived ${name}: it is no longer in the catalog or for sale.` })).toBeVisible();
      await expect(page).toHaveURL(new RegExp(`/admin/products/${id}$`));
      await expect(page.getByRole("dialog")).toHaveCount(0);
      expect(archivedAt()).not.toBeNull();
      await expect(page.getByRole("button", { name: "Put back on sale" })).toBeVisible();
      await expect(confirmTrigger(page, "Archive…")).toHaveCount(0);
      await expect(page.getByRole("link", { name: "View in the store" })).toHaveCount(0);
      await expectAccessible(page);
    });

    test("disabling and deleting a staff account ask first: Keep changes nothing, confirming does it", async ({ page }) => {
      test.setTimeout(90_000);
      const email = `confirm-${randomUUID().slice(0, 8)}@example.com`;
      await staffAccount(db, email, "staff", "a confirm test passphrase");
      // Each row's buttons say whose account they act on (a screen reader hears the email).
      const disableTrigger = new RegExp(`^Disable…\\s*: ${email.replaceAll(".", "\\.")}$`);
      const deleteTrigger = new RegExp(`^Delete…\\s*: ${email.replaceAll(".", "\\.")}$`);
      const account = () => db.select().from(staff).where(eq(staff.email, email)).get();
      await signInAsStaff(page, db, "owner");
      await page.goto("/admin/staff");
      const row = page.getByRole("row").filter({ hasText: email });
      await expect(row.getByText("Active", { exact: true })).toBeVisible();

      await askThenKeep(page, disableTrigger, `Disable ${email}?`, "Keep the account active", "/admin/staff");
      expect(account()!.disabledAt).toBeNull();
      await expect(row.getByText("Active", { exact: true })).toBeVisible();

      await confirmAction(page, disableTrigger, `Disable ${email}?`, "Disable account");
      await expect(page.getByRole("status").filter({ hasText: `Disabled ${email}: signed out everywhere, and cannot sign in.` })).toBeVisible();
      await expect(page).toHaveURL(/\/admin\/staff$/);
      expect(account()!.disabledAt).not.toBeNull();
      await expect(row.getByText("Disabled", { exact: true })).toBeVisible();
      // Enabling is not destructive: one press, no question.
      await expect(row.getByRole("button", { name: /^Enable\s*:/ })).toBeVisible();
      await expect(confirmTrigger(page, disableTrigger)).toHaveCount(0);

      await askThenKeep(page, deleteTrigger, `Delete ${email}?`, "Keep the account", "/admin/staff");
      expect(account()).toBeDefined();
      await expect(row).toHaveCount(1);

      await confirmAction(page, deleteTrigger, `Delete ${email}?`, "Delete account");
      await expect(page.getByRole("status").filter({ hasText: `Deleted ${email}.` })).toBeVisible();
      await expect(page).toHaveURL(/\/admin\/staff$/);
      expect(account()).toBeUndefined();
      await expect(row).toHaveCount(0);
      await expectAccessible(page);
    });
  });
}

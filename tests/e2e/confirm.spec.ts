// The confirm step for actions that cannot be undone (app/ui/confirm-action.tsx),
// at 390 and 1280 px: a <dialog> with JavaScript, the same question in the page
// (?confirm=) without. Keeping changes nothing; confirming does the action once.
import { eq } from "drizzle-orm";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { orders } from "#app/db/schema.ts";
import { addToCart, confirmAction, confirmTrigger, expect, expectAccessible, expectNoSidewaysScroll, fillCheckout, signInAsStaff, test } from "#tests/helpers/browser.ts";

const db = openDatabase(process.env.E2E_DATABASE_PATH!);
test.afterAll(() => closeDatabase(db));
const javascript = () => test.info().project.use.javaScriptEnabled !== false;

for (const viewport of [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
]) {
  test.describe(`at ${viewport.width} px`, () => {
    test.use({ viewport });

    test("cancelling an order asks first: Keep changes nothing, confirming cancels it", async ({ page, browser }) => {
      test.setTimeout(90_000);
      const shopper = await browser.newPage();
      await addToCart(shopper, "stoneware-mug", 2);
      await shopper.goto("/checkout");
      await fillCheckout(shopper, "confirm@example.com");
      await shopper.getByRole("button", { name: /Place order/ }).click();
      await expect(shopper.getByText("Thank you for your order")).toBeVisible();
      const number = (await shopper.getByRole("heading", { level: 1 }).textContent())!.replace("Order ", "");
      await shopper.close();
      const order = db.select().from(orders).where(eq(orders.number, number)).get()!;

      await signInAsStaff(page, db);
      await page.goto(`/admin/orders/${order.id}`);
      await confirmTrigger(page, "Cancel order…").click();
      const title = `Cancel order ${number}?`;
      const step = javascript() ? page.getByRole("dialog", { name: title }) : page.getByRole("region", { name: title });
      await expect(step).toBeVisible();
      await expect(step).toContainText("This cannot be undone.");
      if (javascript()) await expect(step.getByRole("button", { name: "Keep the order" })).toBeFocused();
      await expectNoSidewaysScroll(page);
      await expectAccessible(page);
      // Keep: back to the order, still placed.
      await step.getByRole(javascript() ? "button" : "link", { name: "Keep the order" }).click();
      await expect(step).toBeHidden();
      await expect(page).toHaveURL(new RegExp(`/admin/orders/${order.id}$`));
      expect(db.select().from(orders).where(eq(orders.id, order.id)).get()!.status).toBe("placed");

      await confirmAction(page, "Cancel order…", title, "Cancel order and return stock");
      await expect(page.getByText(`Order ${number} is cancelled; its items are back in stock.`)).toBeVisible();
      await expect(page.getByRole("dialog")).toHaveCount(0);
      expect(db.select().from(orders).where(eq(orders.id, order.id)).get()!.status).toBe("cancelled");
      await expect(confirmTrigger(page, "Cancel order…")).toHaveCount(0);
      await expectAccessible(page);
    });
  });
}

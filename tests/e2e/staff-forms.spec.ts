// Staff forms after a save, at 390 and 1280 px, with JavaScript and without:
// a form that creates something (a stock adjustment, an account) comes back
// empty, so a second press cannot apply the same change twice; a form that
// edits (a product) shows the saved values and drops the chosen file, so a
// second Save uploads nothing. With
// JavaScript, focus goes to the first field of an emptied form, and stays
// on Save after an edit; the notice says what happened.
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Page } from "@playwright/test";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { products } from "#app/db/schema.ts";
import { ledgerDrift } from "#app/store/inventory.server.ts";
import { expect, expectAccessible, signInAsStaff, test, watchResponses } from "#tests/helpers/browser.ts";
import { productBySlug } from "#tests/helpers/db.ts";
import { photo } from "#tests/helpers/images.ts";

const db = openDatabase(process.env.E2E_DATABASE_PATH!);
test.afterAll(() => closeDatabase(db));
const javascript = () => test.info().project.use.javaScriptEnabled !== false;
const notice = (page: Page, text: string) => page.getByRole("status").filter({ hasText: text });

for (const viewport of [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
]) {
  test.describe(`at ${viewport.width} px`, () => {
    test.use({ viewport });

    test("a stock adjustment empties its form: pressing Save again changes nothing", async ({ page }) => {
      const responses = watchResponses(page);
      responses.expect(400, "POST", /\/admin\/products\/\d+\/stock(\.data)?$/);
      await signInAsStaff(page, db);
      const mug = productBySlug(db, "stoneware-mug");
      // Other spec files put stock back by hand after their tests (storeDatabase()), so
      // the shared database may already disagree with its ledger: this form must add no drift.
      const driftBefore = ledgerDrift(db);
      await page.goto(`/admin/products/${mug.id}/stock`);
      const change = page.getByLabel("Change by");
      const why = page.getByLabel("Why");
      await change.fill("5");
      await why.fill("Delivery from the pottery");
      await page.getByRole("button", { name: "Save adjustment" }).click();
      await expect(notice(page, `Stock changed by +5: ${mug.stock + 5} in stock now.`)).toBeVisible();
      expect(productBySlug(db, "stoneware-mug").stock).toBe(mug.stock + 5);
      await expect(change).toHaveValue("");
      await expect(why).toHaveValue("");
      if (javascript()) await expect(change).toBeFocused();
      await expectAccessible(page);

      // The same button again: an empty form is refused, and the stock stays.
      await page.getByRole("button", { name: "Save adjustment" }).click();
      await expect(page.getByText("Enter how much the stock changes, like 5 or -2.").first()).toBeVisible();
      expect(productBySlug(db, "stoneware-mug").stock).toBe(mug.stock + 5);

      // Put it back through the same form, so the stock is as the other specs expect it.
      await change.fill("-5");
      await why.fill("Counted again");
      await page.getByRole("button", { name: "Save adjustment" }).click();
      await expect(notice(page, `Stock changed by -5: ${mug.stock} in stock now.`)).toBeVisible();
      expect(productBySlug(db, "stoneware-mug").stock).toBe(mug.stock);
      expect(ledgerDrift(db)).toEqual(driftBefore);
      expect(responses.unexpected()).toEqual([]);
    });

    test("adding someone empties the form for the next person", async ({ page }) => {
      await signInAsStaff(page, db, "owner");
      await page.goto("/admin/staff");
      const email = `added-${randomUUID().slice(0, 8)}@example.com`;
      const field = page.getByLabel("Email");
      await field.fill(email);
      await page.getByLabel("Role").selectOption("owner");
      await page.getByRole("button", { name: "Add and make a sign-in link" }).click();
      await expect(page.getByText(`Sign-in link for ${email}`)).toBeVisible();
      await expect(page.getByRole("cell", { name: email, exact: true })).toBeVisible();
      await expect(field).toHaveValue("");
      await expect(page.getByLabel("Role")).toHaveValue("staff");
      if (javascript()) await expect(field).toBeFocused();
      await expectAccessible(page);
    });

    test("saving a product shows the saved values and drops the chosen file", async ({ page }) => {
      // A product of this test's own, archived so the shopper specs never see it.
      const { id } = db
        .insert(products)
        .values({
          slug: `forms-${randomUUID().slice(0, 8)}`,
          name: "Forms Test Jug",
          description: "A jug the form tests edit.",
          priceCents: 2_500,
          stock: 0,
          image: "/images/products/stoneware-mug.svg",
          sku: `FRM-${randomUUID().slice(0, 6).toUpperCase()}`,
          archivedAt: new Date(),
        })
        .returning({ id: products.id })
        .get();
      await signInAsStaff(page, db);
      await page.goto(`/admin/products/${id}`);
      await page.getByLabel(/^Price/).fill("31.75");
      const file = page.getByLabel(/^Image/);
      const jpeg = Buffer.from(await photo(800, 600));
      await file.setInputFiles({ name: "jug.jpg", mimeType: "image/jpeg", buffer: jpeg });
      const save = page.getByRole("button", { name: "Save changes" });
      /** The size of the body the next Save posts. */
      const posted = () =>
        page
          .waitForRequest((r) => r.method() === "POST" && /\/admin\/products\/\d+(\.data)?$/.test(new URL(r.url()).pathname))
          // The header the browser sent: Playwright keeps no body for a post with a file.
          .then(async (r) => Number((await r.allHeaders())["content-length"]));
      const first = posted();
      await save.click();
      await expect(notice(page, "Saved Forms Test Jug.")).toBeVisible();
      const firstBytes = await first;
      const saved = db.select().from(products).where(eq(products.id, id)).get()!;
      expect(saved.priceCents).toBe(3_175);
      expect(saved.image).not.toBe("/images/products/stoneware-mug.svg");
      await expect(page.getByLabel(/^Price/)).toHaveValue("31.75");
      expect(await file.evaluate((input: HTMLInputElement) => input.files?.length ?? 0)).toBe(0);
      if (javascript()) await expect(save).toBeFocused();
      await expectAccessible(page);

      // A second press saves the same values and sends no file: the photo is not uploaded twice.
      const second = posted();
      await save.click();
      // The first body carried the photo; the second, the same fields and an empty file part
      // (its part's headers differ by a few bytes: no file name, another type).
      expect(firstBytes - (await second)).toBeGreaterThan(jpeg.length - 100);
      await expect(notice(page, "Saved Forms Test Jug.")).toBeVisible();
      const again = db.select().from(products).where(eq(products.id, id)).get()!;
      expect({ priceCents: again.priceCents, image: again.image }).toEqual({ priceCents: saved.priceCents, image: saved.image });
    });
  });
}

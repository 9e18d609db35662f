// The product form's image picker (app/ui/product-form.tsx), at 390 and 1280
// px, with JavaScript and without: the browser's own file input, styled, and
// reachable by keyboard with the store's focus ring; with JavaScript a
// preview of the chosen file before saving and a way to drop it. Saving shows
// the new image on the staff page and in the shop; a file the server refuses
// (not an image, over 5 MB, past the form's body limit, over 40 megapixels)
// comes back with its message beside the picker, everything else as typed and
// the product as it was; refused twice in a row, it is not left chosen.
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Page } from "@playwright/test";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { products } from "#app/db/schema.ts";
import { expect, expectAccessible, expectNoSidewaysScroll, signInAsStaff, test, watchResponses } from "#tests/helpers/browser.ts";
import { photo, pngBomb } from "#tests/helpers/images.ts";

const db = openDatabase(process.env.E2E_DATABASE_PATH!);
test.afterAll(() => closeDatabase(db));
const javascript = () => test.info().project.use.javaScriptEnabled !== false;
const DEMO_IMAGE = "/images/products/stoneware-mug.svg";

/** A product of the test's own, archived so the shopper specs never count it (its page stays up). */
function jug() {
  const slug = `picker-${randomUUID().slice(0, 8)}`;
  const { id } = db
    .insert(products)
    .values({
      slug,
      name: `Picker Test Jug ${slug.slice(-4)}`,
      description: "A jug the image picker tests edit.",
      priceCents: 2_500,
      stock: 0,
      image: DEMO_IMAGE,
      sku: `PCK-${randomUUID().slice(0, 6).toUpperCase()}`,
      archivedAt: new Date(),
    })
    .returning({ id: products.id })
    .get();
  return { id, slug };
}
const row = (id: number) => db.select().from(products).where(eq(products.id, id)).get()!;
const fileInput = (page: Page) => page.getByLabel(/^Image/);
const chosenFiles = (page: Page) => fileInput(page).evaluate((input: HTMLInputElement) => input.files?.length ?? 0);
const preview = (page: Page) => page.getByRole("img", { name: "Preview of the chosen image" });

const MB = 1024 * 1024;
/** A real JPEG, padded past its end to `bytes` (browsers still show it): a phone photo's size. */
async function bigPhoto(bytes: number) {
  const jpeg = Buffer.from(await photo(640, 480));
  return Buffer.concat([jpeg, Buffer.alloc(bytes - jpeg.length)]);
}

/** The files the server refuses, and what it says: each check of `storeImage`, and a body past the form's limit. */
const REFUSED = [
  {
    what: "a file that is not an image",
    file: async () => ({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not a picture at all\n") }),
    message: "Upload a PNG, JPEG or WebP image. (SVG and other files are not accepted.)",
  },
  {
    // Over the 5 MB cap, but inside the form's body limit (5 MB + 64 kB): the image check refuses it.
    what: "a photo just over 5 MB",
    file: async () => ({ name: "big.jpg", mimeType: "image/jpeg", buffer: await bigPhoto(5 * MB + 40 * 1024) }),
    message: "The image is just over 5 MB; the most is 5 MB. Make it smaller and upload it again.",
  },
  {
    // Past the form's body limit: the body is cut before the action could read the file.
    what: "a 12 MB photo",
    file: async () => ({ name: "phone.jpg", mimeType: "image/jpeg", buffer: await bigPhoto(12 * MB) }),
    message: "The image is 12.0 MB; the most is 5 MB. Make it smaller and upload it again.",
  },
  {
    // A 48 MP phone's full size, as a valid PNG of a few kilobytes.
    what: "an image over 40 megapixels",
    file: async () => ({ name: "huge.png", mimeType: "image/png", buffer: Buffer.from(await pngBomb(8_064, 6_048)) }),
    message: "The image is 8,064 × 6,048 pixels; the most is 40 megapixels. Make it smaller and upload it again.",
  },
];

/** The message is under the picker, tied to it (a screen reader reads it with the field), and the input is marked invalid. */
async function expectRefusedBesidePicker(page: Page, message: string) {
  const error = page.locator("#image-error");
  await expect(error).toHaveText(message);
  await expect(fileInput(page)).toHaveAttribute("aria-invalid", "true");
  await expect(fileInput(page)).toHaveAccessibleDescription(new RegExp(`${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`));
  const input = (await fileInput(page).boundingBox())!;
  const below = (await error.boundingBox())!;
  expect(below.y - (input.y + input.height)).toBeGreaterThanOrEqual(0);
  expect(below.y - (input.y + input.height)).toBeLessThan(60);
}

/** A jug of the test's own, its edit page open as staff, and its row as it was; a refused save (400) is expected. */
async function editJugExpectingRefusal(page: Page) {
  const { id } = jug();
  const before = row(id);
  const responses = watchResponses(page);
  responses.expect(400, "POST", /^\/admin\/products\/\d+(\.data)?$/);
  await signInAsStaff(page, db);
  await page.goto(`/admin/products/${id}`);
  return { id, before, responses };
}

for (const viewport of [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
]) {
  test.describe(`at ${viewport.width} px`, () => {
    test.use({ viewport });

    test("a chosen image is previewed (with JavaScript), saved, and shown as the product's image", async ({ page }) => {
      test.setTimeout(60_000);
      const { id, slug } = jug();
      await signInAsStaff(page, db);
      await page.goto(`/admin/products/${id}`);
      await expect(page.getByRole("img", { name: "Current image" })).toBeVisible();

      // By keyboard: from the description, Tab reaches the file input, with the store's focus ring.
      await page.getByLabel("Description").focus();
      await page.keyboard.press("Tab");
      await expect(fileInput(page)).toBeFocused();
      const ring = await fileInput(page).evaluate((input) => {
        const style = getComputedStyle(input);
        return `${style.outlineStyle} ${style.outlineWidth}`;
      });
      expect(ring).toBe("solid 3px");

      const image = { name: "jug.jpg", mimeType: "image/jpeg", buffer: Buffer.from(await photo(640, 480)) };
      await fileInput(page).setInputFiles(image);
      expect(await chosenFiles(page)).toBe(1);
      if (javascript()) {
        await expect(preview(page)).toBeVisible();
        expect(await preview(page).evaluate((img: HTMLImageElement) => ({ width: img.naturalWidth, blob: img.src.startsWith("blob:") }))).toEqual({
          width: 640,
          blob: true,
        });
        // Dropping the choice: no file, no preview, focus back on the input.
        await page.getByRole("button", { name: /^Remove chosen file/ }).click();
        expect(await chosenFiles(page)).toBe(0);
        await expect(preview(page)).toHaveCount(0);
        await expect(fileInput(page)).toBeFocused();
        await fileInput(page).setInputFiles(image);
        await expect(preview(page)).toBeVisible();
      } else {
        // The browser's own input names the file; there is no preview without scripts.
        await expect(preview(page)).toHaveCount(0);
      }
      await expectNoSidewaysScroll(page);
      await expectAccessible(page);

      await page.getByLabel(/^Price/).fill("27.40");
      await page.getByRole("button", { name: "Save changes" }).click();
      await expect(page.getByRole("status").filter({ hasText: "Saved Picker Test Jug" })).toBeVisible();
      const saved = row(id);
      expect(saved.priceCents).toBe(2_740);
      expect(saved.image).toMatch(/^\/uploads\/products\/[0-9a-f]{64}-\d+x\d+\.jpg$/);
      const hash = /[0-9a-f]{64}/.exec(saved.image)![0];

      // The form shows the saved image, and no file is chosen any more.
      const current = page.getByRole("img", { name: "Current image" });
      await expect(current).toBeVisible();
      await expect.poll(() => current.evaluate((img: HTMLImageElement) => img.currentSrc)).toContain(hash);
      expect(await current.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
      await expect(preview(page)).toHaveCount(0);
      expect(await chosenFiles(page)).toBe(0);

      // And the shop shows it.
      await page.goto(`/products/${slug}`);
      const shown = page.getByRole("main").locator(`img[src*="${hash}"], img[srcset*="${hash}"], picture:has(source[srcset*="${hash}"]) img`).first();
      await expect(shown).toBeVisible();
      expect(await shown.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    });

    for (const refused of REFUSED) {
      test(`${refused.what} comes back with its message beside the picker, and the other fields as typed`, async ({ page }) => {
        test.setTimeout(60_000);
        const { id, before, responses } = await editJugExpectingRefusal(page);
        await page.getByLabel("Name").fill("Picker Jug Renamed");
        await page.getByLabel(/^Price/).fill("31.75");
        await page.getByLabel("Description").fill("Typed, and kept after the refusal.");
        await fileInput(page).setInputFiles(await refused.file());
        expect(await chosenFiles(page)).toBe(1);
        await page.getByRole("button", { name: "Save changes" }).click();

        await expectRefusedBesidePicker(page, refused.message);
        await expect(page.getByLabel("Name")).toHaveValue("Picker Jug Renamed");
        await expect(page.getByLabel(/^Price/)).toHaveValue("31.75");
        await expect(page.getByLabel("Description")).toHaveValue("Typed, and kept after the refusal.");
        // The refused file is not chosen any more, and nothing was saved.
        expect(await chosenFiles(page)).toBe(0);
        await expect(preview(page)).toHaveCount(0);
        await expect(page.getByRole("button", { name: /^Remove chosen file/ })).toHaveCount(0);
        await expect(page.getByRole("img", { name: "Current image" })).toBeVisible();
        expect(row(id)).toEqual(before);
        await expectNoSidewaysScroll(page);
        await expectAccessible(page);
        expect(responses.unexpected()).toEqual([]);
      });
    }

    test("the same refused file chosen again is refused again, and is not left chosen", async ({ page }) => {
      test.setTimeout(60_000);
      const { id, before, responses } = await editJugExpectingRefusal(page);
      const { file, message } = REFUSED.find((r) => r.what.includes("megapixels"))!;
      const bomb = await file();
      for (const attempt of [1, 2]) {
        await fileInput(page).setInputFiles(bomb);
        expect(await chosenFiles(page), `attempt ${attempt}`).toBe(1);
        await page.getByRole("button", { name: "Save changes" }).click();
        await expectRefusedBesidePicker(page, message);
        // Before the fix, the second refusal (same message) left the file chosen, with its Remove button.
        await expect.poll(() => chosenFiles(page), { message: `attempt ${attempt}` }).toBe(0);
        await expect(page.getByRole("button", { name: /^Remove chosen file/ })).toHaveCount(0);
      }
      expect(row(id)).toEqual(before);
      expect(responses.unexpected()).toEqual([]);
    });
  });
}

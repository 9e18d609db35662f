import { expect, test } from "@playwright/test";

test("browse the catalog and open a product", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveTitle("Catalog · Corner Store");
  await expect(page.getByRole("heading", { level: 1, name: "Catalog" })).toBeVisible();
  const cards = page.getByRole("main").getByRole("listitem");
  await expect(cards).toHaveCount(12);

  await page.getByRole("link", { name: "Next" }).click();
  await expect(page).toHaveURL(/\?page=2$/);
  await expect(page.getByText("Page 2 of 2")).toBeVisible();

  await page.getByRole("link", { name: /Stoneware Mug/ }).click();
  await expect(page).toHaveURL(/\/products\/stoneware-mug$/);
  await expect(page).toHaveTitle("Stoneware Mug · Corner Store");
  await expect(page.getByRole("heading", { level: 1, name: "Stoneware Mug" })).toBeVisible();
  await expect(page.getByText("$18.00")).toBeVisible();
  await expect(page.getByText("SKU KIT-101")).toBeVisible();
  await expect(page.getByRole("img", { name: "Stoneware Mug" })).toBeVisible();
});

test("an unknown product shows the not-found page with a 404", async ({ page }) => {
  const response = await page.goto("/products/not-a-real-product");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await page.getByRole("link", { name: "Back to the catalog" }).click();
  await expect(page).toHaveURL(/\/$/);
});

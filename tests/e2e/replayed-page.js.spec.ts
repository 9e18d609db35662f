// A page the server's micro-cache replays gets a nonce of its own, in its
// header and on its scripts (docs/decisions/028-…): the browser must run
// those scripts under the enforced Content-Security-Policy, so the page
// hydrates and navigates without reloading. (JavaScript project only.)
import type { Response } from "@playwright/test";
import { expect, test, watchResponses } from "#tests/helpers/browser.ts";

test("a page replayed from the micro-cache runs its scripts under the CSP and navigates on the client", async ({ page }) => {
  const responses = watchResponses(page);
  const nonce = (response: Response) => /'nonce-([^']+)'/.exec(response.headers()["content-security-policy"] ?? "")?.[1];
  let first: Response | null = null;
  let again: Response | null = null;
  for (let attempt = 0; attempt < 3 && again?.headers()["x-micro-cache"] !== "hit"; attempt++) {
    // A page of its own, rendered once, then asked for again within
    // MICRO_CACHE_MS (1 s here; a loaded machine may need another try).
    const url = `/?sort=price-asc&replayed=${Date.now()}-${attempt}`;
    first = await page.goto(url, { waitUntil: "commit" });
    again = await page.goto(url);
  }
  expect(first!.headers()["x-micro-cache"]).toBe("miss");
  expect(again!.headers()["x-micro-cache"], "the second visit within the window was a replay").toBe("hit");
  expect(nonce(again!)).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  expect(nonce(again!), "the replay has a nonce of its own").not.toBe(nonce(first!));

  // Hydrated: "Next" fetches the next page's data instead of a new document.
  const data = page.waitForRequest((request) => new URL(request.url()).pathname === "/_.data");
  await page.getByRole("link", { name: "Next" }).click();
  await data;
  await expect(page).toHaveURL(/[?&]page=2(&|$)/);
  await expect(page.getByText(/^Page 2 of \d+$/)).toBeVisible();
  expect(responses.unexpected()).toEqual([]);
});

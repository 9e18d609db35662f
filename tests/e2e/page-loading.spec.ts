// What the first screen loads first, and which pages ask not to be indexed
// (issue 23, docs/benchmarks.md#lighthouse-benchlighthouse): the stylesheet
// ahead of the scripts' modulepreload links; the catalog's first row of
// pictures fetched at once (not lazily), the phone row's two with high
// priority; later rows lazy; the cart, checkout and staff pages `noindex`,
// the catalog and product pages not. With JavaScript on and off.
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { addToCart, expect, signInAsStaff, test } from "#tests/helpers/browser.ts";
import type { Page } from "@playwright/test";

const db = openDatabase(process.env.E2E_DATABASE_PATH!);
test.afterAll(() => closeDatabase(db));

test.use({ viewport: { width: 390, height: 844 } });

test("the stylesheet comes before every script in the head", async () => {
  for (const path of ["/", "/products/stoneware-mug"]) {
    // Straight to the server: only the browser maps store.test to it.
    const html = await (await fetch(`http://127.0.0.1:${process.env.E2E_PORT}${path}`)).text();
    const head = html.slice(0, html.indexOf("</head>"));
    const stylesheet = head.search(/<link[^>]*rel="stylesheet"/);
    const firstScript = head.search(/<link[^>]*rel="modulepreload"|<script/);
    expect(stylesheet, `${path}: a stylesheet in the head`).toBeGreaterThan(0);
    expect(firstScript, `${path}: modulepreload links in the head`).toBeGreaterThan(0);
    expect(stylesheet, `${path}: the stylesheet before the first script`).toBeLessThan(firstScript);
    // One stylesheet, not one from React and another from <Links>.
    expect(head.match(/rel="stylesheet"/g)).toHaveLength(1);
  }
});

// app/web/module-preloads.server.ts: the scripts are fetched early but after
// what the first paint needs, on the first render and on a micro-cache replay
// (which puts its own nonce in), and the page still hydrates.
test("the scripts' modulepreload links are low priority, and the page still hydrates", async ({ page }) => {
  for (const path of ["/", "/", "/products/stoneware-mug", "/products/stoneware-mug"]) {
    const response = await fetch(`http://127.0.0.1:${process.env.E2E_PORT}${path}`);
    const html = await response.text();
    const head = html.slice(0, html.indexOf("</head>"));
    const preloads = head.match(/<link[^>]*rel="modulepreload"[^>]*>/g) ?? [];
    expect(preloads.length, `${path}: modulepreload links`).toBeGreaterThan(5);
    for (const link of preloads) expect(link, path).toContain('fetchpriority="low"');
    // Nothing else is low: the stylesheet and the first pictures are not.
    expect(html.match(/fetchpriority="low"/g)).toHaveLength(preloads.length);
    const nonce = /'nonce-([^']+)'/.exec(response.headers.get("content-security-policy") ?? "")?.[1];
    expect(nonce, `${path}: a CSP nonce`).toBeTruthy();
    for (const link of preloads) expect(link, path).toContain(`nonce="${nonce}"`);
  }
  await page.goto("/");
  if (test.info().project.use.javaScriptEnabled === false) {
    // The browser's own parse of the page: the attribute is on the element.
    await expect(page.locator('head link[rel="modulepreload"]').first()).toHaveAttribute("fetchpriority", "low");
    return;
  }
  // Hydrated: a link is followed by React Router (no document request).
  let documents = 0;
  page.on("request", (request) => {
    if (request.resourceType() === "document") documents++;
  });
  await page.getByRole("main").getByRole("listitem").first().getByRole("link").click();
  await expect(page).toHaveURL(/\/products\//);
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  expect(documents).toBe(0);
});

test("the catalog's first row of pictures loads at once, the phone row's two with high priority", async ({ page }) => {
  await page.goto("/");
  const images = page.getByRole("main").getByRole("listitem").locator("img");
  expect(await images.count()).toBeGreaterThan(6);
  const attributes = await images.evaluateAll((list) =>
    list.map((img) => ({ loading: img.getAttribute("loading"), priority: img.getAttribute("fetchpriority") })),
  );
  expect(attributes.slice(0, 2)).toEqual([
    { loading: "eager", priority: "high" },
    { loading: "eager", priority: "high" },
  ]);
  expect(attributes.slice(2, 4)).toEqual([
    { loading: "eager", priority: null },
    { loading: "eager", priority: null },
  ]);
  for (const rest of attributes.slice(4)) expect(rest).toEqual({ loading: "lazy", priority: null });
  // The two on the first screen are drawn, with their size reserved.
  for (const i of [0, 1]) {
    await expect(images.nth(i)).toBeInViewport();
    await expect.poll(() => images.nth(i).evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    await expect(images.nth(i)).toHaveAttribute("width", /\d+/);
    await expect(images.nth(i)).toHaveAttribute("height", /\d+/);
  }
  // A product page's picture is its largest paint too.
  await page.goto("/products/stoneware-mug");
  await expect(page.getByRole("img", { name: "Stoneware Mug" })).toHaveAttribute("fetchpriority", "high");
});

test("the page stays styled after moving between pages", async ({ page }) => {
  await page.goto("/");
  const headerBackground = () => page.locator("header").first().evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(await headerBackground()).toBe("rgb(255, 255, 255)");
  const first = page.getByRole("main").getByRole("listitem").first();
  const name = (await first.getByRole("heading", { level: 2 }).textContent())!;
  await first.getByRole("link").click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  expect(await headerBackground()).toBe("rgb(255, 255, 255)");
  expect(await page.locator('link[rel="stylesheet"]').count()).toBe(1);
});

const robots = (page: Page) =>
  page.locator('head meta[name="robots"]').evaluateAll((list) => list.map((m) => m.getAttribute("content")));

test("the cart, checkout and staff pages ask not to be indexed; the catalog and products do not", async ({ page }) => {
  await page.goto("/");
  expect(await robots(page)).toEqual([]);
  await page.goto("/products/stoneware-mug");
  expect(await robots(page)).toEqual([]);

  await addToCart(page, "stoneware-mug", 2);
  await page.goto("/cart");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/cart/i);
  expect(await robots(page)).toEqual(["noindex"]);
  await page.goto("/checkout");
  await expect(page.getByRole("heading", { level: 1, name: "Checkout" })).toBeVisible();
  expect(await robots(page)).toEqual(["noindex"]);

  await signInAsStaff(page, db);
  expect(await robots(page)).toEqual(["noindex"]);
  await page.goto("/admin/orders");
  expect(await robots(page)).toEqual(["noindex"]);
});

// What the first screen loads first, and which pages ask not to be indexed
// (issue 23, docs/benchmarks.md#lighthouse-benchlighthouse): the stylesheet,
// and no script, in the head; the scripts after the load event; the
// catalog's first row of pictures fetched at once (not lazily), the phone
// row's two with high priority; later rows lazy; the cart, checkout and staff pages `noindex`,
// the catalog and product pages not. With JavaScript on and off.
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { addToCart, expect, signInAsStaff, test } from "#tests/helpers/browser.ts";
import type { Page } from "@playwright/test";

const db = openDatabase(process.env.E2E_DATABASE_PATH!);
test.afterAll(() => closeDatabase(db));

test.use({ viewport: { width: 390, height: 844 } });

test("the head holds the stylesheet and no script", async () => {
  for (const path of ["/", "/products/stoneware-mug"]) {
    // Straight to the server: only the browser maps store.test to it.
    const html = await (await fetch(`http://127.0.0.1:${process.env.E2E_PORT}${path}`)).text();
    const head = html.slice(0, html.indexOf("</head>"));
    // One stylesheet, not one from React and another from <Links>.
    expect(head.match(/<link[^>]*rel="stylesheet"/g), `${path}: one stylesheet in the head`).toHaveLength(1);
    // Nothing of the scripts competes with it or with the first pictures.
    expect(head, `${path}: no script hint`).not.toContain("modulepreload");
    expect(head, `${path}: no script`).not.toContain("<script");
  }
});

// app/web/scripts-after-load.server.ts (decision 043): React Router's scripts
// start after the load event, on the first render and on a micro-cache
// replay (which puts its own nonce in), and the page then hydrates.
test("the scripts start after the page has loaded, and the page then hydrates", async ({ page }) => {
  for (const path of ["/", "/", "/products/stoneware-mug", "/products/stoneware-mug"]) {
    const response = await fetch(`http://127.0.0.1:${process.env.E2E_PORT}${path}`);
    const html = await response.text();
    expect(html, `${path}: no modulepreload link`).not.toMatch(/<link[^>]*modulepreload/);
    expect(html, `${path}: no module script in the document`).not.toMatch(/<script[^>]*module/);
    const nonce = /'nonce-([^']+)'/.exec(response.headers.get("content-security-policy") ?? "")?.[1];
    expect(nonce, `${path}: a CSP nonce`).toBeTruthy();
    const start = html.match(/<script nonce="([^"]*)">\(function\(code,hrefs,nonce\)/g) ?? [];
    expect(start, `${path}: one deferred start, with this response's nonce`).toEqual([`<script nonce="${nonce}">(function(code,hrefs,nonce)`]);
  }
  await page.goto("/");
  const scripts = () =>
    page.evaluate(() => {
      const [navigation] = performance.getEntriesByType("navigation") as PerformanceNavigationTiming[];
      return {
        loadEventStart: navigation!.loadEventStart,
        starts: performance
          .getEntriesByType("resource")
          .filter((entry) => /\/assets\/[^/]+\.js$/.test(new URL(entry.name).pathname))
          .map((entry) => entry.startTime),
      };
    });
  if (test.info().project.use.javaScriptEnabled === false) {
    // Nothing runs the start: not one script is downloaded.
    await page.waitForLoadState("load");
    expect((await scripts()).starts).toEqual([]);
    return;
  }
  // Each of the page's scripts was asked for after the load event began.
  const { loadEventStart, starts } = await scripts();
  expect(loadEventStart).toBeGreaterThan(0);
  expect(starts.length).toBeGreaterThan(5);
  for (const startTime of starts) expect(startTime).toBeGreaterThanOrEqual(loadEventStart);
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

// app/core/money.ts: a browser's first Intl.NumberFormat loads ICU's number
// data (33-160 ms of one task on this machine, unthrottled), so the page hands
// the browser the store currency's shape and formatPrice needs none. The page
// must still hydrate without a mismatch (the console check fails on one).
test("prices hydrate without a NumberFormat in the browser", async ({ page }) => {
  test.skip(test.info().project.use.javaScriptEnabled === false, "nothing hydrates without JavaScript");
  await page.addInitScript(() => {
    const counted = window as unknown as { numberFormats: number };
    counted.numberFormats = 0;
    Intl.NumberFormat = new Proxy(Intl.NumberFormat, {
      construct(target, args: ConstructorParameters<typeof Intl.NumberFormat>) {
        counted.numberFormats++;
        return new target(...args);
      },
    });
  });
  const hydrated = (selector: string) =>
    expect
      .poll(() => page.evaluate((s) => Object.keys(document.querySelector(s) ?? {}).some((key) => key.startsWith("__reactFiber")), selector))
      .toBe(true);
  const numberFormats = () => page.evaluate(() => (window as unknown as { numberFormats: number }).numberFormats);

  await page.goto("/");
  await hydrated("main h1");
  await expect(page.getByRole("main").getByRole("listitem").filter({ hasText: "Wool Throw" })).toContainText("$98.00");
  expect(await numberFormats()).toBe(0);

  await addToCart(page, "stoneware-mug", 2);
  await addToCart(page, "brass-pen", 3);
  await page.goto("/cart");
  await hydrated("main h1");
  await expect(page.getByText("Subtotal (5 items): $171.00")).toBeVisible();
  expect(await numberFormats()).toBe(0);
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

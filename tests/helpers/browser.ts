// Shared steps for the Playwright specs in tests/e2e.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { test as base, expect, type Page, type Response } from "@playwright/test";
import { eq } from "drizzle-orm";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { products } from "#app/db/schema.ts";
import { writes } from "#tests/helpers/db.ts";
import { parse as parseMail, type ReceivedMail } from "#tests/helpers/smtp.ts";
import { staffAccount } from "#tests/helpers/staff.ts";

/**
 * Playwright's test, with one check on every page of every test: a console
 * without errors or warnings. A script the Content-Security-Policy blocked
 * would leave a page that renders but never hydrates, which a test of the
 * text on the page would not notice; a header the browser ignores (it says
 * so in the console) protects nothing. The specs run at http://store.test
 * (playwright.config.ts): a real host name over plain HTTP, where browsers
 * ignore the most. The one message a test may cause is the browser's report
 * of an error status, for an answer the test said it expects
 * (`watchResponses(page).expect`). The specs import `test` and `expect`
 * from here.
 */
export const test = base.extend<{ cleanConsole: void }>({
  // With JavaScript, a page's scripts start after its load event
  // (app/web/scripts-after-load.server.ts, decision 043), and Playwright's
  // goto returns at that event. Until the scripts run, a click is a plain
  // HTML link or form (the no-JavaScript project tests that path), so a test
  // of the scripted page waits for React Router to take over first.
  page: async ({ page, javaScriptEnabled }, provide) => {
    if (javaScriptEnabled !== false) {
      for (const name of ["goto", "reload", "goBack", "goForward"] as const) {
        const original = page[name].bind(page) as (...args: unknown[]) => Promise<Response | null>;
        (page as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
          const response = await original(...args);
          const options = args.find((arg): arg is { waitUntil?: string } => typeof arg === "object" && arg !== null);
          if (options?.waitUntil !== "commit") await scriptsRunning(page);
          return response;
        };
      }
    }
    await provide(page);
  },
  cleanConsole: [
    async ({ page }, use) => {
      expectedErrors = [];
      const messages: { text: string; url: string }[] = [];
      page.on("console", (message) => {
        if (message.type() === "error" || message.type() === "warning") {
          messages.push({ text: `${message.type()} at ${message.location().url}: ${message.text()}`, url: message.location().url });
        }
      });
      await use();
      const expected = ({ text, url }: { text: string; url: string }) => {
        const status = Number(/: Failed to load resource: the server responded with a status of (\d{3})\b/.exec(text)?.[1]);
        return expectedErrors.some((e) => e.status === status && e.path.test(new URL(url).pathname));
      };
      expect(messages.filter((m) => !expected(m)).map((m) => m.text), "console errors and warnings").toEqual([]);
    },
    { auto: true },
  ],
});

/**
 * Resolves once React Router has started on the page (its router exists:
 * hydrateRoot has been called, and React replays any click that comes while
 * it finishes). At once on a page that is not React Router's.
 */
export async function scriptsRunning(page: Page) {
  await page.waitForFunction(() => !("__reactRouterContext" in window) || "__reactRouterDataRouter" in window);
}

/** The error answers the running test said it causes (watchResponses, below). */
let expectedErrors: { status: number; method: string; path: RegExp }[] = [];
export { expect };

/**
 * Zero serious or critical accessibility violations on the page as it is
 * now. axe runs as a script inside the page, so with JavaScript off it
 * cannot run; the same server-rendered pages are checked in the JavaScript
 * project.
 */
export async function expectAccessible(page: Page) {
  if (test.info().project.use.javaScriptEnabled === false) return;
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(serious).toEqual([]);
}

export const cartLink = (page: Page) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /^Cart/ });

/** Adds a product from its page and checks where the shopper lands: the same product page, with the notice. */
export async function addToCart(page: Page, slug: string, quantity: number) {
  await page.goto(`/products/${slug}`);
  await page.getByLabel("Quantity").fill(String(quantity));
  await page.getByRole("button", { name: "Add to cart" }).click();
  await expect(page.getByRole("status").filter({ hasText: "to your cart" })).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`/products/${slug}$`));
}

/**
 * The production server's database (playwright.config.ts), opened for a spec
 * file that checks what was written. Every test buys from the same store, so
 * each product's stock is put back after each test as the file found it.
 */
export function storeDatabase(): AppDatabase {
  const db = openDatabase(process.env.E2E_DATABASE_PATH!);
  let found: { id: number; stock: number }[] = [];
  test.beforeAll(() => {
    found = writes(db).stock;
  });
  test.afterEach(() => {
    for (const { id, stock } of found) db.update(products).set({ stock }).where(eq(products.id, id)).run();
  });
  test.afterAll(() => closeDatabase(db));
  return db;
}

export async function fillCheckout(page: Page, email = "ada@example.com") {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Full name").fill("Ada Lovelace");
  await page.getByLabel("Street address").fill("12 St James's Square");
  await page.getByLabel("Town or city").fill("London");
  await page.getByLabel("Postal code").fill("SW1Y 4JH");
  await page.getByLabel("Country").selectOption({ label: "United Kingdom" });
}

/**
 * Records every response the page gets that is an error (4xx/5xx). A test
 * says which ones it causes on purpose with `expect(status, method, path)`;
 * `unexpected()` lists the rest. A page that looks right after a stray 404
 * (a `.data` request for the wrong URL, say) still fails the test. The
 * browser reports each error answer in the console too: the expected ones
 * are no console problem.
 */
export function watchResponses(page: Page) {
  const errors: Response[] = [];
  const allowed: { status: number; method: string; path: RegExp }[] = [];
  page.on("response", (response) => {
    if (response.status() >= 400) errors.push(response);
  });
  return {
    expect(status: number, method: string, path: RegExp) {
      allowed.push({ status, method, path });
      expectedErrors.push({ status, method, path });
    },
    unexpected() {
      return errors
        .filter(
          (r) =>
            !allowed.some(
              (a) => a.status === r.status() && a.method === r.request().method() && a.path.test(new URL(r.url()).pathname),
            ),
        )
        .map((r) => `${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
    },
  };
}

/**
 * The email the shopper got whose subject contains `subject`: read from the
 * inbox the browser tests' SMTP server fills (playwright.config.ts), waiting
 * for the store's sender, which delivers after the page has answered.
 */
export async function emailWith(subject: string, timeoutMs = 15_000): Promise<ReceivedMail> {
  const dir = process.env.E2E_MAIL_DIR!;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const files = existsSync(dir) ? readdirSync(dir).sort() : [];
    for (const file of files) {
      const mail = parseMail(readFileSync(join(dir, file), "utf8"));
      if (mail.headers.subject?.includes(subject)) return mail;
    }
    if (Date.now() > until) throw new Error(`no email with "${subject}" in ${dir} after ${timeoutMs} ms (${files.length} others)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let staffMade = 0;
/**
 * A new account of its own (the specs share the server's database), signed in
 * through the form; the page ends on the dashboard.
 */
export async function signInAsStaff(page: Page, db: AppDatabase, role: "owner" | "staff" = "staff") {
  const info = test.info();
  const email = `${role}-${info.project.name}-${info.parallelIndex}-${Date.now()}-${staffMade++}@example.com`;
  await staffAccount(db, email, role, "a browser test passphrase");
  await page.goto("/admin/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("a browser test passphrase");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  return email;
}

/** No sideways scrolling: the page is no wider than the window (the message names what sticks out). */
export async function expectNoSidewaysScroll(page: Page) {
  const { scroll, width, wide } = await page.evaluate(() => {
    const width = window.innerWidth;
    const wide = [...document.body.querySelectorAll("*")]
      .filter((el) => el.getBoundingClientRect().right > width)
      .slice(0, 3)
      .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")} "${(el.textContent ?? "").trim().slice(0, 40)}"`);
    return { scroll: document.documentElement.scrollWidth, width, wide };
  });
  expect(scroll, `the page's width at ${new URL(page.url()).pathname} (sticking out: ${wide.join("; ")})`).toBeLessThanOrEqual(width);
}

/** The confirm step's opening control: a button with JavaScript, a link without (app/ui/confirm-action.tsx). */
export const confirmTrigger = (page: Page, name: string | RegExp) =>
  page.getByRole("button", { name, exact: true }).or(page.getByRole("link", { name, exact: true }));

/** The question a confirm trigger opened: the dialog (JavaScript) or the region in the page (without). */
export const confirmStep = (page: Page, title: string) =>
  test.info().project.use.javaScriptEnabled !== false ? page.getByRole("dialog", { name: title }) : page.getByRole("region", { name: title });

/**
 * Goes through a confirm step: the trigger opens a dialog (JavaScript) or
 * the same question in the page (`?confirm=`, no JavaScript), titled
 * `title`; then `confirm` is pressed inside it.
 */
export async function confirmAction(page: Page, trigger: string | RegExp, title: string, confirm: string) {
  await confirmTrigger(page, trigger).click();
  const step = confirmStep(page, title);
  await expect(step).toBeVisible();
  if (test.info().project.use.javaScriptEnabled === false) await expect(page).toHaveURL(/[?&]confirm=/);
  await step.getByRole("button", { name: confirm, exact: true }).click();
}

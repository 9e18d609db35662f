// The README's screenshots, made from the real pages: `npm run screenshots`
// (it builds first). Not part of `npm test`. It starts the production build
// on a fresh database with the demo products, places orders with the store's
// own functions (placeOrder, then paid or shipped with moveOrder), signs a
// member of staff in through the form, and writes two PNGs into docs/images/:
// the catalog on a phone (390 × 844) and the dashboard (1280 × 800), each the
// window only, not the whole page, so the files stay small. Chromium as the
// browser tests find it: PLAYWRIGHT_CHROMIUM_PATH, else /usr/bin/chromium,
// else Playwright's own download.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Page } from "@playwright/test";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { newToken, placeOrder } from "#app/shop/orders.server.ts";
import { moveOrder } from "#app/store/order-states.server.ts";
import { ORDER_LIMITS, productBySlug } from "#tests/helpers/db.ts";
import { freePort, startServer, stopServer } from "#tests/helpers/server.ts";
import { staffAccount } from "#tests/helpers/staff.ts";

const ROOT = join(import.meta.dirname, "..");
const OUT = join(ROOT, "docs", "images");
const dir = mkdtempSync(join(tmpdir(), "store-screenshots-"));
const databasePath = join(dir, "store.db");
// The port is known before the store starts, so PUBLIC_URL (its links) can name it.
const port = await freePort();
const baseURL = `http://127.0.0.1:${port}`;
const env = { PORT: String(port), PUBLIC_URL: baseURL, DATABASE_PATH: databasePath, SEED_DEMO_DATA: "true" };
const server = await startServer({ env });

try {
  placeOrders();
  await shoot();
} catch (error) {
  // The store's log (one line per request) is shown only if something fails.
  process.stderr.write(server.output());
  throw error;
} finally {
  await stopServer(server);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A month of trade: orders of several lines through the store's checkout
 * rule, paid or shipped (a sale, for the dashboard), then dated back over the
 * last 30 days so the chart has more than today's bar. The dating is the one
 * thing written by hand: placeOrder always stamps now.
 */
function placeOrders() {
  const db = openDatabase(databasePath);
  try {
    // Demo products (app/db/demo-products.ts), each with stock for a month of these.
    const ids = ["stoneware-mug", "espresso-cup-pair", "pour-over-dripper", "glass-carafe", "tea-tin", "bamboo-tray"].map(
      (slug) => productBySlug(db, slug).id,
    );
    const names = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson", "Edsger Dijkstra", "Barbara Liskov"];
    const dates = db.$client.prepare("UPDATE orders SET created_at = ?, updated_at = ? WHERE number = ?");
    for (let n = 0; n < 42; n++) {
      const cart = [
        { productId: ids[n % ids.length]!, quantity: 1 + (n % 3) },
        ...(n % 2 === 0 ? [{ productId: ids[(n + 2) % ids.length]!, quantity: 1 + ((n * 7) % 2) }] : []),
      ];
      const name = names[n % names.length]!;
      const placed = placeOrder(
        db,
        {
          checkoutToken: newToken(),
          details: {
            email: `${name.split(" ")[0]!.toLowerCase()}@example.com`,
            customerName: name,
            addressLine1: "12 St James's Square",
            addressLine2: "",
            city: "London",
            postalCode: "SW1Y 4JH",
            country: "United Kingdom",
          },
          cart,
        },
        ORDER_LIMITS,
      );
      if (placed.status !== "placed") continue; // sold out: the demo stock is small
      const order = db.$client.prepare("SELECT id FROM orders WHERE number = ?").get(placed.number) as { id: number };
      // Spread back over 30 days, a few a day, more lately; the newest today.
      const daysAgo = Math.floor(((41 - n) * 29) / 41 / (1 + (n % 2) * 0.3));
      const at = Math.floor(Date.now() / 1000) - daysAgo * 86_400 - (n % 5) * 3_600;
      dates.run(at, at, placed.number);
      // One in ten stays "placed" (not a sale yet), so the recent orders show both kinds.
      if (n % 10 === 7) continue;
      moveOrder(db, order.id, ["placed"], "paid");
      if (n < 34) moveOrder(db, order.id, ["paid"], "shipped");
    }
  } finally {
    closeDatabase(db);
  }
}

async function shoot() {
  const executablePath =
    process.env.PLAYWRIGHT_CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);
  const browser = await chromium.launch({
    executablePath,
    args: [...(process.getuid?.() === 0 ? ["--no-sandbox"] : []), "--disable-gpu", "--no-first-run"],
  });
  try {
    mkdirSync(OUT, { recursive: true });
    const phone = await browser.newContext({ baseURL, viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
    const shop = await phone.newPage();
    await shop.goto("/");
    await shop.getByRole("heading", { level: 1 }).waitFor();
    await settle(shop);
    await shop.screenshot({ path: join(OUT, "shop-phone.png") });
    await phone.close();

    const desk = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    const staff = await desk.newPage();
    const db = openDatabase(databasePath);
    try {
      await staffAccount(db, "owner@example.com", "owner", "a screenshot passphrase");
    } finally {
      closeDatabase(db);
    }
    await staff.goto("/admin/sign-in");
    await staff.getByLabel("Email").fill("owner@example.com");
    await staff.getByLabel("Password").fill("a screenshot passphrase");
    await staff.getByRole("button", { name: "Sign in" }).click();
    await staff.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();
    await settle(staff);
    await staff.screenshot({ path: join(OUT, "dashboard.png") });
    await desk.close();
  } finally {
    await browser.close();
  }
  for (const name of ["shop-phone.png", "dashboard.png"]) {
    console.log(`wrote docs/images/${name} (${Math.round(statSync(join(OUT, name)).size / 1024)} kB)`);
  }
}

/** Every image on the page loaded, and no caret or hover state in the picture. */
async function settle(page: Page) {
  await page.waitForLoadState("networkidle");
  await page.evaluate(async () => {
    await Promise.all([...document.images].map((img) => (img.complete ? undefined : img.decode().catch(() => undefined))));
    (document.activeElement as HTMLElement | null)?.blur();
  });
}

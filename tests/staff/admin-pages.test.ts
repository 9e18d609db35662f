// Two staff pages over HTTP, driven as a browser without JavaScript drives
// them (docs/admin.md): the dashboard, whose numbers must follow what
// shoppers and staff do, and "Your account", where a member of staff changes
// their own password. tests/staff/admin-http.test.ts has the rest of the staff side.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { productBySlug, tempDir } from "#tests/helpers/db.ts";
import { startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { shopper, text } from "#tests/helpers/shopper.ts";
import { browser, PASSWORD, staffAccount } from "#tests/helpers/staff.ts";

let server: ServerProcess;
let db: AppDatabase;

beforeAll(async () => {
  const path = join(tempDir("store-admin-pages-"), "store.db");
  server = await startServer({ env: { DATABASE_PATH: path, SEED_DEMO_DATA: "true" } });
  db = openDatabase(path);
});
afterAll(async () => {
  closeDatabase(db);
  if (server) await stopServer(server);
  expect(server?.output() ?? "").not.toMatch(/Error|at \//);
});

/** The page's text, a space between elements. */
const page = (html: string) =>
  text(html.replace(/<script[\s\S]*?<\/script>/g, "").replace(/<[^>]+>/g, " ")).replace(/\s+/g, " ");

describe("the dashboard", () => {
  let staff: ReturnType<typeof browser>;
  beforeAll(async () => {
    await staffAccount(db, "staff@example.com", "staff");
    staff = browser(server.url);
    await staff.signIn("staff@example.com");
  });

  /** What the dashboard shows: orders to ship, and the running-low list as [product id, name, stock text]. */
  async function dashboard() {
    const { status, html } = await staff.get("/admin");
    expect(status).toBe(200);
    const toShip = Number(/Orders to ship<\/h2><p[^>]*>(\d+)<\/p>/.exec(html)?.[1]);
    const card = /Running low \(5 or fewer\)<\/h2>([\s\S]*?)<\/div>/.exec(html)?.[1] ?? "";
    const low = [...card.matchAll(/<a [^>]*href="\/admin\/products\/(\d+)\/stock"[^>]*>([^<]+)<\/a><span[^>]*>([^<]+)<\/span>/g)].map((m) => [
      Number(m[1]),
      m[2],
      m[3],
    ]);
    return { toShip, low, everyoneStocked: page(card).includes("Every product on sale has more than 5 in stock.") };
  }

  async function buy(slug: string, quantity: number) {
    const buyer = shopper(server.url);
    expect((await buyer.addToCart(productBySlug(db, slug), quantity)).status).toBe(302);
    const placed = await buyer.checkout(await buyer.checkoutToken());
    expect(placed.status).toBe(302);
    const publicId = placed.location!.split("/").pop()!;
    return db.$client.prepare("SELECT id FROM orders WHERE public_id = ?").pluck().get(publicId) as number;
  }

  async function adjust(slug: string, delta: number) {
    const reply = await staff.post(`/admin/products/${productBySlug(db, slug).id}/stock`, { delta: String(delta), note: "counted" });
    expect(reply.status).toBe(302);
  }

  it("counts the orders to ship and lists what runs low, lowest first, as shoppers buy and staff ship, cancel, adjust and archive", async () => {
    // The demo catalog: nothing ordered, every product above 5.
    expect(await dashboard()).toEqual({ toShip: 0, low: [], everyoneStocked: true });

    const throws = await buy("wool-throw", 3); // 6 → 3
    const lamps = await buy("desk-lamp", 3); // 8 → 5: on the line, so listed
    const mugs = await buy("stoneware-mug", 1); // 40 → 39
    await adjust("glass-carafe", -15); // 15 → 0
    await adjust("brass-candle-holder", -13); // 16 → 3: as low as the throws, and before them by name
    await adjust("desk-organizer", -4); // 10 → 6: one above the line, not listed
    await adjust("hanging-planter", -12); // 14 → 2, then archived: not for sale, not listed
    const planter = productBySlug(db, "hanging-planter");
    expect((await staff.post(`/admin/products/${planter.id}`, { intent: "archive" })).status).toBe(302);

    const id = (slug: string) => productBySlug(db, slug).id;
    expect(await dashboard()).toEqual({
      toShip: 0,
      low: [
        [id("glass-carafe"), "Glass Carafe", "Sold out"],
        [id("brass-candle-holder"), "Brass Candle Holder", "3 left"],
        [id("wool-throw"), "Wool Throw", "3 left"],
        [id("desk-lamp"), "Adjustable Desk Lamp", "5 left"],
      ],
      everyoneStocked: false,
    });

    // Nothing is paid yet, so nothing is to ship. Two paid by bank
    // transfer, one of them shipped; another cancelled (its lamps back on the shelf).
    expect((await staff.post(`/admin/orders/${throws}`, { intent: "pay", status: "placed" })).status).toBe(302);
    expect((await staff.post(`/admin/orders/${mugs}`, { intent: "pay", status: "placed" })).status).toBe(302);
    expect((await dashboard()).toShip).toBe(2);
    expect((await staff.post(`/admin/orders/${throws}`, { intent: "ship", status: "paid" })).status).toBe(302);
    expect((await staff.post(`/admin/orders/${lamps}`, { intent: "cancel", status: "placed" })).status).toBe(302);
    expect(await dashboard()).toEqual({
      toShip: 1,
      low: [
        [id("glass-carafe"), "Glass Carafe", "Sold out"],
        [id("brass-candle-holder"), "Brass Candle Holder", "3 left"],
        [id("wool-throw"), "Wool Throw", "3 left"],
      ],
      everyoneStocked: false,
    });
  });
});

describe("your account: changing your password", () => {
  const email = "keeper@example.com";
  const next = "a brand new passphrase for keeper";

  it("needs the current password and the new one twice; then the old one is refused, the new one works, and every other session is signed out", async () => {
    await staffAccount(db, email, "staff");
    const here = browser(server.url);
    const elsewhere = browser(server.url);
    await here.signIn(email);
    await elsewhere.signIn(email);
    const account = await here.get("/admin/account");
    expect(account.status).toBe(200);
    expect(page(account.html)).toMatch(/Signed in as keeper@example\.com\s*, staff\./);

    // A wrong current password is a failed sign-in (401, counted by the
    // sign-in limit: docs/security.md); the other mistakes are a plain 400.
    const refusals: [Record<string, string>, string, number][] = [
      [{ current: "not my password", password: next, confirm: next }, "That is not your current password.", 401],
      [{ current: PASSWORD, password: next, confirm: `${next}!` }, "The two new passwords are not the same.", 400],
      [{ current: PASSWORD, password: "too short", confirm: "too short" }, "Use at least 12 characters.", 400],
      [{ current: "", password: next, confirm: next }, "Enter your current password.", 400],
    ];
    for (const [form, message, status] of refusals) {
      const reply = await here.post("/admin/account", form);
      expect(reply.status, message).toBe(status);
      expect(page(reply.html)).toContain(message);
      for (const typed of [form.current, form.password]) if (typed) expect(reply.html, message).not.toContain(typed);
    }
    // Nothing changed: both sessions live, the old password still signs in.
    expect((await elsewhere.get("/admin")).status).toBe(200);
    expect((await browser(server.url).post("/admin/sign-in", { email, password: PASSWORD })).status).toBe(302);

    const changed = await here.post("/admin/account", { current: PASSWORD, password: next, confirm: next });
    expect([changed.status, changed.location]).toEqual([302, "/admin/account"]);
    expect(page((await here.get("/admin/account")).html)).toContain("Password changed. You were signed out everywhere else.");
    expect((await here.get("/admin")).status).toBe(200); // this session goes on
    const signedOut = await elsewhere.get("/admin");
    expect([signedOut.status, signedOut.location]).toEqual([302, "/admin/sign-in"]);

    const old = await browser(server.url).post("/admin/sign-in", { email, password: PASSWORD });
    expect(old.status).toBe(401);
    const fresh = await browser(server.url).post("/admin/sign-in", { email, password: next });
    expect([fresh.status, fresh.location]).toEqual([302, "/admin"]);
  });
});

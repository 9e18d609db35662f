// What the store's log may never hold: anything that identifies a shopper or
// opens their order. Shoppers and staff use the store for real here (orders,
// lookups right and wrong, searches, sign-ins), with values that are easy to
// find, and then the whole log is searched for each of them.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { tempDir } from "#tests/helpers/db.ts";
import { startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { shopper } from "#tests/helpers/shopper.ts";
import { startSmtpSink, type SmtpSink } from "#tests/helpers/smtp.ts";
import { browser, staffAccount } from "#tests/helpers/staff.ts";

let server: ServerProcess;
let db: AppDatabase;
let smtp: SmtpSink;
beforeAll(async () => {
  const path = join(tempDir("store-privacy-"), "store.db");
  // The order's email meets a 451, then a 550 that names the mailbox, as
  // real servers' replies do: the log says what failed, never to whom.
  smtp = await startSmtpSink({ plan: ["temporary", "permanent"] });
  server = await startServer({
    env: { DATABASE_PATH: path, SEED_DEMO_DATA: "true", SMTP_URL: smtp.url, MAIL_FROM: "Shop <shop@example.com>", MAIL_RETRY_BASE_MS: "20" },
  });
  db = openDatabase(path);
  await staffAccount(db, "quartermaster.zed@example.org", "staff");
});
afterAll(async () => {
  closeDatabase(db);
  if (server) await stopServer(server);
  await smtp?.close();
});

const person = {
  email: "ottoline.prewitt@example.net",
  customerName: "Ottoline Prewitt",
  addressLine1: "77 Quillfeather Lane",
  addressLine2: "Flat Zephyr",
  city: "Snodbury",
  postalCode: "QX9 7YZ",
  country: "New Zealand",
};

describe("the log", () => {
  const secrets: Record<string, string> = { ...person };

  beforeAll(async () => {
    const me = shopper(server.url);
    await me.get("/?q=ottoline+birthday+present");
    secrets.search = "ottoline";
    await me.addToCart({ id: 1, slug: "stoneware-mug" }, 1);
    const token = await me.checkoutToken();
    secrets.checkoutToken = token;
    await me.checkout(token, { ...person, email: "not-an-email" }); // refused, with the details echoed on the page
    const placed = await me.checkout(token, person);
    const publicId = placed.location!.split("/").pop()!;
    secrets.publicId = publicId;
    const order = await me.get(placed.location!);
    const number = /Order ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(order.html)![1]!;
    secrets.number = number;
    secrets.cartCookie = me.cookie().split("=")[1]!;
    await me.post("/orders", { number, email: person.email });
    await me.post("/orders", { number, email: "someone.else.entirely@example.com" });
    secrets.wrongEmail = "someone.else.entirely";
    await me.get(`/orders/${publicId}.data`);

    const staff = browser(server.url);
    await staff.post("/admin/sign-in", { email: "quartermaster.zed@example.org", password: "wrong password, twice over" });
    await staff.signIn("quartermaster.zed@example.org");
    secrets.staffEmail = "quartermaster.zed";
    secrets.wrongPassword = "wrong password";
    secrets.staffCookie = staff.staffCookie()!;
    await staff.get("/admin/orders");
    await staff.get(`/admin/orders?status=placed`);
    // The order's email has met both refusals.
    for (let waited = 0; !/\(order_placed\) failed after 2 attempt/.test(server.output()) && waited < 10_000; waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 60_000);

  it("holds a line for each request, naming the route, not the address it was asked for", async () => {
    await expect.poll(() => server.output()).toContain("route=/orders/:publicId");
    const log = server.output();
    expect(log).toMatch(/http method=POST route=\/checkout status=302 ms=\d+/);
    expect(log).toMatch(/http method=POST route=\/orders status=404 ms=\d+/);
    expect(log).toMatch(/http method=GET route=\/orders\/:publicId status=200 ms=\d+ via=data/);
    expect(log).toMatch(/http method=POST route=\/admin\/sign-in status=401 ms=\d+/);
    expect(log).toMatch(/mail: message \d+ \(order_placed\) attempt 1 failed, next in [\d.]+ s: .*451/);
    expect(log).toMatch(/mail: message \d+ \(order_placed\) failed after 2 attempt\(s\), staff can send it again: .*550 .*<address>/);
  });

  it.each(["email", "customerName", "addressLine1", "addressLine2", "city", "postalCode", "country", "search", "checkoutToken", "publicId", "number", "cartCookie", "wrongEmail", "staffEmail", "wrongPassword", "staffCookie"])(
    "never holds the %s",
    (name) => {
      const log = server.output().toLowerCase();
      expect(log).not.toContain(secrets[name]!.toLowerCase());
    },
  );
});

// Per-address limits (app/web/rate-limits.server.ts), with small values so
// a test can reach them and wait them out. Each test plays a client of its
// own through X-Forwarded-For (TRUST_PROXY=1: one proxy in front).
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { tempDir, writes } from "#tests/helpers/db.ts";
import { delay, startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { customer, shopper, text } from "#tests/helpers/shopper.ts";
import { PASSWORD, staffAccount } from "#tests/helpers/staff.ts";

let server: ServerProcess;
let db: AppDatabase;
let address = 0;
/** Form posts per client per 2 s on this server. */
const POSTS = 10;
/** A shopper at an address of their own, as the proxy in front reports it. */
const client = () => {
  const me = shopper(server.url);
  const from = { "X-Forwarded-For": `198.51.100.${++address}` };
  return {
    ...me,
    from,
    get: (path: string) => me.get(path, from),
    post: (path: string, body: Record<string, string>) => me.post(path, body, from),
    head: (path: string) => fetch(`${server.url}${path}`, { method: "HEAD", headers: from }).then((r) => r.status),
  };
};

beforeAll(async () => {
  const path = join(tempDir("store-limits-"), "store.db");
  server = await startServer({
    env: {
      DATABASE_PATH: path,
      SEED_DEMO_DATA: "true",
      TRUST_PROXY: "1",
      RATE_LIMIT_POSTS: `${POSTS}/2`,
      RATE_LIMIT_ORDERS: "2/60",
      RATE_LIMIT_LOOKUP_FAILURES: "3/60",
    },
  });
  db = openDatabase(path);
});
afterAll(async () => {
  closeDatabase(db);
  if (server) await stopServer(server);
});

describe("per-address limits", () => {
  it("answer a burst of form posts with a 429 page that says when to try again, then let the client back in", async () => {
    const me = client();
    const statuses = [];
    for (let i = 0; i < POSTS; i++) statuses.push((await me.post("/cart", { intent: "update", productId: "1", quantity: "1" })).status);
    expect(statuses.every((s) => s === 302 || s === 400)).toBe(true);
    const before = server.output();
    const refused = await me.post("/products/stoneware-mug", { productId: "1", quantity: "1" });
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(text(refused.html)).toContain("Too many requests from your network in a short time. Please wait");
    // The same through React Router's data request (JavaScript on).
    expect((await me.post("/products/stoneware-mug.data", { productId: "1", quantity: "1" })).status).toBe(429);
    // One log line per refused post, saying why, and never the address.
    await expect.poll(() => server.output().slice(before.length).match(/status=429 .*refused="over the form post limit"/g)?.length).toBe(2);
    const logged = server.output().slice(before.length);
    expect(logged).toContain('http method=POST route=/products/:slug status=429');
    expect(logged).not.toContain(me.from["X-Forwarded-For"]);

    await delay(2_200);
    expect((await me.post("/products/stoneware-mug", { productId: "1", quantity: "1" })).status).toBe(302);
  });

  it("count orders placed, not checkout forms sent back with mistakes", async () => {
    const me = client();
    const order = async ({ withMistakeFirst }: { withMistakeFirst: boolean }) => {
      await me.post("/products/stoneware-mug", { productId: "1", quantity: "1" });
      const page = await me.get("/checkout");
      const token = /name="checkoutToken" value="([\w-]{22})"/.exec(page.html)![1]!;
      if (withMistakeFirst) expect((await me.post("/checkout", { ...customer, email: "", checkoutToken: token })).status).toBe(400);
      return me.post("/checkout", { ...customer, checkoutToken: token });
    };
    // Two orders, each after a form sent back once: the mistakes do not count.
    expect((await order({ withMistakeFirst: true })).status).toBe(302);
    expect((await order({ withMistakeFirst: true })).status).toBe(302);
    const orders = writes(db).orders.length;
    const third = await order({ withMistakeFirst: false });
    expect(third.status).toBe(429);
    expect(writes(db).orders).toHaveLength(orders);
  });

  it("count only lookups that found nothing: guessed numbers and guessed order addresses", async () => {
    const me = client();
    await me.post("/products/stoneware-mug", { productId: "1", quantity: "1" });
    const page = await me.get("/checkout");
    const token = /name="checkoutToken" value="([\w-]{22})"/.exec(page.html)![1]!;
    const placed = await me.post("/checkout", { ...customer, checkoutToken: token });
    // Looking at one's own order again and again is never limited.
    for (let i = 0; i < 5; i++) expect((await me.get(placed.location!)).status).toBe(200);

    expect((await me.post("/orders", { number: "ABCD-EFGH", email: customer.email })).status).toBe(404);
    expect((await me.post("/orders", { number: "ABCD-EFGJ", email: customer.email })).status).toBe(404);
    expect((await me.get("/orders/AAAAAAAAAAAAAAAAAAAAAA")).status).toBe(404);
    // Three misses: now even a right guess is refused until the window ends.
    expect((await me.get(placed.location!)).status).toBe(429);
    expect((await me.post("/orders", { number: "ABCD-EFGK", email: customer.email })).status).toBe(429);
  });
});

describe("the path a limit counts", () => {
  // React Router matches paths ignoring case, %-escapes, a trailing slash
  // and its own .data suffix: a limit that did not would be a way around it.
  it("counts failed sign-ins however the sign-in path is written", async () => {
    await staffAccount(db, "limits@example.com", "staff");
    const me = client();
    const variants = ["/admin/sign-in", "/admin/Sign-In", "/admin/sign-in/", "/admin/sign-in/_.data", "/admin/sign-%69n", "/admin/sign-in.data"];
    // Five posts per 2 s window: under this server's general form-post limit,
    // so every 429 below is the sign-in limit's (its own message says so).
    for (let i = 0; i < 10; i++) {
      if (i === 5) await delay(2_100);
      const reply = await me.post(variants[i % variants.length]!, { email: "limits@example.com", password: `guess ${i}` });
      expect(reply.status, variants[i % variants.length]).toBe(401);
    }
    await delay(2_100);
    for (const path of variants) {
      const reply = await me.post(path, { email: "limits@example.com", password: PASSWORD });
      expect(reply.status, path).toBe(429);
      expect(reply.html, path).toContain("Too many failed sign-ins from your network");
    }
  });

  it("counts order lookups however the order's path is written, and HEAD like GET", async () => {
    const me = client();
    expect((await me.get("/Orders/AAAAAAAAAAAAAAAAAAAAAA")).status).toBe(404);
    expect((await me.get("/orders/AAAAAAAAAAAAAAAAAAAAAB/")).status).toBe(404);
    expect(await me.head("/orders/AAAAAAAAAAAAAAAAAAAAAC")).toBe(404);
    expect((await me.get("/orders/AAAAAAAAAAAAAAAAAAAAAD")).status).toBe(429);
  });

  it("counts orders however the checkout path is written", async () => {
    const me = client();
    const order = async (path: string) => {
      await me.post("/products/stoneware-mug", { productId: "1", quantity: "1" });
      const token = /name="checkoutToken" value="([\w-]{22})"/.exec((await me.get("/checkout")).html)![1]!;
      return me.post(path, { ...customer, checkoutToken: token });
    };
    expect((await order("/CHECKOUT")).status).toBe(302);
    expect((await order("/checkout/")).status).toBe(302);
    expect((await order("/checkout")).status).toBe(429);
  });
});

describe("the client's address", () => {
  it("comes from X-Forwarded-For only when TRUST_PROXY says a proxy sets it", async () => {
    const direct = await startServer({
      env: { DATABASE_PATH: join(tempDir("store-limits-"), "store.db"), SEED_DEMO_DATA: "true", RATE_LIMIT_POSTS: "3/60" },
    });
    try {
      // Without TRUST_PROXY, a client that changes the header is still one client.
      const me = shopper(direct.url);
      const statuses = [];
      for (let i = 0; i < 5; i++) {
        statuses.push((await me.post("/cart", { intent: "update", productId: "1", quantity: "1" }, { "X-Forwarded-For": `192.0.2.${i}` })).status);
      }
      expect(statuses.slice(3)).toEqual([429, 429]);
    } finally {
      await stopServer(direct);
    }
    // With TRUST_PROXY=1 (above), two addresses are two clients.
    const first = client();
    const second = client();
    for (let i = 0; i < POSTS; i++) await first.post("/cart", { intent: "update", productId: "1", quantity: "1" });
    expect((await first.post("/cart", { intent: "update", productId: "1", quantity: "1" })).status).toBe(429);
    expect((await second.post("/cart", { intent: "update", productId: "1", quantity: "1" })).status).not.toBe(429);
  });
});

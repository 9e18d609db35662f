// What each per-address limit counts, however a client writes the path.
// React Router resolves a request's URL with the URL parser (`.` and `..`
// segments, raw or %-escaped in any case), then drops its own `.data`
// suffix and matches the rest ignoring letter case and trailing slashes.
// A limit that read the path any other way could be walked around: the
// right password through `/admin/./sign-in` after the plain path said 429.
// So every limited action goes through every variant here, and each must
// count against the same bucket as the plain path, in both directions.
//
// Raw HTTP: fetch would resolve the dot segments before sending them.
// Each test is a client of its own (X-Forwarded-For, with TRUST_PROXY=1).
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { setStock, tempDir } from "#tests/helpers/db.ts";
import { rawRequest } from "#tests/helpers/raw-http.ts";
import { startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { customer, shopper } from "#tests/helpers/shopper.ts";
import { browser, PASSWORD, staffAccount } from "#tests/helpers/staff.ts";

/** The limits on this server: small, so a test reaches them in a few requests. */
const LIMITS = { posts: 8, orders: 1, lookups: 2, signIns: 2 };
const STAFF = "paths@example.com";

let server: ServerProcess;
let db: AppDatabase;
let port = 0;
let address = 0;
/** A client address of its own, as the proxy in front reports it. */
const newClient = () => `198.51.100.${++address}`;

/** An order placed in beforeAll, to look up and open through the variants. */
const order = { number: "", publicId: "" };

beforeAll(async () => {
  const path = join(tempDir("store-paths-"), "store.db");
  server = await startServer({
    env: {
      DATABASE_PATH: path,
      SEED_DEMO_DATA: "true",
      TRUST_PROXY: "1",
      RATE_LIMIT_POSTS: `${LIMITS.posts}/600`,
      RATE_LIMIT_ORDERS: `${LIMITS.orders}/600`,
      RATE_LIMIT_LOOKUP_FAILURES: `${LIMITS.lookups}/600`,
      RATE_LIMIT_SIGN_IN_FAILURES: `${LIMITS.signIns}/600`,
    },
  });
  port = Number(new URL(server.url).port);
  db = openDatabase(path);
  setStock(db, "stoneware-mug", 10_000);
  await staffAccount(db, STAFF, "staff");
  const placed = await placeOrder("/checkout", newClient());
  expect(placed.status).toBe(302);
  order.publicId = /\/orders\/([\w-]+)/.exec(placed.head)![1]!;
  const page = await shopper(server.url).get(`/orders/${order.publicId}`, { "X-Forwarded-For": newClient() });
  order.number = /Order ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(page.html)![1]!;
});
afterAll(async () => {
  closeDatabase(db);
  if (server) await stopServer(server);
});

/** Sends a request exactly as written, from `from`; resolves with the whole answer. */
async function send(method: string, target: string, from: string, options: { form?: Record<string, string>; cookie?: string } = {}) {
  const body = options.form ? new URLSearchParams(options.form).toString() : "";
  const lines = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, `X-Forwarded-For: ${from}`, "Connection: close"];
  if (options.cookie) lines.push(`Cookie: ${options.cookie}`);
  if (method === "POST") {
    lines.push(`Origin: http://127.0.0.1:${port}`, "Content-Type: application/x-www-form-urlencoded", `Content-Length: ${Buffer.byteLength(body)}`);
  }
  const reply = await rawRequest(port, `${lines.join("\r\n")}\r\n\r\n${body}`);
  if ("error" in reply) throw new Error(`${method} ${target}: ${reply.error}`);
  return reply;
}

/** A cart with a mug and the checkout page's token, for a shopper at `from`; then the order posted to `target`. */
async function placeOrder(target: string, from: string) {
  const me = shopper(server.url);
  const headers = { "X-Forwarded-For": from };
  expect((await me.post("/products/stoneware-mug", { productId: "1", quantity: "1" }, headers)).status).toBe(302);
  const token = /name="checkoutToken" value="([\w-]{22})"/.exec((await me.get("/checkout", headers)).html)![1]!;
  return send("POST", target, from, { form: { ...customer, checkoutToken: token }, cookie: me.cookie() });
}

const ordersPlaced = () => db.$client.prepare("SELECT count(*) AS n FROM orders").get() as { n: number };
const staffCookie = (head: string) => /\r\nset-cookie: __store_staff=[^;]/i.test(head);

/** Puts `what` in front of the path's last segment: `/orders/<id>` becomes `/orders/<what><id>`. */
const beforeLast = (what: string) => (path: string) => path.replace(/[^/]*$/, `${what}$&`);

/** Ways of writing a path that React Router resolves to the same route. */
const VARIANTS: [string, (path: string) => string][] = [
  ["as it is", (p) => p],
  ["/./ in front", (p) => `/.${p}`],
  ["./ before the last segment", beforeLast("./")],
  ["%2e/ before the last segment", beforeLast("%2e/")],
  ["%2E/ before the last segment", beforeLast("%2E/")],
  ["/x/../ in front", (p) => `/x/..${p}`],
  ["x/%2E%2E/ before the last segment", beforeLast("x/%2E%2E/")],
  ["x/.%2e/ before the last segment", beforeLast("x/.%2e/")],
  ["a trailing /", (p) => `${p}/`],
  ["a trailing //", (p) => `${p}//`],
  ["a trailing /.", (p) => `${p}/.`],
  ["a trailing /%2E", (p) => `${p}/%2E`],
  [".data", (p) => `${p}.data`],
  ["/_.data", (p) => `${p}/_.data`],
  ["upper case", (p) => p.toUpperCase()],
  ["a %-escaped letter", (p) => p.replace(/[a-z](?=[^/]*$)/i, (c) => `%${c.charCodeAt(0).toString(16)}`)],
  ["?index", (p) => `${p}?index`],
  // The URL parser reads a backslash as a slash.
  ["/x\\..\\ in front", (p) => `/x\\..\\${p.slice(1)}`],
];

type Action = {
  name: string;
  /** The path as the store's own pages write it. */
  path: string;
  limit: number;
  /** One count against the limit through `target`; asserts that it reached the route and counted. */
  spend: (target: string, from: string) => Promise<void>;
  /** The action done right through `target`, once the bucket is empty: refused with a 429, nothing done. */
  refused: (target: string, from: string) => Promise<void>;
};

const ACTIONS: Action[] = [
  {
    name: "a failed sign-in",
    path: "/admin/sign-in",
    limit: LIMITS.signIns,
    async spend(target, from) {
      const reply = await send("POST", target, from, { form: { email: STAFF, password: "not the password" } });
      expect(reply.status, target).toBe(401);
    },
    async refused(target, from) {
      const reply = await send("POST", target, from, { form: { email: STAFF, password: PASSWORD } });
      expect(reply.status, target).toBe(429);
      expect(staffCookie(reply.head), target).toBe(false);
    },
  },
  {
    name: "an order placed",
    path: "/checkout",
    limit: LIMITS.orders,
    async spend(target, from) {
      const before = ordersPlaced().n;
      const reply = await placeOrder(target, from);
      // 302 for a page, 202 for React Router's data request (the redirect is in its body).
      expect([302, 202], target).toContain(reply.status);
      expect(ordersPlaced().n, target).toBe(before + 1);
    },
    async refused(target, from) {
      const before = ordersPlaced().n;
      expect((await placeOrder(target, from)).status, target).toBe(429);
      expect(ordersPlaced().n, target).toBe(before);
    },
  },
  {
    name: "a lookup that found nothing",
    path: "/orders",
    limit: LIMITS.lookups,
    async spend(target, from) {
      const reply = await send("POST", target, from, { form: { number: "ZZZZ-ZZZZ", email: customer.email } });
      expect(reply.status, target).toBe(404);
    },
    async refused(target, from) {
      const reply = await send("POST", target, from, { form: { number: order.number, email: customer.email } });
      expect(reply.status, target).toBe(429);
    },
  },
  {
    name: "a guessed order address",
    path: "/orders/AAAAAAAAAAAAAAAAAAAAAA",
    limit: LIMITS.lookups,
    async spend(target, from) {
      expect((await send("GET", target, from)).status, target).toBe(404);
    },
    async refused(target, from) {
      // The real order's address, written the same way (its id is case-sensitive).
      const real = target.replace(/(?:%41|A)A{21}/i, order.publicId);
      expect((await send("GET", real, from)).status, real).toBe(429);
    },
  },
  {
    name: "a form post",
    path: "/cart",
    limit: LIMITS.posts,
    async spend(target, from) {
      const reply = await send("POST", target, from, { form: { intent: "remove", productId: "1" } });
      expect([302, 202], target).toContain(reply.status);
    },
    async refused(target, from) {
      const reply = await send("POST", target, from, { form: { intent: "remove", productId: "1" } });
      expect(reply.status, target).toBe(429);
    },
  },
];

describe.each(ACTIONS)("$name", (action) => {
  it.each(VARIANTS)("counts the same through %s", async (_name, write) => {
    const variant = write(action.path);
    // Spent through the variant: the plain path is refused...
    const first = newClient();
    for (let i = 0; i < action.limit; i++) await action.spend(variant, first);
    await action.refused(action.path, first);
    // ...and spent through the plain path: the variant is refused.
    const second = newClient();
    for (let i = 0; i < action.limit; i++) await action.spend(action.path, second);
    await action.refused(variant, second);
  });
});

describe("paths React Router matches to no route", () => {
  // Under /admin an unknown address reaches the staff layout's 404, which sits
  // behind the sign-in check: the visitor is sent to sign in. Outside it, the
  // shop's 404. Neither reads the password.
  it.each([
    ["/admin//sign-in", 302],
    ["/admin/sign-in%2f", 302],
    ["//admin/sign-in", 404],
  ] as const)("%s checks no password", async (target, status) => {
    const reply = await send("POST", target, newClient(), { form: { email: STAFF, password: PASSWORD } });
    expect(reply.status, target).toBe(status);
    if (status === 302) expect(reply.head, target).toMatch(/\r\nlocation: \/admin\/sign-in\?/i);
    expect(staffCookie(reply.head)).toBe(false);
  });
});

describe("the account page", () => {
  it("counts a wrong current password as a failed sign-in, and refuses the right one once the limit is spent", async () => {
    const from = { "X-Forwarded-For": newClient() };
    const staff = browser(server.url);
    expect((await staff.post("/admin/sign-in", { email: STAFF, password: PASSWORD }, from)).status).toBe(302);
    const change = (current: string) =>
      staff.post("/admin/account", { current, password: "a brand new passphrase", confirm: "a brand new passphrase" }, from);
    for (let i = 0; i < LIMITS.signIns; i++) {
      const wrong = await change(`wrong guess ${i}`);
      expect(wrong.status).toBe(401);
      expect(wrong.html).toContain("That is not your current password.");
    }
    // The sign-in page shares the bucket: the right password is refused there...
    const elsewhere = browser(server.url);
    const signIn = await elsewhere.post("/admin/sign-in", { email: STAFF, password: PASSWORD }, from);
    expect(signIn.status).toBe(429);
    expect(elsewhere.staffCookie()).toBeUndefined();
    // ...and on the account page, without the password being checked or changed.
    const right = await change(PASSWORD);
    expect(right.status).toBe(429);
    expect(right.html).toContain("Too many failed sign-ins from your network");
    expect((await browser(server.url).post("/admin/sign-in", { email: STAFF, password: PASSWORD }, { "X-Forwarded-For": newClient() })).status).toBe(302);
  });
});

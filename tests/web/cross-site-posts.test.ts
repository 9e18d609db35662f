// A form post the browser says came from another site is refused before any
// action runs (app/web/requests.server.ts, refuseCrossOrigin): a foreign
// or `null` Origin, `Sec-Fetch-Site: cross-site`, or, with no Origin at all,
// a foreign Referer. The store's own pages pass, and so does a client that
// sends none of these (not a browser, so no cookie a page elsewhere could
// borrow). Staff posts with a signed-in session, stock changes that would
// show in the database, raw HTTP so each header is exactly as written.
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { products } from "#app/db/schema.ts";
import { tempDir } from "#tests/helpers/db.ts";
import { rawRequest } from "#tests/helpers/raw-http.ts";
import { delay, startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { browser, staffAccount } from "#tests/helpers/staff.ts";

let server: ServerProcess;
let db: AppDatabase;
let port = 0;
let own = "";
let cookie = "";

beforeAll(async () => {
  const path = join(tempDir("store-cross-site-"), "store.db");
  server = await startServer({ env: { DATABASE_PATH: path, SEED_DEMO_DATA: "true" } });
  port = Number(new URL(server.url).port);
  own = `http://127.0.0.1:${port}`;
  db = openDatabase(path);
  await staffAccount(db, "clerk@example.com", "staff");
  const staff = browser(server.url);
  await staff.signIn("clerk@example.com");
  cookie = `__store_staff=${staff.staffCookie()}`;
  // Its log line first, so each test below reads only its own.
  while (!server.output().includes("route=/admin/sign-in status=302")) await delay(20);
});
afterAll(async () => {
  closeDatabase(db);
  if (server) await stopServer(server);
});

const stock = () => db.select({ stock: products.stock }).from(products).where(eq(products.id, 1)).get()!.stock;

/** Adds one to product 1's stock with the staff session, with `headers` as the only evidence of where the form came from. */
async function adjust(headers: Record<string, string>) {
  const body = new URLSearchParams({ delta: "1", note: "cross-site test" }).toString();
  const lines = [
    "POST /admin/products/1/stock HTTP/1.1",
    `Host: 127.0.0.1:${port}`,
    `Cookie: ${cookie}`,
    "Content-Type: application/x-www-form-urlencoded",
    `Content-Length: ${body.length}`,
    "Connection: close",
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  const before = stock();
  const logged = server.output().length;
  const reply = await rawRequest(port, `${lines.join("\r\n")}\r\n\r\n${body}`);
  if ("error" in reply) throw new Error(reply.error);
  await expect.poll(() => server.output().length).toBeGreaterThan(logged);
  return { status: reply.status, body: reply.body, written: stock() - before, log: server.output().slice(logged) };
}

describe("a staff form post", () => {
  it.each([
    ["a foreign Origin", { Origin: "https://evil.example" }, "a form post from another origin"],
    ["a null Origin", { Origin: "null" }, "a form post from another origin"],
    ["Sec-Fetch-Site: cross-site, no Origin", { "Sec-Fetch-Site": "cross-site" }, "a form post from another site"],
    ["Sec-Fetch-Site: cross-site, the store's Origin", { "Sec-Fetch-Site": "cross-site", Origin: "" }, "a form post from another site"],
    ["a foreign Referer, no Origin", { Referer: "https://evil.example/page" }, "a form post referred by another origin"],
    ["a Referer on another port, no Origin", { Referer: "http://127.0.0.1:1/admin" }, "a form post referred by another origin"],
    ["a Referer that is no URL, no Origin", { Referer: "nonsense" }, "a form post referred by another origin"],
  ])("with %s is refused with a 400 that says why, one log line, nothing written", async (_name, given, reason) => {
    const headers = Object.fromEntries(Object.entries(given).map(([name, value]) => [name, value || own]));
    const reply = await adjust(headers);
    expect(reply.status).toBe(400);
    expect(reply.body).toContain("this form was sent from another site, so the store did not accept it");
    expect(reply.written).toBe(0);
    expect(reply.log.trim().split("\n")).toHaveLength(1);
    expect(reply.log).toContain(`http method=POST route=/admin status=400`);
    expect(reply.log).toContain(`refused="${reason}"`);
  });

  it.each([
    ["the store's Origin", { Origin: "" }],
    ["the store's Origin and Sec-Fetch-Site: same-origin", { Origin: "", "Sec-Fetch-Site": "same-origin" }],
    ["Sec-Fetch-Site: same-origin, no Origin", { "Sec-Fetch-Site": "same-origin" }],
    ["Sec-Fetch-Site: same-site, no Origin", { "Sec-Fetch-Site": "same-site" }],
    ["Sec-Fetch-Site: none, no Origin", { "Sec-Fetch-Site": "none" }],
    ["the store's Referer, no Origin", { Referer: "/admin/products/1/stock" }],
    ["nothing at all (not a browser)", {}],
  ])("with %s is accepted", async (_name, given) => {
    const headers = Object.fromEntries(Object.entries(given).map(([name, value]) => [name, value.startsWith("/") ? own + value : value || own]));
    const reply = await adjust(headers);
    expect(reply.status).toBe(302);
    expect(reply.written).toBe(1);
  });
});

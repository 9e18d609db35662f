// An answer sent before the request's body was read (a rate limit's 429, a
// refused origin, a 404, a redirect to sign in...) must not wedge the
// connection: a browser sends its next request on the same keep-alive
// connection, and it must be answered. The store reads the rest of the body
// and drops it (app/web/unread-body.server.ts).
// Raw sockets, one connection per case: the early answer, then a plain GET.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { tempDir } from "#tests/helpers/db.ts";
import { keepAliveConnection } from "#tests/helpers/raw-http.ts";
import { startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { browser, staffAccount } from "#tests/helpers/staff.ts";

let server: ServerProcess;
let db: AppDatabase;
let port = 0;
let own = "";
let staffCookie = "";
/** The client address whose form posts are all spent (RATE_LIMIT_POSTS). */
const LIMITED = "198.51.100.7";

beforeAll(async () => {
  const path = join(tempDir("store-early-"), "store.db");
  server = await startServer({ env: { DATABASE_PATH: path, SEED_DEMO_DATA: "true", TRUST_PROXY: "1", RATE_LIMIT_POSTS: "1/600" } });
  port = Number(new URL(server.url).port);
  own = `http://127.0.0.1:${port}`;
  db = openDatabase(path);
  await staffAccount(db, "clerk@example.com", "staff");
  const staff = browser(server.url);
  await staff.signIn("clerk@example.com");
  staffCookie = `__store_staff=${staff.staffCookie()}`;
  await fetch(`${server.url}/cart`, { method: "POST", headers: { Origin: server.url, "X-Forwarded-For": LIMITED } });
});
afterAll(async () => {
  closeDatabase(db);
  if (server) await stopServer(server);
});

let clients = 10;

/** A request of `bytes` bytes of body (a cart form padded out), from a client of its own. */
function request(target: string, bytes: number, headers: Record<string, string> = {}) {
  const body = Buffer.from(`intent=remove&productId=1&pad=`.padEnd(bytes, "x"));
  const all = {
    Host: `127.0.0.1:${port}`,
    Origin: own,
    "X-Forwarded-For": `198.51.100.${++clients}`,
    "Content-Type": "application/x-www-form-urlencoded",
    "Content-Length": String(body.length),
    ...headers,
  };
  const head = `${target} HTTP/1.1\r\n${Object.entries(all).map(([name, value]) => `${name}: ${value}`).join("\r\n")}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), body]);
}
/** What a browser sends next on the same connection. */
const nextRequest = () => `GET /health/live HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;

/** What is sent, and the answer to a small body and to a 300 kB one. */
const CASES: [string, string, Record<string, string>, number, number][] = [
  ["over the form post limit", "POST /cart", { "X-Forwarded-For": LIMITED }, 429, 429],
  ["from another origin", "POST /cart", { Origin: "https://evil.example" }, 400, 400],
  ["a staff member on the owner's page", "POST /admin/staff", { Cookie: "staff" }, 403, 403],
  ["no such page", "POST /no-such-page", {}, 404, 404],
  ["a page without a form (React Router)", "POST /", {}, 405, 405],
  ["a method the store does not serve (Express)", "PUT /cart", {}, 405, 405],
  // Store forms are at most 16 kB: the small one is a real cart form.
  ["a form, too large when 300 kB", "POST /cart", {}, 302, 413],
  ["not a form (its size is checked first)", "POST /cart", { "Content-Type": "application/json" }, 415, 413],
  ["a staff page, signed out", "POST /admin/products/new", {}, 302, 302],
];

describe("an answer sent before the body was read", () => {
  it.each(CASES)("(%s) leaves the connection answering the next request", async (_name, target, headers, small, big) => {
    const given = headers.Cookie ? { ...headers, Cookie: staffCookie } : headers;
    for (const [bytes, status] of [[200, small], [300 * 1024, big]] as const) {
      const connection = await keepAliveConnection(port);
      try {
        const first = await connection.request(request(target, bytes, given));
        expect("status" in first ? first.status : first.error, `${bytes} bytes`).toBe(status);
        const next = await connection.request(nextRequest());
        expect("status" in next ? next.status : next.error, `after ${bytes} bytes`).toBe(200);
      } finally {
        connection.close();
      }
    }
  });

  it("reads a body larger than any form the store takes to its end too (6 MB), and answers the next request", async () => {
    const connection = await keepAliveConnection(port);
    try {
      const first = await connection.request(request("POST /no-such-page", 6 * 1024 * 1024), 30_000);
      expect("status" in first ? first.status : first.error).toBe(404);
      const next = await connection.request(nextRequest(), 30_000);
      expect("status" in next ? next.status : next.error).toBe(200);
    } finally {
      connection.close();
    }
  });
});

// Absolute links the store hands out (a staff sign-in link on the owner's
// page, the CLI's output) are built from PUBLIC_URL, never from the request:
// a forged Host (or X-Forwarded-Host through a trusting proxy) must not turn
// an owner's page into a link to someone else's site (issue 22, finding 7).
import { request } from "node:http";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { staff } from "#app/db/schema.ts";
import { tempDir } from "#tests/helpers/db.ts";
import { runCliInProcess } from "#tests/helpers/cli.ts";
import { delay, spawnServer, startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { browser, staffAccount } from "#tests/helpers/staff.ts";

const PUBLIC_URL = "https://shop.example:8443";
const FORGED = "attacker.example";
const LINK = /(https?:\/\/[^\s"<]*?)(\/admin\/welcome\/[\w-]{43})/g;

/** A form post to the server with the Host and other headers a browser would not let a page choose. */
function forgedPost(server: ServerProcess, path: string, form: Record<string, string>, headers: Record<string, string>) {
  const { hostname, port } = new URL(server.url);
  const body = new URLSearchParams(form).toString();
  return new Promise<{ status: number; html: string }>((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        path,
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": Buffer.byteLength(body), ...headers },
      },
      (res) => {
        let html = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (html += chunk));
        res.on("end", () => resolve({ status: res.statusCode!, html }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("the owner's staff page", () => {
  let server: ServerProcess;
  let db: AppDatabase;
  let cookie: string;

  beforeAll(async () => {
    const path = join(tempDir("store-links-"), "store.db");
    // TRUST_PROXY=1: X-Forwarded-Host is believed too, as behind a proxy that passes it on.
    server = await startServer({ env: { DATABASE_PATH: path, PUBLIC_URL, TRUST_PROXY: "1" } });
    db = openDatabase(path);
    await staffAccount(db, "owner@example.com", "owner");
    const owner = browser(server.url);
    await owner.signIn("owner@example.com");
    cookie = `__store_staff=${owner.staffCookie()}`;
  });
  afterAll(async () => {
    closeDatabase(db);
    if (server) await stopServer(server);
  });

  it.each([
    ["a forged Host", { Host: FORGED, Origin: `http://${FORGED}` }],
    // With its port: React Router's adapter would otherwise take the Host's.
    ["a forged X-Forwarded-Host and -Proto", { "X-Forwarded-Host": `${FORGED}:443`, "X-Forwarded-Proto": "https", Origin: `https://${FORGED}` }],
  ])("shows sign-in links on PUBLIC_URL, whatever %s says", async (_name, headers) => {
    const email = `clerk-${Math.random().toString(36).slice(2)}@example.com`;
    const created = await forgedPost(server, "/admin/staff", { intent: "create", email, role: "staff" }, { Cookie: cookie, ...headers });
    expect(created.status, created.html).toBe(200);
    // Every link on the page (the field, and the data React reads it from) starts with PUBLIC_URL.
    const links = [...created.html.matchAll(LINK)];
    expect(new Set(links.map((m) => m[1]))).toEqual(new Set([PUBLIC_URL]));
    expect(created.html).not.toContain(FORGED);

    // "New sign-in link" for the same person: the same rule.
    const id = String(db.select({ id: staff.id, email: staff.email }).from(staff).all().find((s) => s.email === email)!.id);
    const again = await forgedPost(server, "/admin/staff", { intent: "link", staffId: id }, { Cookie: cookie, ...headers });
    expect(again.status).toBe(200);
    expect(new Set([...again.html.matchAll(LINK)].map((m) => m[1]))).toEqual(new Set([PUBLIC_URL]));
    expect(again.html).not.toContain(FORGED);
  });
});

describe("the CLI", () => {
  it("prints links on PUBLIC_URL (its port included, a trailing slash dropped), for a new account and a new link", async () => {
    const path = join(tempDir("store-links-cli-"), "store.db");
    const env = { DATABASE_PATH: path, PUBLIC_URL: `${PUBLIC_URL}/` };
    expect((await runCliInProcess(["migrate"], { env })).code).toBe(0);
    const created = await runCliInProcess(["staff", "create", "--email", "owner@example.com", "--role", "owner"], { env });
    expect(created.code, created.output).toBe(0);
    expect([...created.output.matchAll(LINK)].map((m) => m[1])).toEqual([PUBLIC_URL]);
    const link = await runCliInProcess(["staff", "link", "--email", "owner@example.com"], { env });
    expect(link.code, link.output).toBe(0);
    expect([...link.output.matchAll(LINK)].map((m) => m[1])).toEqual([PUBLIC_URL]);
    expect(created.output + link.output).not.toContain("localhost");
  });

  it("in production without PUBLIC_URL, refuses to make a link before creating anything; migrate needs none", async () => {
    const path = join(tempDir("store-links-cli-"), "store.db");
    const env = { DATABASE_PATH: path, PUBLIC_URL: "" };
    expect((await runCliInProcess(["migrate"], { env })).code).toBe(0);
    const created = await runCliInProcess(["staff", "create", "--email", "owner@example.com", "--role", "owner"], { env });
    expect(created.code).toBe(1);
    expect(created.output.trim()).toBe(
      "staff failed: Invalid environment: PUBLIC_URL is required in production: the address people use to reach the store, like https://shop.example.com",
    );
    const db = openDatabase(path);
    try {
      expect(db.select().from(staff).all()).toEqual([]);
    } finally {
      closeDatabase(db);
    }
  });
});

describe("startup", () => {
  it.each([
    ["missing", "", "PUBLIC_URL is required in production: the address people use to reach the store, like https://shop.example.com"],
    ["a path", "https://shop.example.com/store", "PUBLIC_URL must be the store's address: http(s)://host[:port], with no path, query or fragment"],
    ["no scheme", "shop.example.com", "PUBLIC_URL must be the store's address: http(s)://host[:port], with no path, query or fragment"],
  ])("refuses a production server with PUBLIC_URL %s: one line, exit 1, nothing opened", async (_name, value, message) => {
    const dir = tempDir("store-links-start-");
    const started = spawnServer({ env: { DATABASE_PATH: join(dir, "store.db"), PUBLIC_URL: value } });
    const code = await Promise.race([started.exited, delay(15_000).then(() => "still running")]);
    if (started.child.exitCode === null) started.child.kill("SIGKILL");
    expect(code).toBe(1);
    expect(started.output().trim()).toBe(`[store] Invalid environment: ${message}`);
    expect(existsSync(join(dir, "store.db"))).toBe(false);
  });
});

// Who may do what under /admin, asked of a real production server over HTTP:
// every staff route, read and posted to, as a page and as React Router's
// `.data` request, by nobody, by staff and by the owner.
//
// The matrix below must name every /admin route in app/routes.ts. Add a
// route without a row and the first test fails; add a row that claims
// protection the route does not have and the second one does.
import { join } from "node:path";
import type { RouteConfigEntry } from "@react-router/dev/routes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { migrate, MIGRATIONS_FOLDER } from "#app/db/migrator.server.ts";
import { seedDemoProducts } from "#app/db/seed.server.ts";
import { newToken, placeOrder } from "#app/shop/orders.server.ts";
import routes from "#app/routes.ts";
import { tempDir, ORDER_LIMITS } from "#tests/helpers/db.ts";
import { startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { customer } from "#tests/helpers/shopper.ts";
import { browser, staffAccount } from "#tests/helpers/staff.ts";

type Access = "public" | "staff" | "owner";
/** For each /admin route: who may use it, and what a permitted GET and an empty POST get. */
const MATRIX: Record<string, { access: Access; get: number; post: number }> = {
  "admin/sign-in": { access: "public", get: 200, post: 400 },
  "admin/welcome/:token": { access: "public", get: 404, post: 400 },
  admin: { access: "staff", get: 200, post: 400 },
  "admin/sign-out": { access: "staff", get: 302, post: 302 },
  "admin/account": { access: "staff", get: 200, post: 400 },
  "admin/products": { access: "staff", get: 200, post: 405 },
  "admin/products/new": { access: "staff", get: 200, post: 400 },
  "admin/products/:productId": { access: "staff", get: 200, post: 400 },
  "admin/products/:productId/stock": { access: "staff", get: 200, post: 400 },
  "admin/orders": { access: "staff", get: 200, post: 405 },
  "admin/orders/:orderId": { access: "staff", get: 200, post: 400 },
  "admin/orders/:orderId/refund": { access: "owner", get: 200, post: 400 },
  "admin/orders/:orderId/accept-payment": { access: "owner", get: 200, post: 400 },
  "admin/staff": { access: "owner", get: 200, post: 400 },
  // Any other /admin address: a staff 404 (405 for a post), after the sign-in check.
  "admin/*": { access: "staff", get: 404, post: 405 },
};

/** Every URL pattern routes.ts defines, with the route files it nests in. */
function routePatterns(entries: RouteConfigEntry[], parent = "", parents: string[] = []): { path: string; files: string[] }[] {
  return entries.flatMap((entry) => {
    const path = [parent, entry.path ?? ""].filter(Boolean).join("/");
    const files = [...parents, entry.file];
    const own = entry.path !== undefined || entry.index ? [{ path, files }] : [];
    return [...own, ...routePatterns(entry.children ?? [], path, files)];
  });
}

const adminRoutes = routePatterns(routes).filter(
  (r) => r.path === "admin" || r.path.startsWith("admin/") || r.files.some((f) => f.startsWith("staff/routes/")),
);

describe("the authorization matrix covers every /admin route", () => {
  it("names each route in app/routes.ts, and nothing else", () => {
    const missing = adminRoutes.map((r) => r.path).filter((p) => !(p in MATRIX));
    expect(missing, "routes with no row in MATRIX: decide who may use them, and add a row").toEqual([]);
    expect(Object.keys(MATRIX).filter((p) => !adminRoutes.some((r) => r.path === p))).toEqual([]);
  });

  it("puts every route that is not public inside the layout that requires a session", () => {
    for (const { path, files } of adminRoutes) {
      const inLayout = files.includes("staff/routes/layout.tsx");
      expect(inLayout, `${path}: ${MATRIX[path]?.access}`).toBe(MATRIX[path]?.access !== "public");
    }
  });
});

describe("every /admin route and action, by nobody, staff and the owner", () => {
  let server: ServerProcess;
  const samples: Record<string, string> = {};

  beforeAll(async () => {
    const path = join(tempDir("store-authz-"), "store.db");
    const db = openDatabase(path);
    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER });
    seedDemoProducts(db);
    placeOrder(db, { checkoutToken: newToken(), details: customer, cart: [{ productId: 1, quantity: 1 }] }, ORDER_LIMITS);
    await staffAccount(db, "owner@example.com", "owner");
    await staffAccount(db, "staff@example.com", "staff");
    closeDatabase(db);
    Object.assign(samples, { ":productId": "1", ":orderId": "1", ":token": "not-a-real-link" });
    server = await startServer({ env: { DATABASE_PATH: path } });
  });
  afterAll(async () => {
    if (server) await stopServer(server);
  });

  const url = (pattern: string) => `/${pattern.replace(/:\w+/g, (p) => samples[p]!)}`;
  const dataUrl = (pattern: string) => `${url(pattern)}.data`;

  async function as(who: "anonymous" | "staff" | "owner") {
    const agent = browser(server.url);
    if (who !== "anonymous") await agent.signIn(`${who}@example.com`);
    return agent;
  }

  it("sends nobody to sign in, from every protected page, action and data request, and back afterwards", async () => {
    const agent = await as("anonymous");
    for (const [pattern, row] of Object.entries(MATRIX)) {
      const page = url(pattern);
      if (row.access === "public") {
        expect((await agent.get(page)).status, page).toBe(row.get);
        expect((await agent.post(page, {})).status, page).toBe(row.post);
        continue;
      }
      const get = await agent.get(`${page}?page=2`);
      expect(get.status, `GET ${page}`).toBe(302);
      // Back to the page asked for, query included (the sign-in page checks it: safeNext).
      // (Not back to sign-out, which would sign them out again.)
      const next = pattern === "admin/sign-out" ? "" : `?next=${encodeURIComponent(`${page}?page=2`)}`;
      expect(get.location, `GET ${page}`).toBe(`/admin/sign-in${next}`);
      const post = await agent.post(page, {});
      expect([post.status, post.location?.split("?")[0]], `POST ${page}`).toEqual([302, "/admin/sign-in"]);
      // React Router's data requests answer a redirect as 202 + a redirect
      // payload, never the route's data.
      for (const reply of [await agent.get(dataUrl(pattern)), await agent.post(dataUrl(pattern), {})]) {
        expect(reply.status, `${dataUrl(pattern)}`).toBe(202);
        expect(reply.html, `${dataUrl(pattern)}`).toContain("/admin/sign-in");
        expect(reply.html).not.toContain("grace@example.com");
      }
    }
  });

  for (const who of ["staff", "owner"] as const) {
    it(`gives ${who} what ${who} may use and a 403 for the rest`, async () => {
      for (const [pattern, row] of Object.entries(MATRIX)) {
        if (row.access === "public") continue;
        // Signing out ends the session: give that row a session of its own.
        const agent = await as(who);
        const page = url(pattern);
        const allowed = row.access === "staff" || who === "owner";
        const get = await agent.get(page);
        const post = await agent.post(page, {});
        if (allowed) {
          expect(get.status, `GET ${page}`).toBe(row.get);
          expect(post.status, `POST ${page}`).toBe(row.post);
          expect(get.headers.get("cache-control"), page).toBe("private, no-store");
        } else {
          expect([get.status, post.status], page).toEqual([403, 403]);
          expect(get.html).toMatch(/Only the store(&#x27;|')s owner can (manage staff accounts|refund orders|accept payments)\./);
          for (const reply of [await agent.get(dataUrl(pattern)), await agent.post(dataUrl(pattern), {})]) {
            expect(reply.status, dataUrl(pattern)).toBe(403);
            expect(reply.html).not.toContain("owner@example.com");
          }
        }
      }
    });
  }
});

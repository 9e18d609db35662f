// The headers every answer carries, walked over every route: as a page and
// as a `.data` request, anonymous, as a shopper with a cart, as staff, and
// the answers to every form.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { tempDir } from "#tests/helpers/db.ts";
import { startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { customer } from "#tests/helpers/shopper.ts";
import { browser, staffAccount, type Reply } from "#tests/helpers/staff.ts";

let server: ServerProcess;
let db: AppDatabase;
beforeAll(async () => {
  const path = join(tempDir("store-headers-"), "store.db");
  // A long micro-cache window: the second walk below must meet the first one's copies.
  server = await startServer({ env: { DATABASE_PATH: path, SEED_DEMO_DATA: "true", MICRO_CACHE_MS: "60000" } });
  db = openDatabase(path);
  await staffAccount(db, "staff@example.com", "staff");
});
afterAll(async () => {
  closeDatabase(db);
  if (server) await stopServer(server);
});

type Seen = { what: string; withCookie: boolean; reply: Reply };

const SHAREABLE = ["/", "/?q=mug&sort=price-asc", "/?page=2", "/_.data", "/_.data?q=mug&sort=price-asc", "/_.data?page=2", "/products/stoneware-mug", "/products/stoneware-mug.data"];

/** Every GET route of the store, as the router sees them (a product and an order that exist). */
function storePaths(order: string) {
  const pages = ["/", "/?q=mug&sort=price-asc", "/?page=2", "/products/stoneware-mug", "/products/no-such-thing", "/cart", "/checkout", "/orders", order, "/orders/AAAAAAAAAAAAAAAAAAAAAA"];
  const adminPages = ["/admin", "/admin/sign-in", "/admin/products", "/admin/products/new", "/admin/products/1", "/admin/products/1/stock", "/admin/orders", "/admin/orders/1", "/admin/account", "/admin/staff"];
  const data = (path: string) => {
    const [pathname, search] = path.split("?");
    return `${pathname === "/" ? "/_" : pathname}.data${search ? `?${search}` : ""}`;
  };
  return [...pages, ...pages.map(data), ...adminPages, ...adminPages.map(data)];
}

const seen: Seen[] = [];

describe("cache rules", () => {
  let order = "";

  beforeAll(async () => {
    // A shopper places an order, then browses; an anonymous visitor and a
    // staff member walk everything too.
    const shopper = browser(server.url);
    const record = async (what: string, visitor: ReturnType<typeof browser>, send: () => Promise<Reply>) => {
      const withCookie = visitor.jar.size > 0;
      seen.push({ what, withCookie, reply: await send() });
    };
    await record("POST add to cart", shopper, () => shopper.post("/products/stoneware-mug", { productId: "1", quantity: "1" }));
    const page = await shopper.get("/checkout");
    const token = /name="checkoutToken" value="([\w-]{22})"/.exec(page.html)![1]!;
    await record("POST checkout, refused", shopper, () => shopper.post("/checkout", { ...customer, email: "", checkoutToken: token }));
    await record("POST checkout", shopper, () => shopper.post("/checkout", { ...customer, checkoutToken: token }));
    order = seen.at(-1)!.reply.location!;
    await record("POST cart update", shopper, () => shopper.post("/cart", { intent: "update", productId: "1", quantity: "1" }));
    await record("POST order lookup", shopper, () => shopper.post("/orders", { number: "ABCD-EFGH", email: "a@example.com" }));
    await shopper.post("/products/stoneware-mug", { productId: "1", quantity: "1" }); // a cart again
    await record("shopper GET /cart, taking the notice", shopper, () => shopper.get("/cart"));

    const anonymous = browser(server.url);
    const staff = browser(server.url);
    await record("POST staff sign-in", staff, () => staff.post("/admin/sign-in", { email: "staff@example.com", password: "correct horse battery staple" }));
    for (const path of storePaths(order)) {
      for (const [who, visitor] of [["anonymous", anonymous], ["shopper", shopper], ["staff", staff]] as const) {
        await record(`${who} GET ${path}`, visitor, () => visitor.get(path));
      }
    }
    // The shareable pages once more: now the micro-cache's copies answer
    // (docs/decisions/024-micro-cache.md), and they must follow the same rules.
    for (const path of SHAREABLE) {
      for (const [who, visitor] of [["anonymous", anonymous], ["shopper", shopper], ["staff", staff]] as const) {
        await record(`${who} GET ${path} again`, visitor, () => visitor.get(path));
      }
    }
    expect(anonymous.jar.size).toBe(0); // walking the store sets no cookie on a visitor without one
  }, 120_000);

  it("every answer says whether it may be cached", () => {
    expect(seen.filter((s) => !s.reply.headers.get("cache-control")).map((s) => s.what)).toEqual([]);
  });

  it("an answer that sets a cookie, or to a request that carries one, is private and never stored", () => {
    const personal = seen.filter((s) => s.withCookie || s.reply.headers.getSetCookie().length > 0);
    expect(personal.length).toBeGreaterThan(50);
    expect(personal.filter((s) => s.reply.headers.get("cache-control") !== "private, no-store").map((s) => `${s.what}: ${s.reply.headers.get("cache-control")}`)).toEqual([]);
  });

  it("only the data of the catalog, search and product pages, answered to a visitor without a cookie, may be kept by a shared cache", () => {
    const asked = (paths: string[]) => paths.flatMap((path) => [`anonymous GET ${path}`, `anonymous GET ${path} again`]).sort();
    const shared = seen.filter((s) => /\bpublic\b/.test(s.reply.headers.get("cache-control") ?? ""));
    expect(shared.map((s) => s.what).sort()).toEqual(asked(SHAREABLE.filter((path) => path.includes(".data"))));
    for (const s of shared) {
      expect(s.reply.status).toBe(200);
      expect(s.reply.headers.getSetCookie()).toEqual([]);
      expect(s.reply.headers.get("cache-control")).toBe("public, max-age=0, s-maxage=5, stale-while-revalidate=30");
      expect(s.reply.headers.get("vary")).toMatch(/\bCookie\b/);
      expect(s.reply.html).not.toMatch(/nonce=/);
    }
    // The pages themselves carry this response's CSP nonce, which a shared
    // cache would hand to the next visitor: private (decision 028).
    const pages = seen.filter((s) => asked(SHAREABLE.filter((path) => !path.includes(".data"))).includes(s.what));
    expect(pages).toHaveLength(8);
    for (const s of pages) {
      expect(s.reply.status).toBe(200);
      expect(s.reply.headers.get("cache-control"), s.what).toBe("private, max-age=0");
      expect(s.reply.html).toMatch(/<script nonce="/);
    }
    const kept = seen.filter((s) => s.reply.headers.get("cache-control") === "private, max-age=0");
    expect(kept.map((s) => s.what).sort()).toEqual(pages.map((s) => s.what).sort());
  });

  it("the micro-cache answered the shareable pages the second time, for visitors without a cookie and for shoppers, never for staff", () => {
    const how = (what: string) => seen.find((s) => s.what === what)!.reply.headers.get("x-micro-cache");
    for (const path of SHAREABLE) {
      expect([how(`anonymous GET ${path} again`), how(`shopper GET ${path} again`), how(`staff GET ${path} again`)]).toEqual(["hit", "hit", "bypass"]);
    }
    const hits = seen.filter((s) => s.reply.headers.get("x-micro-cache") === "hit");
    expect(hits.every((s) => s.what.endsWith(" again"))).toBe(true);
  });

  it("only the shareable pages say what they show (Cache-Tag)", () => {
    const tagged = seen.filter((s) => s.reply.headers.has("cache-tag"));
    for (const s of tagged) {
      expect(s.reply.status).toBe(200);
      expect(s.what).toMatch(/^(?:anonymous|shopper|staff) GET (?:\/(?:_\.data)?(?:\?|$| again)|\/products\/stoneware-mug)/);
    }
    expect(new Set(tagged.map((s) => s.reply.headers.get("cache-tag")))).toEqual(new Set(["catalog", "product-1"]));
  });
});

describe("security headers", () => {
  /** The headers every answer must carry, whatever produced it. */
  function expectSecurityHeaders(what: string, headers: Headers) {
    const csp = headers.get("content-security-policy") ?? "";
    expect(csp, what).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]{22,}' 'strict-dynamic'/);
    for (const directive of ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"]) {
      expect(csp, `${what}: ${directive}`).toContain(directive);
    }
    expect(csp, what).not.toContain("unsafe-inline");
    expect(headers.get("x-content-type-options"), what).toBe("nosniff");
    expect(headers.get("referrer-policy"), what).toBe("strict-origin-when-cross-origin");
    expect(headers.get("permissions-policy"), what).toMatch(/camera=\(\).*geolocation=\(\).*microphone=\(\)/);
    expect(headers.get("x-frame-options"), what).toBe("DENY");
    expect(headers.get("strict-transport-security"), `${what}: no HSTS over plain HTTP`).toBeNull();
    // The walks above ask at 127.0.0.1, a secure context to browsers (see below).
    expect(headers.get("cross-origin-opener-policy"), what).toBe("same-origin");
    expect(headers.get("origin-agent-cluster"), what).toBe("?1");
    expect(headers.get("x-powered-by"), what).toBeNull();
  }

  it("on every page, .data answer, redirect and form answer walked above", () => {
    expect(seen.length).toBeGreaterThan(100);
    for (const { what, reply } of seen) expectSecurityHeaders(what, reply.headers);
  });

  it("on assets, static files, health checks, 404s and refused requests", async () => {
    const page = await (await fetch(`${server.url}/`)).text();
    const asset = /"(\/assets\/[^"]+\.js)"/.exec(page)![1]!;
    const answers: [string, RequestInit?][] = [
      [asset],
      ["/favicon.svg"],
      ["/images/products/stoneware-mug.svg"],
      ["/health/live"],
      ["/health/ready"],
      ["/no/such/page"],
      ["/products/stoneware-mug", { method: "POST", body: "x=1", headers: { Origin: "https://evil.example", "Content-Type": "application/x-www-form-urlencoded" } }],
      ["/cart", { method: "DELETE" }],
    ];
    for (const [path, init] of answers) {
      const response = await fetch(`${server.url}${path}`, { ...init, redirect: "manual" });
      expectSecurityHeaders(`${init?.method ?? "GET"} ${path} (${response.status})`, response.headers);
    }
  });

  it("with a nonce that is new for every response and is the one the page's scripts carry", async () => {
    const nonces = new Set<string>();
    // Five pages, five renders; then a page the micro-cache replays, which
    // gets a nonce of its own in its header and its body alike (decision 028).
    const paths = [1, 2, 3, 4, 5].map((n) => `/products/stoneware-mug?n=${n}`);
    for (const [i, path] of [...paths, paths[0]!].entries()) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.headers.get("x-micro-cache")).toBe(i < 5 ? "miss" : "hit");
      const nonce = /'nonce-([^']+)'/.exec(response.headers.get("content-security-policy")!)![1]!;
      const html = await response.text();
      const scripts = html.match(/<script[^>]*>/g)!;
      expect(scripts.length).toBeGreaterThan(0);
      for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
      nonces.add(nonce);
    }
    expect(nonces.size).toBe(6);
  });

  it("keeps an order's private address out of Referer headers", async () => {
    const order = seen.find((s) => s.what.startsWith("anonymous GET /orders/") && s.reply.status === 200)!;
    expect(order.reply.html).toContain('<meta name="referrer" content="no-referrer"/>');
  });

  it("sends HSTS over HTTPS only, and the headers that need a secure context only over HTTPS or at a loopback name", async () => {
    // Over plain HTTP at a real host name, Chromium ignores
    // Cross-Origin-Opener-Policy and Origin-Agent-Cluster and says so in the
    // console of every page; HSTS would pin a store tried on http://.
    const proxied = await startServer({ env: { DATABASE_PATH: join(tempDir("store-headers-"), "store.db"), TRUST_PROXY: "true" } });
    const headersAt = async (store: ServerProcess, path: string, host: string, proto?: string) => {
      const { request } = await import("node:http");
      const url = new URL(store.url);
      const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const forwarded = proto ? { "X-Forwarded-Proto": proto } : {};
        const req = request({ host: url.hostname, port: url.port, path, headers: { Host: host, ...forwarded } }, (res) => {
          res.resume();
          resolve(res.headers);
        });
        req.on("error", reject);
        req.end();
      });
      return {
        hsts: headers["strict-transport-security"] as string | undefined,
        coop: headers["cross-origin-opener-policy"] as string | undefined,
        oac: headers["origin-agent-cluster"] as string | undefined,
      };
    };
    type Expected = Awaited<ReturnType<typeof headersAt>>;
    const none: Expected = { hsts: undefined, coop: undefined, oac: undefined };
    const isolated: Expected = { hsts: undefined, coop: "same-origin", oac: "?1" };
    const https: Expected = { hsts: "max-age=31536000", coop: "same-origin", oac: "?1" };
    const cases: [ServerProcess, string, string | undefined, Expected][] = [
      // Through a proxy trusted with TRUST_PROXY, which says how the browser came.
      [proxied, "shop.example", "https", https],
      [proxied, "shop.example", "http", none],
      [proxied, "shop.example", undefined, none],
      [proxied, "localhost:3000", "https", https],
      // Without TRUST_PROXY, X-Forwarded-Proto is a client's claim and changes nothing.
      [server, "shop.example", "https", none],
      [server, "shop.example:8080", undefined, none],
      [server, "192.168.1.20:3000", undefined, none],
      // Loopback names are secure contexts over plain HTTP too.
      [server, "localhost:3000", undefined, isolated],
      [server, "LOCALHOST", undefined, isolated],
      [server, "store.localhost:3000", undefined, isolated],
      [server, "127.0.0.1:3000", undefined, isolated],
      [server, "127.1.2.3", undefined, isolated],
      [server, "[::1]:3000", undefined, isolated],
    ];
    try {
      // A page, a 404, a static file and a refused request alike.
      for (const path of ["/", "/no/such/page", "/favicon.svg", "/%"]) {
        for (const [store, host, proto, expected] of cases) {
          const what = `${path} at ${host}${proto ? ` (X-Forwarded-Proto: ${proto}${store === proxied ? ", trusted" : ""})` : ""}`;
          expect(await headersAt(store, path, host, proto), what).toEqual(expected);
        }
      }
    } finally {
      await stopServer(proxied);
    }
  });
});

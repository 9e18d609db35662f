// The micro-cache in the real store (production server, real SQLite file):
// what it keeps, who it serves, and that a change made through the store
// is on the very next page (a sale that leaves stock excepted: its count may
// be a window old). The window is a minute here, so only the
// store's own invalidation can make a page new. Speed is the benchmark's
// business (docs/benchmarks.md), not this file's.
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { products } from "#app/db/schema.ts";
import { productBySlug, tempDir } from "#tests/helpers/db.ts";
import { startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { shopper } from "#tests/helpers/shopper.ts";
import { browser, productForm, staffAccount } from "#tests/helpers/staff.ts";

let server: ServerProcess;
let db: AppDatabase;
let path: string;
beforeAll(async () => {
  path = join(tempDir("store-micro-cache-"), "store.db");
  server = await startServer({ env: { DATABASE_PATH: path, SEED_DEMO_DATA: "true", MICRO_CACHE_MS: "60000" } });
  db = openDatabase(path);
  await staffAccount(db, "staff@example.com", "staff");
});
afterAll(async () => {
  closeDatabase(db);
  if (server) await stopServer(server);
});

type Answer = { status: number; cache: string | null; html: string; headers: Headers };
async function get(url: string, cookie?: string): Promise<Answer> {
  const response = await fetch(url, { headers: cookie ? { cookie } : {}, redirect: "manual" });
  return { status: response.status, cache: response.headers.get("x-micro-cache"), html: await response.text(), headers: response.headers };
}

/** This response's Content-Security-Policy nonce. */
const cspNonce = (a: Answer) => /'nonce-([^']+)'/.exec(a.headers.get("content-security-policy") ?? "")?.[1];
/** A page without its nonce, which is new for every response, replays included (decision 028). */
const withoutNonce = (html: string) => html.replace(/nonce="[^"]*"/g, 'nonce=""');

/** The stock line of a product page. */
const stockLine = (html: string) => /In stock \((\d+) left\)|Sold out|No longer sold/.exec(html.replaceAll("<!-- -->", ""))?.[0];
/** The cart badge: "<count><span class="sr-only"> items</span>". */
const cartBadge = (html: string) => Number(/>(\d+)<span class="sr-only"> items?<\/span>/.exec(html)?.[1]);

describe("the micro-cache in the store", () => {
  it("renders a page once, then replays it: the same bytes and the same headers, but for the nonce", async () => {
    const first = await get(`${server.url}/?q=notebook&sort=price-asc`);
    const again = await get(`${server.url}/?sort=price-asc&q=notebook`);
    expect([first.cache, again.cache]).toEqual(["miss", "hit"]);
    expect(withoutNonce(again.html)).toBe(withoutNonce(first.html));
    const headers = (a: Answer) =>
      [...a.headers]
        .filter(([name]) => !["date", "x-micro-cache", "content-length", "transfer-encoding", "keep-alive", "connection"].includes(name))
        .map(([name, value]) => [name, value.replace(/'nonce-[^']*'/g, "'nonce-'")]);
    expect(headers(again)).toEqual(headers(first));
    // A document carries a nonce: for this server's cache, not a shared one (decision 028).
    expect(again.headers.get("cache-control")).toBe("private, max-age=0");
    expect(again.headers.get("content-encoding")).toBe("gzip"); // compressed for this client, as the first was
    // The same goes for the data a browser with JavaScript asks for.
    const data = [await get(`${server.url}/products/linen-notebook.data`), await get(`${server.url}/products/linen-notebook.data`)];
    expect(data.map((d) => d.cache)).toEqual(["miss", "hit"]);
    expect(data[1]!.html).toBe(data[0]!.html);
  });

  it("gives every replay a nonce of its own, in its header and on every script", async () => {
    // Two visitors a moment apart: one render, two answers. The first
    // visitor's nonce must not be good on the second one's page.
    const answers = [await get(`${server.url}/products/stoneware-mug?n=nonce`), await get(`${server.url}/products/stoneware-mug?n=nonce`)];
    expect(answers.map((a) => a.cache)).toEqual(["miss", "hit"]);
    const nonces = answers.map((a) => cspNonce(a)!);
    expect(nonces[0]).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(nonces[1]).not.toBe(nonces[0]);
    for (const [i, answer] of answers.entries()) {
      const tags = answer.html.match(/<(?:script|link)\b[^>]*\bnonce="[^"]*"[^>]*>/g) ?? [];
      const scripts = answer.html.match(/<script\b[^>]*>/g) ?? [];
      expect(scripts.length).toBeGreaterThan(3);
      expect(tags.length).toBeGreaterThan(scripts.length); // the modulepreload links carry it too
      for (const tag of [...scripts, ...tags]) expect(tag).toContain(`nonce="${nonces[i]}"`);
      // And nowhere else, in any spelling: the other answer's nonce is gone.
      expect(answer.html.split(nonces[i]!).length - 1).toBe(tags.length);
      expect(answer.html).not.toContain(nonces[1 - i]!);
    }
    // The same for the data a browser with JavaScript asks for (its nonce is in the header only).
    const data = [await get(`${server.url}/products/stoneware-mug.data?n=nonce`), await get(`${server.url}/products/stoneware-mug.data?n=nonce`)];
    expect(data.map((d) => d.cache)).toEqual(["miss", "hit"]);
    expect(cspNonce(data[1]!)).not.toBe(cspNonce(data[0]!));
    expect(data[1]!.html).toBe(data[0]!.html);
  });

  it("logs a replayed page with its route, its status and cache=hit", async () => {
    const before = server.output().length;
    for (const p of ["/products/wool-throw", "/products/wool-throw", "/products/wool-throw.data", "/products/wool-throw.data", "/?q=tray", "/?q=tray"]) {
      await get(`${server.url}${p}`);
    }
    // (Lines are written when an answer is finished: poll for the last six.)
    const lastLines = () =>
      (server.output().slice(before).match(/http method=GET .*/g) ?? []).slice(-6).map((line) => line.replace(/ ms=\d+/, ""));
    await expect.poll(lastLines).toEqual([
      "http method=GET route=/products/:slug status=200",
      "http method=GET route=/products/:slug status=200 cache=hit",
      "http method=GET route=/products/:slug status=200 via=data",
      "http method=GET route=/products/:slug status=200 via=data cache=hit",
      "http method=GET route=/ status=200",
      "http method=GET route=/ status=200 cache=hit",
    ]);
  });

  it("renders concurrent requests for a page once", async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => get(`${server.url}/?q=candle`)));
    expect(answers.filter((a) => a.cache === "miss")).toHaveLength(1);
    expect(new Set(answers.map((a) => withoutNonce(a.html))).size).toBe(1);
    expect(new Set(answers.map(cspNonce)).size).toBe(12);
  });

  it("a sale that leaves stock keeps the product's copy (its count at most a window old); the database is exact", async () => {
    const mug = productBySlug(db, "stoneware-mug");
    await get(`${server.url}/products/stoneware-mug`);
    const cached = await get(`${server.url}/products/stoneware-mug`);
    expect(cached.cache).toBe("hit");
    expect(stockLine(cached.html)).toBe(`In stock (${mug.stock} left)`);

    const buyer = shopper(server.url);
    await buyer.addToCart(mug, 2);
    expect((await buyer.checkout(await buyer.checkoutToken())).status).toBe(302);

    // Rendering the page again at every order would make checkouts wait
    // behind renders of the most popular pages (docs/benchmarks.md).
    const after = await get(`${server.url}/products/stoneware-mug`);
    expect(after.cache).toBe("hit");
    expect(stockLine(after.html)).toBe(`In stock (${mug.stock} left)`);
    expect(productBySlug(db, "stoneware-mug").stock).toBe(mug.stock - 2);
  });

  it("selling the last one shows Sold out on its page and in the lists at once", async () => {
    const lamp = productBySlug(db, "desk-lamp");
    db.update(products).set({ stock: 1 }).where(eq(products.id, lamp.id)).run(); // (behind the ledger's back: a test shortcut)
    for (const path of ["/?q=lamp", `/products/${lamp.slug}`]) {
      await get(`${server.url}${path}`);
      expect((await get(`${server.url}${path}`)).cache).toBe("hit");
    }

    const buyer = shopper(server.url);
    await buyer.addToCart(lamp, 1);
    expect((await buyer.checkout(await buyer.checkoutToken())).status).toBe(302);
    const list = await get(`${server.url}/?q=lamp`);
    expect(list.cache).toBe("miss");
    expect(list.html).toContain("Sold out");
    const page = await get(`${server.url}/products/${lamp.slug}`);
    expect(page.cache).toBe("miss");
    expect(stockLine(page.html)).toBe("Sold out");
  });

  it("a staff edit, stock adjustment or archive is on every page at the next request", async () => {
    const throwBlanket = productBySlug(db, "wool-throw");
    const catalogPath = "/?q=throw";
    const pagePath = `/products/${throwBlanket.slug}`;
    for (const p of [catalogPath, pagePath, catalogPath, pagePath]) await get(`${server.url}${p}`);
    expect((await get(`${server.url}${pagePath}`)).cache).toBe("hit");

    const staff = browser(server.url);
    await staff.signIn("staff@example.com");
    const edit = await staff.post(
      `/admin/products/${throwBlanket.id}`,
      productForm({ name: "Merino Wool Throw", slug: throwBlanket.slug, sku: throwBlanket.sku, price: "123.45", description: "Softer." }),
    );
    expect(edit.status).toBe(302);
    const page = await get(`${server.url}${pagePath}`);
    expect(page.html).toContain("Merino Wool Throw");
    expect(page.html).toContain("$123.45");
    const list = await get(`${server.url}${catalogPath}`);
    expect(list.html).toContain("Merino Wool Throw");
    expect(list.html).toContain("$123.45");

    await get(`${server.url}${pagePath}`);
    const adjusted = await staff.post(`/admin/products/${throwBlanket.id}/stock`, { delta: "-3", note: "counted the shelf" });
    expect(adjusted.status).toBe(302);
    expect(stockLine((await get(`${server.url}${pagePath}`)).html)).toBe(`In stock (${throwBlanket.stock - 3} left)`);

    await get(`${server.url}${catalogPath}`);
    expect((await staff.post(`/admin/products/${throwBlanket.id}`, { intent: "archive" })).status).toBe(302);
    expect((await get(`${server.url}${catalogPath}`)).html).not.toContain("Merino Wool Throw");
    expect(stockLine((await get(`${server.url}${pagePath}`)).html)).toBe("No longer sold");

    // Staff pages are never cached, and neither is the shop seen by staff.
    expect((await staff.get("/")).headers.get("x-micro-cache")).toBe("bypass");
  });

  it("a shopper with a cart gets a page for their own cart, never another visitor's, and never a kept Set-Cookie", async () => {
    const mug = productBySlug(db, "stoneware-mug");
    const one = shopper(server.url);
    const two = shopper(server.url);
    await one.addToCart(mug, 1);
    await two.addToCart(mug, 2);
    await one.get("/cart"); // shows (and takes) the notice: one has 1 item and nothing waiting
    // Another shopper with one item and a notice still waiting.
    const waiting = shopper(server.url);
    await waiting.addToCart(mug, 1);

    // The page that shows a notice takes it from the session (a Set-Cookie):
    // it is rendered for that shopper alone, every time they ask with it.
    for (let i = 0; i < 2; i++) {
      const noticed = await get(`${server.url}/?q=mug`, waiting.cookie());
      expect(noticed.cache).toBe("bypass");
      expect(noticed.html).toContain("Added 1 × Stoneware Mug to your cart.");
      expect(noticed.headers.getSetCookie()).toHaveLength(1);
    }
    // Two takes its notice the way a browser does, keeping the new cookie.
    expect((await two.get("/?q=mug")).html).toContain("Added 2 × Stoneware Mug to your cart.");

    const seen: { who: string; answer: Answer }[] = [];
    for (let round = 0; round < 3; round++) {
      for (const [who, cookie, count] of [["one", one.cookie(), 1], ["two", two.cookie(), 2], ["anonymous", undefined, 0]] as const) {
        const answer = await get(`${server.url}/?q=mug&round=all`, cookie);
        seen.push({ who, answer });
        expect(cartBadge(answer.html)).toBe(count);
        expect(answer.html).not.toContain("to your cart.");
        expect(answer.headers.getSetCookie()).toEqual([]);
        expect(answer.headers.get("cache-control")).toBe(
          cookie ? "private, no-store" : "private, max-age=0",
        );
      }
    }
    // Each kind of page rendered once and replayed after.
    for (const who of ["one", "two", "anonymous"]) {
      expect(seen.filter((s) => s.who === who).map((s) => s.answer.cache)).toEqual(["miss", "hit", "hit"]);
    }
    // A shopper with the same cart count shares one's copy, byte for byte
    // but for the nonce: there is nothing of one's in it but the count.
    const same = shopper(server.url);
    await same.addToCart(productBySlug(db, "linen-notebook"), 1);
    await same.get("/cart");
    const shared = await get(`${server.url}/?q=mug&round=all`, same.cookie());
    expect(shared.cache).toBe("hit");
    expect(withoutNonce(shared.html)).toBe(withoutNonce(seen[0]!.answer.html));
  });

  it("never keeps more than its byte bound", async () => {
    const small = await startServer({ env: { DATABASE_PATH: path, MICRO_CACHE_MS: "60000", MICRO_CACHE_MAX_MB: "1" } });
    try {
      const first = await get(`${small.url}/?page=1&n=0`);
      expect(first.cache).toBe("miss");
      const bytes = Buffer.byteLength(first.html);
      // Twice the budget in distinct pages: the first must have been dropped.
      const pages = Math.ceil((2 * 1024 * 1024) / bytes);
      for (let n = 1; n <= pages; n++) expect((await get(`${small.url}/?page=1&n=${n}`)).status).toBe(200);
      expect((await get(`${small.url}/?page=1&n=${pages}`)).cache).toBe("hit");
      expect((await get(`${small.url}/?page=1&n=0`)).cache).toBe("miss");
    } finally {
      await stopServer(small);
    }
  });
});

describe("with the micro-cache off", () => {
  it("every page is the page the cache serves, with the same headers", async () => {
    // Two stores on copies of one database: cache off and cache on.
    const dir = tempDir("store-micro-cache-off-");
    for (const name of ["off.db", "on.db"]) db.$client.exec(`VACUUM INTO '${join(dir, name)}'`);
    const off = await startServer({ env: { DATABASE_PATH: join(dir, "off.db"), MICRO_CACHE_MS: "0" } });
    const on = await startServer({ env: { DATABASE_PATH: join(dir, "on.db"), MICRO_CACHE_MS: "60000" } });
    try {
      // A shopper whose cookie both stores accept (one secret), with a cart
      // and no notice waiting.
      const buyer = shopper(off.url);
      await buyer.addToCart(productBySlug(db, "linen-notebook"), 1);
      await buyer.get("/cart");
      const cookie = buyer.cookie();

      // What the cached store says of each, the first time and the second:
      // kept and replayed, rendered each time (a 404 is not kept), or not its business.
      const paths: [string, (string | null)[]][] = [
        ["/", ["miss", "hit"]],
        ["/?q=mug", ["miss", "hit"]],
        ["/?sort=price-desc&page=2", ["miss", "hit"]],
        ["/_.data?q=mug", ["miss", "hit"]],
        ["/products/linen-notebook", ["miss", "hit"]],
        ["/products/linen-notebook.data", ["miss", "hit"]],
        ["/products/nope", ["miss", "miss"]],
        ["/cart", [null, null]],
        ["/orders", [null, null]],
        ["/no-such-page", [null, null]],
      ];
      // Per-response values (the CSP nonce) are not the page.
      // Nor is how it travels: a replay knows its length, and compression
      // leaves answers under 1 kB (the .data ones) as they are.
      const same = (html: string) => html.replace(/nonce="[^"]*"/g, 'nonce=""');
      const kept = (headers: Headers) =>
        [...headers]
          .filter(([name]) => !["date", "x-micro-cache", "content-length", "content-encoding", "transfer-encoding", "keep-alive", "connection"].includes(name))
          .map(([name, value]) => [name, value.replace(/'nonce-[^']*'/g, "'nonce-'")]);
      for (const visitor of [undefined, cookie]) {
        for (const [p, rounds] of paths) {
          const plain = await get(`${off.url}${p}`, visitor);
          expect(plain.cache).toBeNull();
          for (const [round, label] of rounds.entries()) {
            const cached = await get(`${on.url}${p}`, visitor);
            expect({ p, round, status: cached.status, cache: cached.cache }).toEqual({ p, round, status: plain.status, cache: label });
            expect(same(cached.html)).toBe(same(plain.html));
            expect(kept(cached.headers)).toEqual(kept(plain.headers));
          }
        }
      }
    } finally {
      await Promise.all([stopServer(off), stopServer(on)]);
    }
  });
});

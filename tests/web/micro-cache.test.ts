// The micro-cache on its own (app/web/micro-cache.server.ts): the byte
// bound, expiry, purges, and the middleware in front of a stand-in page
// handler that counts its renders. tests/web/micro-cache-http.test.ts runs it
// in the real store.
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import express, { type RequestHandler } from "express";
import { afterEach, describe, expect, it } from "vitest";
import { catalogChanged } from "#app/store/catalog-changes.server.ts";
import { RATE_LIMITED_HEADER } from "#app/web/rate-limited.server.ts";
import { requestInfo } from "#app/core/request-info.ts";
import { cutAt, joinWith, microCache, normalizedUrl, PageCache, type CachedPage } from "#app/web/micro-cache.server.ts";

const page = (body: string, tags = ["catalog"]): CachedPage => ({
  status: 200,
  headers: [["content-type", "text/html"]],
  body: [Buffer.from(body)],
  nonce: "",
  tags,
});

describe("PageCache", () => {
  it("holds at most maxBytes, dropping the least recently used first", () => {
    const cache = new PageCache({ ttlMs: 60_000, maxBytes: 8_000 });
    // 927 bytes an entry with its key and headers: 8 fit. Each body says which page it is.
    const body = (i: number) => `page ${i} `.padEnd(900, "x");
    const bodyOf = (key: string) => cache.get(key)?.body.toString();
    for (let i = 0; i < 8; i++) cache.set(`page ${i}`, page(body(i)));
    expect(cache.size).toBe(8);
    expect(bodyOf("page 0")).toBe(body(0)); // used again: now the most recent
    cache.set("page 8", page(body(8)));
    expect(bodyOf("page 0")).toBe(body(0));
    expect(cache.get("page 1")).toBeUndefined();
    for (let i = 9; i < 40; i++) {
      cache.set(`page ${i}`, page(body(i)));
      expect(cache.bytes).toBeLessThanOrEqual(8_000);
    }
    expect(cache.size).toBe(8);
    expect(bodyOf("page 39")).toBe(body(39));
    // A page larger than an eighth of the budget is not kept at all.
    cache.set("huge", page("y".repeat(1_500)));
    expect(cache.get("huge")).toBeUndefined();
    expect(cache.bytes).toBeLessThanOrEqual(8_000);
  });

  it("forgets a page after its window", () => {
    let now = 1_000;
    const cache = new PageCache({ ttlMs: 500, maxBytes: 1e6, now: () => now });
    cache.set("a", page("A"));
    now += 499;
    expect(Buffer.concat(cache.get("a")!.body).toString()).toBe("A");
    now += 1;
    expect(cache.get("a")).toBeUndefined();
    expect(cache.bytes).toBe(0);
  });

  it("a purge drops the pages with its tags, and what a render under way was making if it has one of them", () => {
    const cache = new PageCache({ ttlMs: 60_000, maxBytes: 1e6 });
    cache.set("list", page("list", ["catalog"]));
    cache.set("mug", page("mug", ["product-1"]));
    cache.set("lamp", page("lamp", ["product-2"]));
    const render = cache.begin("vase");
    const mugRender = cache.begin("mug");
    cache.purge(["product-1"]);
    expect(cache.get("mug")).toBeUndefined();
    expect(cache.get("list")?.body.toString()).toBe("list");
    expect(cache.get("lamp")?.body.toString()).toBe("lamp");
    // Begun before the purge, no new request waits for either.
    expect(cache.pending("vase")).toBeUndefined();
    expect(cache.pending("mug")).toBeUndefined();
    // With a purged tag, it may show what the purge was about: not kept.
    mugRender.finish(page("mug", ["product-1"]));
    expect(cache.get("mug")).toBeUndefined();
    // Its tags say it shows nothing the purge was about: kept.
    render.finish(page("vase", ["product-3"]));
    expect(cache.get("vase")?.body.toString()).toBe("vase");
    // Begun after it: kept.
    cache.begin("mug").finish(page("mug", ["product-1"]));
    expect(cache.get("mug")?.body.toString()).toBe("mug");
    // clear() forgets every render under way, whatever its tags.
    const late = cache.begin("bowl");
    cache.clear();
    late.finish(page("bowl", ["product-9"]));
    expect(cache.get("bowl")).toBeUndefined();
  });

  it("cuts a body at every occurrence of the nonce, and joins the pieces with another", () => {
    const body = Buffer.from("NONCE<p>NONCENONCE</p>NONCE");
    const pieces = cutAt(body, "NONCE");
    expect(pieces.map(String)).toEqual(["", "<p>", "", "</p>", ""]);
    expect(joinWith(pieces, Buffer.from("fresh")).toString()).toBe("fresh<p>freshfresh</p>fresh");
    expect(cutAt(body, "").map(String)).toEqual([body.toString()]); // no nonce (development): one piece
    expect(cutAt(Buffer.from("<p>none</p>"), "NONCE").map(String)).toEqual(["<p>none</p>"]);
  });

  it("the URL's query is sorted by name, keeping repeated names in order", () => {
    expect(normalizedUrl("/", "/")).toBe("/");
    expect(normalizedUrl("/", "/?")).toBe("/");
    expect(normalizedUrl("/", "/?sort=price-asc&q=mug")).toBe("/?q=mug&sort=price-asc");
    expect(normalizedUrl("/", "/?q=a+b&page=2")).toBe(normalizedUrl("/", "/?page=2&q=a%20b"));
    expect(normalizedUrl("/_.data", "/_.data?b=2&a=1&b=1")).toBe("/_.data?a=1&b=2&b=1");
  });
});

// --- the middleware, in front of a page handler that counts its renders ------

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

type Options = {
  variant?: (cookie: string | undefined) => string | null;
  ttlMs?: number;
  maxBytes?: number;
  /** Which requests a rate limit in front of the cache marks, as app/web/rate-limits.server.ts does. */
  mark?: (req: express.Request) => boolean;
};

/**
 * A store in miniature: every response gets its own nonce, as the security
 * headers make one (app/web/security-headers.server.ts), and a render
 * writes it in a CSP header and in the body, as the real store's pages do;
 * `/slow` takes 50 ms.
 */
async function start(page: RequestHandler, options: Options = {}) {
  const app = express();
  const cache = microCache({
    ttlMs: options.ttlMs ?? 60_000,
    maxBytes: options.maxBytes ?? 1e6,
    shareable: (req) => /^\/(?:slow|fast|private|cookie|fail)?$/.test(req.path),
    variant: (req) => (options.variant ?? ((cookie) => (cookie ? null : "anonymous")))(req.headers.cookie),
  });
  app.use((req, res, next) => {
    requestInfo(res).nonce = randomBytes(16).toString("base64");
    delete req.headers[RATE_LIMITED_HEADER];
    if (options.mark?.(req)) req.headers[RATE_LIMITED_HEADER] = "form post;60";
    next();
  });
  app.use(cache);
  app.use(page);
  server = createServer(app);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, cache };
}

let renders = 0;
const storePage: RequestHandler = (req, res) => {
  const n = ++renders;
  const { nonce } = requestInfo(res);
  res.setHeader("Content-Security-Policy", `script-src 'nonce-${nonce}'`);
  res.setHeader("Cache-Tag", req.path === "/fast" ? "product-7" : "catalog");
  res.setHeader("Cache-Control", req.path === "/private" ? "private, no-store" : "public, s-maxage=5");
  if (req.path === "/cookie") res.setHeader("Set-Cookie", "__store_session=abc; Path=/");
  const send = () => {
    if (req.path === "/fail") return void res.socket?.destroy();
    res.status(200).type("html");
    res.write(`<p>render ${n} for ${req.url}</p>`);
    res.end(`<script nonce="${nonce}"></script>`);
  };
  if (req.path === "/slow") setTimeout(send, 50);
  else send();
};

async function get(url: string, cookie?: string) {
  const response = await fetch(url, { headers: cookie ? { cookie } : {} });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** A page without its nonce: what a replay has in common with the render. */
const withoutNonce = (body: string) => body.replace(/nonce="[^"]*"/g, 'nonce=""');
const cspNonce = (headers: Headers) => /'nonce-([^']+)'/.exec(headers.get("content-security-policy") ?? "")?.[1];

describe("the micro-cache middleware", () => {
  it("renders concurrent requests for one page once and replays it with the headers it was rendered with", async () => {
    renders = 0;
    const { url } = await start(storePage);
    const replies = await Promise.all(Array.from({ length: 20 }, () => get(`${url}/slow?b=2&a=1`)));
    expect(renders).toBe(1);
    expect(replies.map((r) => r.headers.get("x-micro-cache")).sort()).toEqual([...Array(19).fill("hit"), "miss"]);
    for (const reply of replies) {
      expect(withoutNonce(reply.body)).toBe(withoutNonce(replies[0]!.body));
      // The CSP's nonce is the body's nonce, and it is this response's own.
      const nonce = /nonce="([^"]+)"/.exec(reply.body)![1];
      expect(reply.headers.get("content-security-policy")).toBe(`script-src 'nonce-${nonce}'`);
      expect(reply.headers.get("cache-control")).toBe("public, s-maxage=5");
    }
    expect(new Set(replies.map((reply) => cspNonce(reply.headers))).size).toBe(20);
    // The same query in another order is the same page.
    expect((await get(`${url}/slow?a=1&b=2`)).headers.get("x-micro-cache")).toBe("hit");
    expect(renders).toBe(1);
  });

  it("gives every replay its own response's nonce, wherever the render wrote its own", async () => {
    const { url } = await start((_req, res) => {
      const { nonce } = requestInfo(res);
      res.setHeader("Content-Security-Policy", `script-src 'nonce-${nonce}'`);
      res.setHeader("Cache-Tag", "catalog");
      res.setHeader("Cache-Control", "public, s-maxage=5");
      res.status(200).type("html");
      // At the very start, twice in a row, at the end, and cut in two by a write.
      res.write(`${nonce}${nonce}<script nonce="${nonce.slice(0, 5)}`);
      res.end(`${nonce.slice(5)}"></script>${nonce}`);
    });
    const replies = [await get(url), await get(url), await get(url)];
    expect(replies.map((reply) => reply.headers.get("x-micro-cache"))).toEqual(["miss", "hit", "hit"]);
    const nonces = replies.map((reply) => cspNonce(reply.headers)!);
    expect(new Set(nonces).size).toBe(3);
    for (const [i, reply] of replies.entries()) {
      const nonce = nonces[i]!;
      expect(reply.body).toBe(`${nonce}${nonce}<script nonce="${nonce}"></script>${nonce}`);
    }
  });

  it("never keeps an answer that sets a cookie, or one no cache may store for a visitor without a cookie", async () => {
    renders = 0;
    const { url } = await start(storePage);
    for (let i = 0; i < 3; i++) {
      const reply = await get(`${url}/cookie`);
      expect(reply.headers.get("x-micro-cache")).toBe("miss");
      expect(reply.headers.get("set-cookie")).toBe("__store_session=abc; Path=/");
    }
    for (let i = 0; i < 3; i++) expect((await get(`${url}/private`)).headers.get("x-micro-cache")).toBe("miss");
    expect(renders).toBe(6);
  });

  it("keeps each variant apart and renders a request whose variant is null for it alone", async () => {
    renders = 0;
    const variant = (cookie: string | undefined) => (cookie === "staff" ? null : (cookie ?? "anonymous"));
    const { url } = await start(storePage, { variant });
    const first = await get(`${url}/fast`, "cart=1");
    expect(withoutNonce((await get(`${url}/fast`, "cart=1")).body)).toBe(withoutNonce(first.body));
    const other = await get(`${url}/fast`, "cart=2");
    expect(withoutNonce(other.body)).not.toBe(withoutNonce(first.body));
    const anonymous = await get(`${url}/fast`);
    expect(withoutNonce(anonymous.body)).not.toBe(withoutNonce(first.body));
    expect(withoutNonce(anonymous.body)).not.toBe(withoutNonce(other.body));
    const staff = [await get(`${url}/fast`, "staff"), await get(`${url}/fast`, "staff")];
    expect(staff.map((r) => r.headers.get("x-micro-cache"))).toEqual(["bypass", "bypass"]);
    expect(renders).toBe(5);
  });

  it("never answers a request the rate limits marked from the cache, nor keeps its answer", async () => {
    renders = 0;
    // As in server.ts, a rate limit in front of the cache marks a request
    // (here, every one from the "greedy" client) and the page answers 429.
    const { url } = await start(
      (req, res, next) => {
        if (req.headers[RATE_LIMITED_HEADER]) return void res.status(429).set("Cache-Control", "no-store").send("slow down");
        storePage(req, res, next);
      },
      { mark: (req) => req.headers["x-client"] === "greedy" },
    );
    const greedy = async () => {
      const response = await fetch(`${url}/slow`, { headers: { "x-client": "greedy" } });
      await response.text();
      return [response.status, response.headers.get("x-micro-cache")];
    };
    expect(await greedy()).toEqual([429, "bypass"]);
    // The 429 was not kept for the next visitor...
    expect((await get(`${url}/slow`)).headers.get("x-micro-cache")).toBe("miss");
    expect((await get(`${url}/slow`)).headers.get("x-micro-cache")).toBe("hit");
    // ...and the copy there now is not the marked client's answer.
    expect(await greedy()).toEqual([429, "bypass"]);
    expect((await get(`${url}/slow`)).status).toBe(200);
    expect(renders).toBe(1);
  });

  it("drops a product's pages when the catalog changes, and only those", async () => {
    renders = 0;
    const { url } = await start(storePage);
    await get(`${url}/fast`); // product-7
    await get(`${url}/slow`); // catalog
    catalogChanged({ productIds: [7], lists: false });
    expect((await get(`${url}/fast`)).headers.get("x-micro-cache")).toBe("miss");
    expect((await get(`${url}/slow`)).headers.get("x-micro-cache")).toBe("hit");
    catalogChanged({ productIds: [], lists: true });
    expect((await get(`${url}/slow`)).headers.get("x-micro-cache")).toBe("miss");
    expect(renders).toBe(4);
  });

  it("a request that arrives after a change never gets a page rendered before it", async () => {
    renders = 0;
    const { url } = await start(storePage);
    const before = get(`${url}/slow`); // rendering for 50 ms
    await expect.poll(() => renders, { interval: 1 }).toBe(1); // (a fixed wait fails on a loaded machine)
    catalogChanged({ productIds: [], lists: true });
    const after = await get(`${url}/slow`);
    expect(after.body).toContain("render 2");
    expect((await before).body).toContain("render 1");
    // The render begun before the change was not kept; the one after was.
    expect((await get(`${url}/slow`)).body).toContain("render 2");
  });

  it("when the render fails, the requests that waited for it render their own", async () => {
    renders = 0;
    const { url, cache } = await start(storePage);
    const replies = await Promise.allSettled([get(`${url}/fail`), get(`${url}/fail`), get(`${url}/fail`)]);
    expect(replies.every((r) => r.status === "rejected")).toBe(true);
    expect(renders).toBe(3);
    expect(cache.cache.size).toBe(0);
  });

  it("keeps to its byte bound under real traffic", async () => {
    renders = 0;
    const { url, cache } = await start(storePage, { maxBytes: 20_000 });
    for (let i = 0; i < 300; i++) {
      await get(`${url}/fast?i=${i}`);
      expect(cache.cache.bytes).toBeLessThanOrEqual(20_000);
    }
    expect(cache.cache.size).toBeGreaterThan(20);
    expect((await get(`${url}/fast?i=0`)).headers.get("x-micro-cache")).toBe("miss"); // long gone
    expect((await get(`${url}/fast?i=299`)).headers.get("x-micro-cache")).toBe("hit");
  });
});

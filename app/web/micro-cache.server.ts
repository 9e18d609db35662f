// The micro-cache: shareable pages (catalog, search, product; documents and
// `.data`) rendered at most once per short window for every visitor who
// would see the same bytes, and replayed from memory meanwhile. What is kept,
// the key, the replay's own nonce and the purges on a catalog change:
// docs/decisions/024-micro-cache.md and 028. Other processes on the same file
// (the CLI, another replica) are not told of a change: their copies live out
// the window.
import type { OutgoingHttpHeader, OutgoingHttpHeaders } from "node:http";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Env } from "#app/core/env.server.ts";
import { onCatalogChange, tagsFor } from "#app/store/catalog-changes.server.ts";
import { RATE_LIMITED_HEADER } from "#app/web/rate-limited.server.ts";
import { requestInfo } from "#app/core/request-info.ts";
import { requestRoute } from "#app/web/request-route.server.ts";

export type CachedPage = {
  status: number;
  /** Every header as it was sent, but for the ones below that belong to one connection. */
  headers: [string, OutgoingHttpHeader][];
  /** The body, cut at every place the render wrote `nonce`: a replay joins the pieces with its own. */
  body: Buffer[];
  /** The render's CSP nonce, in `headers` and between the pieces of `body`; "" when it had none. */
  nonce: string;
  tags: string[];
  /** The route pattern that rendered it, and whether it was a `.data` answer (for the access log). */
  route?: string;
  data?: boolean;
};

type Entry = CachedPage & { key: string; bytes: number; expires: number };

/** Renders of a key under way: requests for it wait for `done`. */
type Fill = { generation: number; done: Promise<CachedPage | undefined>; settle: (page: CachedPage | undefined) => void };

// Not kept: they describe this connection or this transfer, not the page.
const NOT_KEPT = new Set(["connection", "keep-alive", "transfer-encoding", "date", "content-length", "x-micro-cache"]);

/** The header saying how this answer was made: `hit`, `miss` (rendered, maybe kept) or `bypass`. */
export const MICRO_CACHE_HEADER = "X-Micro-Cache";

/**
 * Pages by key, least recently used first (a Map keeps insertion order; a
 * hit moves its entry to the end), with the keys of every tag.
 */
export class PageCache {
  readonly ttlMs: number;
  readonly maxBytes: number;
  /** A copy larger than this is not kept: a few pages must not push out all the others. */
  readonly maxEntryBytes: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  private readonly byTag = new Map<string, Set<string>>();
  private readonly fills = new Map<string, Fill>();
  /** Bumped by every purge. */
  private generation = 0;
  /**
   * The generation of each tag's last purge, and of the last clear(): a
   * render that began before a purge of one of its page's tags may show
   * what the purge was about, and is not kept. A page's tags name all it
   * shows, so a render whose tags were not purged is kept: under a stream
   * of orders (each one purges the pages of what it bought, on every
   * worker), the catalog and search pages still get cached.
   */
  private readonly purgedAt = new Map<string, number>();
  private clearedAt = 0;
  bytes = 0;

  constructor(options: { ttlMs: number; maxBytes: number; now?: () => number }) {
    this.ttlMs = options.ttlMs;
    this.maxBytes = options.maxBytes;
    this.maxEntryBytes = Math.floor(options.maxBytes / 8);
    this.now = options.now ?? Date.now;
  }

  get size() {
    return this.entries.size;
  }

  get(key: string): CachedPage | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.delete(entry);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  /** The render of `key` under way, if any. */
  pending(key: string): Promise<CachedPage | undefined> | undefined {
    return this.fills.get(key)?.done;
  }

  /**
   * Starts the render of `key`: until `finish` is called, `pending(key)`
   * hands its result to the requests that ask.
   */
  begin(key: string) {
    let settle!: (page: CachedPage | undefined) => void;
    const done = new Promise<CachedPage | undefined>((resolve) => (settle = resolve));
    const fill: Fill = { generation: this.generation, done, settle };
    this.fills.set(key, fill);
    return {
      /** The render's page (undefined: not shareable, or it failed); keeps it unless a purge came first. */
      finish: (page: CachedPage | undefined) => {
        if (this.fills.get(key) === fill) this.fills.delete(key);
        const stale = fill.generation < this.clearedAt || page?.tags.some((tag) => (this.purgedAt.get(tag) ?? 0) > fill.generation);
        if (page && !stale) this.set(key, page);
        fill.settle(page);
      },
    };
  }

  set(key: string, page: CachedPage) {
    const bytes = key.length + page.body.reduce((n, piece) => n + piece.length, 0) + page.headers.reduce((n, [name, value]) => n + name.length + String(value).length, 0);
    if (bytes > this.maxEntryBytes) return;
    const old = this.entries.get(key);
    if (old) this.delete(old);
    const entry: Entry = { ...page, key, bytes, expires: this.now() + this.ttlMs };
    this.entries.set(key, entry);
    this.bytes += bytes;
    for (const tag of entry.tags) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
    // Least recently used first, and anything expired on the way.
    for (const oldest of this.entries.values()) {
      if (this.bytes <= this.maxBytes && oldest.expires > this.now()) break;
      this.delete(oldest);
    }
  }

  /** Drops every page with one of `tags`, and forgets every render under way (keeping what it makes only if none of `tags` is its page's). */
  purge(tags: Iterable<string>) {
    this.generation++;
    this.fills.clear();
    for (const tag of tags) {
      this.purgedAt.set(tag, this.generation);
      for (const key of this.byTag.get(tag) ?? []) {
        const entry = this.entries.get(key);
        if (entry) this.delete(entry);
      }
    }
  }

  clear() {
    this.purge([...this.byTag.keys()]);
    this.clearedAt = this.generation;
  }

  private delete(entry: Entry) {
    if (this.entries.get(entry.key) !== entry) return;
    this.entries.delete(entry.key);
    this.bytes -= entry.bytes;
    for (const tag of entry.tags) {
      const keys = this.byTag.get(tag);
      keys?.delete(entry.key);
      if (keys?.size === 0) this.byTag.delete(tag);
    }
  }
}

/** `/?sort=price-asc&q=mug` and `/?q=mug&sort=price-asc` are one page. */
export function normalizedUrl(path: string, originalUrl: string): string {
  const at = originalUrl.indexOf("?");
  if (at < 0 || at === originalUrl.length - 1) return path;
  const params = [...new URLSearchParams(originalUrl.slice(at + 1))];
  // Stable: repeated names keep their order, which may matter to a page.
  params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${path}?${new URLSearchParams(params).toString()}`;
}

export type MicroCacheOptions = {
  ttlMs: number;
  maxBytes: number;
  /** Whether this request's page may be shared. Anything else goes straight on. */
  shareable: (req: Request) => boolean;
  /** Which copy of a page this request may share; null: render it for this request alone. */
  variant: (req: Request) => string | null | Promise<string | null>;
};

/** The Express middleware. Mount it after compression and right before React Router's handler. */
export function microCache(options: MicroCacheOptions): RequestHandler & { cache: PageCache } {
  const cache = new PageCache(options);
  onCatalogChange((change) => cache.purge(tagsFor(change)));

  const handler = (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== "GET" || !options.shareable(req)) return next();
    if (req.headers[RATE_LIMITED_HEADER] !== undefined) {
      res.setHeader(MICRO_CACHE_HEADER, "bypass");
      return next();
    }
    Promise.resolve(options.variant(req)).then(undefined, () => null).then((variant) => {
      if (variant === null) {
        res.setHeader(MICRO_CACHE_HEADER, "bypass");
        return next();
      }
      const key = `${variant} ${req.protocol}://${req.host}${normalizedUrl(req.path, req.originalUrl)}`;
      const page = cache.get(key);
      if (page) return replay(res, page);
      const pending = cache.pending(key);
      if (pending) {
        // Rendered for someone else a moment ago, for this very key: theirs
        // if it could be kept, otherwise our own render.
        return void pending.then((shared) => (shared ? replay(res, shared) : render(req, res, next)));
      }
      const fill = cache.begin(key);
      record(res, (recorded) => fill.finish(recorded && shareable(recorded, variant) ? recorded : undefined));
      render(req, res, next);
    }, next);
  };
  return Object.assign(handler, { cache });
}

function render(_req: Request, res: Response, next: NextFunction) {
  res.setHeader(MICRO_CACHE_HEADER, "miss");
  next();
}

function replay(res: Response, page: CachedPage) {
  if (res.headersSent || res.writableEnded) return;
  const info = requestInfo(res);
  // This response's own nonce (the security headers made it, as for a
  // render) where the render had its: in the CSP header and in the body.
  const fill = (value: OutgoingHttpHeader) =>
    page.nonce && typeof value === "string" ? value.replaceAll(page.nonce, info.nonce) : value;
  const body = page.body.length === 1 ? page.body[0]! : joinWith(page.body, Buffer.from(info.nonce));
  res.statusCode = page.status;
  for (const [name, value] of page.headers) res.setHeader(name, fill(value));
  res.setHeader("Content-Length", body.length); // compression drops it when it encodes
  res.setHeader(MICRO_CACHE_HEADER, "hit");
  // The access log names the route, as for the render it replays.
  if (page.route !== undefined) info.route = page.route;
  if (page.data) info.data = true;
  res.end(body);
}

/** `body` cut at every occurrence of `nonce` (one piece when there is none, or no nonce). */
export function cutAt(body: Buffer, nonce: string): Buffer[] {
  if (!nonce) return [body];
  const needle = Buffer.from(nonce);
  const pieces: Buffer[] = [];
  let from = 0;
  for (let at = body.indexOf(needle); at >= 0; at = body.indexOf(needle, from)) {
    pieces.push(body.subarray(from, at));
    from = at + needle.length;
  }
  pieces.push(body.subarray(from));
  return pieces;
}

/** The pieces with `glue` between each two: one copy of the page. */
export function joinWith(pieces: Buffer[], glue: Buffer): Buffer {
  const parts: Buffer[] = [pieces[0]!];
  for (let i = 1; i < pieces.length; i++) parts.push(glue, pieces[i]!);
  return Buffer.concat(parts);
}

/**
 * A recorded answer may be kept when the route declared its page shareable
 * (a Cache-Tag), it is a 200 that sets no cookie, and, for a visitor without
 * a cookie, the cache rules let it be kept at all (app/web/cache.server.ts):
 * `public` for data, `private, max-age=0` for a document, whose nonce no
 * shared cache could renew (this one does); never `no-store`.
 */
function shareable(page: CachedPage, variant: string): boolean {
  const header = (name: string) => page.headers.find(([n]) => n === name)?.[1];
  if (page.status !== 200 || page.tags.length === 0 || header("set-cookie") !== undefined) return false;
  if (header("content-encoding") !== undefined) return false;
  return variant !== "anonymous" || !/\bno-store\b/.test(String(header("cache-control") ?? "no-store"));
}

/**
 * Records what goes out on `res` (status and headers when they are written,
 * then the body) and calls `done` with it at the end, or with undefined if
 * the connection closed first.
 */
function record(res: Response, done: (page: CachedPage | undefined) => void) {
  let status = 0;
  let headers: [string, OutgoingHttpHeader][] = [];
  const chunks: Buffer[] = [];
  let finished = false;
  const finish = (page: CachedPage | undefined) => {
    if (finished) return;
    finished = true;
    done(page);
  };
  const keep = (chunk: unknown, encoding: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === "function") return;
    chunks.push(
      typeof chunk === "string"
        ? Buffer.from(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8")
        : Buffer.from(chunk as Uint8Array),
    );
  };

  const { writeHead, write, end } = res;
  res.writeHead = function (this: Response, code: number, ...rest: unknown[]) {
    status = code;
    const all: OutgoingHttpHeaders = { ...this.getHeaders() };
    const given = rest.find((arg) => typeof arg === "object" && arg !== null) as OutgoingHttpHeaders | OutgoingHttpHeader[] | undefined;
    if (given && !Array.isArray(given)) for (const [name, value] of Object.entries(given)) all[name.toLowerCase()] = value;
    headers = Object.entries(all).filter((pair): pair is [string, OutgoingHttpHeader] => pair[1] !== undefined && !NOT_KEPT.has(pair[0]));
    return (writeHead as (...args: unknown[]) => Response).call(this, code, ...rest);
  } as Response["writeHead"];
  res.write = function (this: Response, chunk: unknown, ...rest: unknown[]) {
    keep(chunk, rest[0]);
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Response["write"];
  res.end = function (this: Response, chunk?: unknown, ...rest: unknown[]) {
    keep(chunk, rest[0]);
    const result = (end as (...args: unknown[]) => Response).call(this, chunk, ...rest);
    const tags = String(headers.find(([name]) => name === "cache-tag")?.[1] ?? "");
    const { route, data, nonce } = requestInfo(this);
    const body = cutAt(Buffer.concat(chunks), nonce);
    finish({ status, headers, body, nonce, tags: tags ? tags.split(/\s*,\s*/) : [], route, data });
    return result;
  } as Response["end"];
  res.once("close", () => finish(undefined));
}

/**
 * Pages are shared where the matched route's `handle` says `shareable`,
 * never by a path read here; the caller hands in the variant, so this
 * module reads no cookie.
 */
export function storeMicroCache(
  config: Pick<Env, "MICRO_CACHE_MS" | "MICRO_CACHE_MAX_MB">,
  app: Pick<MicroCacheOptions, "variant">,
): RequestHandler {
  if (config.MICRO_CACHE_MS === 0) return (_req, _res, next) => next();
  return microCache({
    ttlMs: config.MICRO_CACHE_MS,
    maxBytes: config.MICRO_CACHE_MAX_MB * 1024 * 1024,
    shareable: (req) => requestRoute(req)?.handle?.shareable === true,
    ...app,
  });
}

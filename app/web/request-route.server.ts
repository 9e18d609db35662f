// Which route a request reaches, decided once, the way React Router decides
// it, for the rate limits, the micro-cache and the access log. A path read
// any other way can be walked around (`/admin/x/%2E%2E/Sign-In/.` runs the
// sign-in action): here the same URL parser reads the same string and React
// Router's own matcher the same route table
// (docs/decisions/026-one-route-per-request.md).
import type { IncomingMessage } from "node:http";
import type { Request, RequestHandler } from "express";
import { createStaticHandler, type ServerBuild } from "react-router";
import type { RateLimitName } from "#app/web/rate-limited.server.ts";

/** A route module's `handle`: what the checks before React Router read, instead of a copy of its path. */
export type RouteHandle = {
  /** The limit a request to this route counts against, by method (HEAD counts as GET). */
  rateLimit?: Partial<Record<"GET" | "POST", RateLimitName>>;
  /** The page is the same for every visitor without a cookie: the micro-cache may share it. */
  shareable?: boolean;
};

export type RequestRoute = {
  /**
   * The pattern of the route that answers, as app/routes.ts declares it and
   * the access log prints it (`/admin/sign-in`, `/orders/:publicId`): for a
   * POST, the route whose action runs; otherwise the deepest route matched,
   * whose page renders. Undefined when no route matches (React Router
   * answers 404). A pattern, not the route's id (its file): files move,
   * addresses stay. (An index route has its parent's pattern: `/` is the
   * catalog's page, and the root's action.)
   */
  pattern?: string;
  handle?: RouteHandle;
  /** The path React Router matches: resolved, without `.data`, not yet decoded. */
  pathname: string;
};

type StaticHandler = ReturnType<typeof createStaticHandler>;
type Routes = Parameters<typeof createStaticHandler>[0];
type Table = { handler: StaticHandler; handles: Map<string, RouteHandle | undefined>; recent: Map<string, RequestRoute> };

/**
 * Matching is a visible share of a page the micro-cache answers, so each
 * build remembers the route of recent paths read (GET, HEAD). Bounded
 * whatever clients send; emptied when full.
 */
const RECENT_PATHS = 1_000;
const MAX_REMEMBERED_LENGTH = 256;

/**
 * The build's route table in the shape React Router's own server runtime
 * gives it to its matcher (a tree made from the flat manifest: index routes
 * have no children), with the same basename and future flags. Made once per
 * build (rebuilding it per request would cost a quarter of a millisecond).
 */
const tables = new WeakMap<ServerBuild, Table>();
function routeTable(build: ServerBuild): Table {
  let table = tables.get(build);
  if (!table) {
    const manifest = Object.values(build.routes).filter((route) => route !== undefined);
    const children = (parentId: string): Routes =>
      manifest
        .filter((route) => (route.parentId || "") === parentId)
        .map((route) =>
          route.index
            ? { id: route.id, path: route.path, index: true }
            : { id: route.id, path: route.path, caseSensitive: route.caseSensitive, children: children(route.id) },
        );
    const handler = createStaticHandler(children(""), { basename: build.basename, future: build.future });
    const handles = new Map(manifest.map((route) => [route.id, route.module.handle as RouteHandle | undefined]));
    table = { handler, handles, recent: new Map() };
    tables.set(build, table);
  }
  return table;
}

/** What React Router does with a request for `target` (the request line's path and query). */
export function resolveRoute(build: ServerBuild, method: string, target: string): Readonly<RequestRoute> {
  const table = routeTable(build);
  const { recent } = table;
  // A form post is matched every time: its query may choose the action (`?index`).
  if (method !== "GET" && method !== "HEAD") return match(table, false, target);
  // A page's route does not depend on its query.
  const path = target.split("?", 1)[0]!;
  let route = recent.get(path);
  if (!route) {
    route = match(table, true, path);
    if (path.length <= MAX_REMEMBERED_LENGTH) {
      if (recent.size >= RECENT_PATHS) recent.clear();
      recent.set(path, route);
    }
  }
  return route;
}

function match({ handler, handles }: Table, reads: boolean, target: string): RequestRoute {
  // As @react-router/express builds the request URL: the target appended to
  // an origin, not resolved against one (which would read `//host/x` as a
  // host). The origin does not change the path.
  let url: URL;
  try {
    url = new URL(`http://store.invalid${target}`);
  } catch {
    return { pathname: target };
  }
  // As React Router's getNormalizedPath: `/_.data` is the data request for
  // `/`, and `<path>.data` for `<path>`.
  const pathname = url.pathname.endsWith("/_.data") ? url.pathname.slice(0, -"_.data".length) : url.pathname.replace(/\.data$/, "");
  const matches = handler.match(pathname);
  if (!matches) return { pathname };
  let answering = matches.length - 1;
  // A POST runs one action: an index route's only with a bare `?index`, else
  // that of the deepest route with a path of its own (React Router's
  // getTargetMatch), so a post to `/` goes to the root route, not the catalog.
  if (!reads && !(matches[answering]!.route.index && new URLSearchParams(url.search).getAll("index").includes(""))) {
    answering = matches.findLastIndex((m, i) => i === 0 || Boolean(m.route.path));
  }
  // As React Router's getRoutePattern: the paths down to that route, joined.
  const paths = matches.slice(0, answering + 1).map((m) => m.route.path);
  const pattern = `/${paths.filter(Boolean).join("/")}`.replace(/\/{2,}/g, "/");
  return { pattern, handle: handles.get(matches[answering]!.route.id), pathname };
}

const resolved = new WeakMap<IncomingMessage, Readonly<RequestRoute>>();

/**
 * Middleware: resolves each request's route for the checks after it. In
 * development `build` is a function (Vite loads the app per request); a
 * build that does not load resolves to no route, and React Router shows
 * the error itself.
 */
export function resolveRoutes(build: () => ServerBuild | (() => Promise<ServerBuild>)): RequestHandler {
  return async (req, _res, next) => {
    const current = build();
    const loaded = typeof current === "function" ? await current().catch(() => undefined) : current;
    resolved.set(req, loaded ? resolveRoute(loaded, req.method, req.originalUrl) : { pathname: req.path });
    next();
  };
}

/** The route resolveRoutes found for this request; undefined if it was answered before that. */
export function requestRoute(req: Request | IncomingMessage): Readonly<RequestRoute> | undefined {
  return resolved.get(req);
}

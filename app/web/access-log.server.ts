// One logfmt line per request, when its answer is finished or abandoned
// (examples: docs/operations.md#logs). Never the URL itself (an order's
// address is its key, a search may hold a name), query strings, headers,
// cookies, form fields, or the client's address. Health checks are not
// logged: a probe every few seconds would drown the rest.
// docs/decisions/021-access-log.md says why not pino.
import type { Request, RequestHandler, Response } from "express";
import { requestInfo } from "#app/core/request-info.ts";
import { MICRO_CACHE_HEADER } from "#app/web/micro-cache.server.ts";
import { requestRoute } from "#app/web/request-route.server.ts";

/** Where a request was going, without anything private: /orders/<id> becomes /orders. */
export function section(path: string) {
  return `/${path.split("/")[1] ?? ""}`;
}

type Locals = { refused?: string };

/** Records why the store refused a request: the access log line says so. */
export function refusedBecause(res: Response, reason: string) {
  (res.locals as Locals).refused = reason;
}

const QUIET = new Set(["/health/live", "/health/ready"]);

function value(v: string | number) {
  return typeof v === "number" || /^[\w/:.()-]+$/.test(v) ? String(v) : JSON.stringify(v);
}

export function accessLog(log: (message: string) => void): RequestHandler {
  return (req: Request, res: Response, next) => {
    if (QUIET.has(req.path)) return next();
    const started = performance.now();
    res.once("close", () => {
      const { refused } = res.locals as Locals;
      const info = requestInfo(res);
      const fields: Record<string, string | number> = {
        method: req.method,
        route: info.route ?? section(requestRoute(req)?.pathname ?? req.path),
        // "-": the client went away before any answer was sent.
        status: res.headersSent ? res.statusCode : "-",
        ms: Math.round(performance.now() - started),
      };
      if (info.data) fields.via = "data";
      // Replayed by the micro-cache (app/web/micro-cache.server.ts), not rendered.
      if (res.getHeader(MICRO_CACHE_HEADER) === "hit") fields.cache = "hit";
      if (!res.writableFinished) fields.aborted = "client went away";
      if (refused) fields.refused = refused;
      log(`http ${Object.entries(fields).map(([k, v]) => `${k}=${value(v)}`).join(" ")}`);
    });
    next();
  };
}

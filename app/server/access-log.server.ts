// One line per request, when its answer is finished (or abandoned), in
// logfmt (key=value pairs, which log shippers parse and people can read):
//
//   [store] http method=GET route=/orders/:publicId status=200 ms=4
//   [store] http method=POST route=/products/:slug status=302 ms=9 via=data
//   [store] http method=GET route=/ status=400 ms=0 refused="no Host header"
//
// What it never holds: the URL itself (an order's address is its key, a
// search may hold a name), query strings, headers, cookies, form fields, or
// the client's address. The route is the pattern React Router matched; for
// what Express answers itself (files, health checks, refusals) only the
// first path segment. Health checks are not logged: a probe every few
// seconds would drown the rest. docs/decisions/021-access-log.md says why
// not pino.
import type { Request, RequestHandler, Response } from "express";
import type { RequestInfo } from "#app/lib/request-info.ts";

/** Where a request was going, without anything private: /orders/<id> becomes /orders. */
export function section(path: string) {
  return `/${path.split("/")[1] ?? ""}`;
}

type Locals = { refused?: string; requestInfo?: RequestInfo };

/** Records why the store refused a request: the access log line says so. */
export function refusedBecause(res: Response, reason: string) {
  (res.locals as Locals).refused = reason;
}

/** The object server.ts hands React Router as load context, created here for each request. */
export function requestInfo(res: Response): RequestInfo {
  const locals = res.locals as Locals;
  return (locals.requestInfo ??= { nonce: "" });
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
      const locals = res.locals as Locals;
      const fields: Record<string, string | number> = {
        method: req.method,
        route: locals.requestInfo?.route ?? section(req.path),
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
      };
      if (locals.requestInfo?.data) fields.via = "data";
      if (!res.writableFinished) fields.aborted = "client went away";
      if (locals.refused) fields.refused = locals.refused;
      log(`http ${Object.entries(fields).map(([k, v]) => `${k}=${value(v)}`).join(" ")}`);
    });
    next();
  };
}

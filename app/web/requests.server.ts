// Requests the store refuses before any page code sees them, and the last
// word on errors Express itself raises. Every refusal is a 4xx with a short
// text a person can read, and one log line: a client can send any bytes it
// likes, and none of them should produce a 500 or a stack trace (which would
// also let anyone flood the log).
import type { ServerResponse } from "node:http";
import type { ErrorRequestHandler, Request, RequestHandler, Response } from "express";
import { refusedBecause } from "#app/web/access-log.server.ts";

function refuse(res: Response, status: number, text: string, reason: string, headers: Record<string, string> = {}) {
  refusedBecause(res, reason);
  res.status(status).set(headers).type("text/plain").send(text);
}

// The store's pages answer GET and HEAD, and its forms POST. Anything else
// (PUT, DELETE, OPTIONS, TRACE…) is a 405 naming what is allowed; methods
// Node's parser does not know get its own 400 before reaching us.
const ALLOWED_METHODS = new Set(["GET", "HEAD", "POST"]);
const ALLOW = [...ALLOWED_METHODS].join(", ");

// A host name (underscores allowed: Compose names containers store_1), an
// IPv4 address or a bracketed IPv6 address, and an optional port...
const HOST = /^(?:\[[0-9a-f:.]+\]|[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*\.?)(?::(\d{1,5}))?$/i;

function validHost(host: string | undefined): boolean {
  if (!host) return false;
  const match = HOST.exec(host);
  // ...that a URL can hold: the request URL is built from it, and a host the
  // URL parser refuses ("[1]", "256.1.1.1") would otherwise be a 500 there.
  return match !== null && (match[1] === undefined || Number(match[1]) <= 65_535) && URL.canParse(`http://${host}/`);
}

/**
 * Refuses what no browser sends to a store: a method it does not serve, a
 * target that is not a path (`GET http://other.example/` is for proxies,
 * `OPTIONS *` for the server as a whole), a missing or malformed Host (the
 * request URL is built from it), a path whose %-escapes do not decode.
 */
export function refuseMalformed(): RequestHandler {
  return (req, res, next) => {
    let problem: string | undefined;
    if (!ALLOWED_METHODS.has(req.method)) {
      return refuse(res, 405, `Method Not Allowed: the store answers ${ALLOW}.`, "method not allowed", { Allow: ALLOW });
    }
    if (!req.url.startsWith("/")) problem = "the request target is not a path";
    // req.host is the Host header, or X-Forwarded-Host when TRUST_PROXY trusts it.
    else if (!validHost(req.host)) problem = req.host ? "the Host header is not a host name" : "no Host header";
    // A list of forwarded hosts: Express takes the first, React Router's
    // adapter reads the whole header, and the two would disagree about the
    // request's own address. A proxy in front should set one.
    else if (req.app.enabled("trust proxy") && req.get("X-Forwarded-Host")?.includes(",")) {
      problem = "X-Forwarded-Host holds more than one host";
    }
    else {
      try {
        decodeURIComponent(req.path);
      } catch {
        problem = "the path has a malformed %-escape";
      }
    }
    if (!problem) return next();
    refuse(res, 400, `Bad Request: ${problem}.`, problem);
  };
}


/**
 * Form posts must come from the store's own pages: `Sec-Fetch-Site:
 * cross-site`, a foreign `Origin` (`null` included) or, with no Origin, a
 * foreign `Referer` is refused. A request with none of them is not from a
 * browser (it carries no cookie a page elsewhere could borrow) and passes,
 * as React Router lets it. Checked before React Router's own bare 400 so a
 * refusal is one readable answer and one log line
 * (docs/decisions/010-own-origin-check.md).
 */
export function refuseCrossOrigin(): RequestHandler {
  return (req, res, next) => {
    // POST is the only method that gets this far (refuseMalformed).
    if (req.method !== "POST") return next();
    const origin = req.get("origin");
    // React Router's adapter (8.4) drops the port of an IPv6 address when it
    // builds the request URL, so its own origin check refuses every such post
    // with a stack trace: refuse it here, once, in words.
    if (origin !== undefined && /^\[[^\]]*\]:\d+$/.test(req.get("host") ?? "")) {
      return refuse(
        res,
        400,
        "Bad Request: forms cannot be posted to an IPv6 address with a port. Use the store's host name.",
        "a form post to an IPv6 address with a port",
      );
    }
    const problem = fromElsewhere(req);
    if (!problem) return next();
    refuse(
      res,
      400,
      "Bad Request: this form was sent from another site, so the store did not accept it. Go back to the store and try again.",
      problem,
    );
  };
}

function fromElsewhere(req: Request): string | null {
  if (req.get("sec-fetch-site") === "cross-site") return "a form post from another site";
  const own = `${req.protocol}://${req.host}`;
  const origin = req.get("origin");
  if (origin !== undefined) return sameOrigin(origin, own) ? null : "a form post from another origin";
  const referer = req.get("referer");
  if (referer !== undefined && !sameOrigin(referer, own)) return "a form post referred by another origin";
  return null;
}

/** Whether `url` (an Origin, or a Referer's whole URL) is on `requestOrigin`. */
function sameOrigin(url: string, requestOrigin: string) {
  try {
    return new URL(url).origin === new URL(requestOrigin).origin;
  } catch {
    return false; // "null" (a sandboxed page), or not a URL at all
  }
}

/**
 * Errors Express and its middleware raise themselves carry an HTTP status:
 * a range past the end of a file (416), a request aborted mid-body. Those
 * are the client's, answered with their status and one log line. Anything
 * else is a bug: a 500 and its stack, which is what a bug report needs.
 */
export function answerErrors(): ErrorRequestHandler {
  return (error: { status?: unknown; statusCode?: unknown; headers?: unknown; message?: unknown }, _req, res, next) => {
    if (res.headersSent) return next(error);
    const status = Number(error.status ?? error.statusCode);
    if (status >= 400 && status < 500) {
      const headers = typeof error.headers === "object" && error.headers ? (error.headers as Record<string, string>) : {};
      return refuse(res, status, String(error.message), String(error.message), headers);
    }
    console.error(error);
    res.status(500).type("text/plain").send("Something went wrong on our side. Please try again in a moment.");
  };
}

/**
 * `Cache-Control: no-store` on any answer that goes out without one. Set
 * when the headers are written, not up front: React Router's adapter
 * appends its headers, which would add to a default instead of replacing it.
 */
export const noStoreByDefault: RequestHandler = (_req, res, next) => {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse["writeHead"]>) {
    if (!this.hasHeader("Cache-Control")) this.setHeader("Cache-Control", "no-store");
    return writeHead.apply(this, args);
  } as typeof res.writeHead;
  next();
};

// Security headers on every answer (helmet), with a Content-Security-Policy
// whose script nonce is new for every response. docs/security.md says what
// each header stops; docs/decisions/020-security-headers.md why helmet.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestHandler, Response } from "express";
import helmet from "helmet";
import { requestInfo } from "#app/core/request-info.ts";

export function securityHeaders({ production, formTargets = [] }: { production: boolean; formTargets?: string[] }): RequestHandler[] {
  const nonce = (_req: IncomingMessage, res: ServerResponse) => `'nonce-${requestInfo(res as Response).nonce}'`;
  return [
    (_req, res, next) => {
      // The nonce travels to the render with the request's other details
      // (app/core/request-info.ts). In development Vite's dev server adds
      // scripts and styles of its own, and React Router a critical-CSS link
      // whose nonce cannot match after hydration: no nonce there, and a
      // looser policy (below).
      if (production) requestInfo(res).nonce = randomBytes(16).toString("base64");
      next();
    },
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          "default-src": ["'self'"],
          // Only scripts that carry this response's nonce, and what they load
          // ('strict-dynamic'): React Router's module scripts and preloads.
          "script-src": production ? [nonce, "'strict-dynamic'"] : ["'self'", "'unsafe-inline'"],
          // Vite's dev server injects styles from JavaScript and talks to the
          // page over a WebSocket: allowed in development only.
          "style-src": production ? ["'self'"] : ["'self'", "'unsafe-inline'"],
          "connect-src": production ? ["'self'"] : ["'self'", "ws:", "wss:"],
          // blob: the product form's preview of a file the person chose
          // (URL.createObjectURL): bytes already on their machine, shown to them.
          "img-src": ["'self'", "data:", "blob:"],
          "font-src": ["'self'"],
          "object-src": ["'none'"],
          "base-uri": ["'none'"],
          // Browsers apply form-action to where a post's redirect leads too:
          // checkout answers 303 to the payment provider's page.
          "form-action": ["'self'", ...formTargets],
          "frame-ancestors": ["'none'"],
          // Not upgrade-insecure-requests: a store reached over plain HTTP on
          // a LAN would then ask for its own scripts over HTTPS and break.
        },
      },
      // Sent only where browsers honour them, below.
      strictTransportSecurity: false,
      crossOriginOpenerPolicy: false,
      originAgentCluster: false,
      // Not helmet's no-referrer: with it, browsers send `Origin: null` on a
      // form post, which the store's origin check (decision 010) refuses.
      referrerPolicy: { policy: "strict-origin-when-cross-origin" },
      xFrameOptions: { action: "deny" },
    }),
    (req, res, next) => {
      // req.secure honours TRUST_PROXY (X-Forwarded-Proto from a trusted proxy).
      // HSTS over HTTPS only: over plain HTTP it is ignored anyway, and a
      // store tried out on http:// must not be pinned to HTTPS.
      if (req.secure) res.setHeader("Strict-Transport-Security", "max-age=31536000");
      // These two work only in a secure context, and over plain HTTP at a
      // real host name Chromium says so on every page (an error for
      // Cross-Origin-Opener-Policy, a warning for Origin-Agent-Cluster).
      // Sent where they work: over HTTPS, or at a loopback name, which
      // browsers trust as they trust HTTPS.
      if (req.secure || isLoopback(req.hostname ?? "")) {
        res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
        res.setHeader("Origin-Agent-Cluster", "?1");
      }
      res.setHeader(
        "Permissions-Policy",
        "accelerometer=(), autoplay=(), browsing-topics=(), camera=(), display-capture=(), geolocation=(), " +
          "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), publickey-credentials-get=(), usb=()",
      );
      next();
    },
  ];
}

/**
 * Whether a host name is one browsers count as potentially trustworthy
 * without HTTPS: `localhost` and its subdomains, 127.0.0.0/8 and `[::1]`
 * (https://w3c.github.io/webappsec-secure-contexts/#is-origin-trustworthy).
 * `hostname` is Express's req.hostname: the Host header without its port.
 */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || /^127(?:\.\d{1,3}){3}$/.test(host);
}

// Security headers on every answer (helmet), with a Content-Security-Policy
// whose script nonce is new for every response. docs/security.md says what
// each header stops; docs/decisions/020-security-headers.md why helmet.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestHandler, Response } from "express";
import helmet from "helmet";
import { requestInfo } from "#app/lib/request-info.ts";

export function securityHeaders({ production }: { production: boolean }): RequestHandler[] {
  const nonce = (_req: IncomingMessage, res: ServerResponse) => `'nonce-${requestInfo(res as Response).nonce}'`;
  return [
    (_req, res, next) => {
      // The nonce travels to the render with the request's other details
      // (app/lib/request-info.ts). In development Vite's dev server adds
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
          "img-src": ["'self'", "data:"],
          "font-src": ["'self'"],
          "object-src": ["'none'"],
          "base-uri": ["'none'"],
          "form-action": ["'self'"],
          "frame-ancestors": ["'none'"],
          // Not upgrade-insecure-requests: a store reached over plain HTTP on
          // a LAN would then ask for its own scripts over HTTPS and break.
        },
      },
      // Sent only over HTTPS, below: over plain HTTP it is ignored anyway, and
      // a store tried out on http:// must not be pinned to HTTPS.
      strictTransportSecurity: false,
      // Not helmet's no-referrer: with it, browsers send `Origin: null` on a
      // form post, which the store's origin check (decision 010) refuses.
      referrerPolicy: { policy: "strict-origin-when-cross-origin" },
      xFrameOptions: { action: "deny" },
    }),
    (req, res, next) => {
      // req.secure honours TRUST_PROXY (X-Forwarded-Proto from a trusted proxy).
      if (req.secure) res.setHeader("Strict-Transport-Security", "max-age=31536000");
      res.setHeader(
        "Permissions-Policy",
        "accelerometer=(), autoplay=(), browsing-topics=(), camera=(), display-capture=(), geolocation=(), " +
          "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), publickey-credentials-get=(), usb=()",
      );
      next();
    },
  ];
}

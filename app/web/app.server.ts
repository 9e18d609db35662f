// The store's Express app: the middleware, in the order a request meets it.
// The order is the point: each line says why it sits where it does.
import { existsSync } from "node:fs";
import { extname, join } from "node:path";
import { pathToFileURL } from "node:url";
import compression from "compression";
import express from "express";
import { createRequestHandler } from "@react-router/express";
import { RouterContextProvider, type ServerBuild } from "react-router";
import { databaseContext, databaseDamage, type AppDatabase } from "#app/db/connection.server.ts";
import { configContext, paymentProvider, type Env } from "#app/core/env.server.ts";
import { onlinePayments, paymentPageOrigins } from "#app/store/payments.server.ts";
import { startSweeper, sweepHolds } from "#app/store/holds.server.ts";
import { paymentWebhook, WEBHOOK_PATH } from "#app/web/payment-webhook.server.ts";
import { projectRoot } from "#app/core/paths.server.ts";
import { requestInfo, requestInfoContext } from "#app/core/request-info.ts";
import { UPLOADS_URL } from "#app/store/images.server.ts";
import { accessLog } from "#app/web/access-log.server.ts";
import { pageVariant } from "#app/web/cache.server.ts";
import { storeMicroCache } from "#app/web/micro-cache.server.ts";
import { rateLimits, type RateLimitStores } from "#app/web/rate-limits.server.ts";
import { resolveRoutes } from "#app/web/request-route.server.ts";
import { answerErrors, noStoreByDefault, refuseCrossOrigin, refuseMalformed } from "#app/web/requests.server.ts";
import { securityHeaders } from "#app/web/security-headers.server.ts";
import { productImages } from "#app/web/uploads.server.ts";
import type { RenderModule } from "#app/web/mail.server.ts";
import { KnownError } from "#app/core/errors.ts";

export class AppError extends KnownError {
  override name = "AppError";
}

/**
 * Whether the store may serve. The schema and the drain are kept apart: a
 * store with pending migrations must not serve pages even while it drains.
 */
export type Readiness = {
  /** Every migration applied, by this process or by a release step. */
  schemaReady: boolean;
  /** SIGTERM/SIGINT received. */
  draining: boolean;
  /**
   * One of several workers whose host has not started them all yet
   * (app/ops/cluster.server.ts): readiness waits for every one.
   */
  hostStarting?: boolean;
};

/** What /health/ready answers: migrated, not draining, and no query has found the file damaged. */
export function isReady(readiness: Readiness) {
  return readiness.schemaReady && !readiness.draining && !readiness.hostStarting && !databaseDamage();
}

export type App = {
  app: express.Express;
  closeDevServer?: () => Promise<void>;
  /** Settles held orders whose hold ran out; stopped with the server. */
  sweeper: { stop: () => Promise<void> };
  /** The email templates (React components), loaded the way the pages are: bundled, or through Vite. */
  loadRender: () => Promise<RenderModule>;
};

/** What differs between the processes of a host that runs several (app/web/cluster.server.ts). */
export type ProcessRole = {
  /** Whether this process runs the background loops (the payment sweeper here; server.ts starts the email sender). */
  background: boolean;
  /** Where the rate limits count: this process's memory when undefined. */
  rateLimitStore?: RateLimitStores;
};

export async function createApp(
  config: Env,
  { db, readiness }: { db: AppDatabase; readiness: Readiness },
  log: (message: string) => void,
  role: ProcessRole = { background: true },
): Promise<App> {
  const production = config.NODE_ENV === "production";
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", config.TRUST_PROXY);

  // One line per request in the log, whatever answers it (docs/operations.md#logs).
  app.use(accessLog(log));
  // Nothing may be cached unless it says so: static files and the store's
  // shareable pages set their own Cache-Control (app/web/cache.server.ts).
  app.use(noStoreByDefault);
  // Security headers on every answer, refusals included (docs/security.md).
  app.use(securityHeaders({ production, formTargets: paymentPageOrigins(config) }));
  // Before anything else: requests no browser sends get a 4xx and one line.
  app.use(refuseMalformed());
  // Which route each request reaches, read exactly as React Router will read
  // it, for the rate limits, the micro-cache and the access log
  // (docs/decisions/026-one-route-per-request.md). `build` is set below,
  // before the server listens.
  let build: ServerBuild | (() => Promise<ServerBuild>);
  app.use(resolveRoutes(() => build));

  // Liveness: the process is up and its event loop turns. Nothing else, so a
  // slow database never gets a healthy container restarted.
  app.get("/health/live", (_req, res) => {
    res.json({ status: "ok" });
  });

  // Readiness: migrations applied, not shutting down, and the database answers.
  // The body is generic on purpose: no error text, path or driver detail.
  app.get("/health/ready", (_req, res) => {
    if (!isReady(readiness)) return void res.status(503).json({ status: "unavailable" });
    try {
      db.$client.prepare("SELECT 1").get();
      res.json({ status: "ready" });
    } catch {
      res.status(503).json({ status: "unavailable" });
    }
  });

  // Payment webhooks (docs/payments.md): signed by the provider, not posted by
  // a browser, so before compression, the origin check and the form limits.
  const payments = await onlinePayments(config);
  log(`payments: ${paymentProvider(config)}${payments ? `, webhooks at ${WEBHOOK_PATH}` : ""}`);
  if (payments) {
    app.post(WEBHOOK_PATH, ...paymentWebhook({ provider: payments, database: () => db, ready: () => isReady(readiness), log }));
  }
  // Held orders whose hold ran out: settled every PAYMENT_SWEEP_SECONDS once
  // the schema is current. Its timer never keeps a stopping store alive.
  // One process per host runs it (app/web/cluster.server.ts).
  const sweeper = role.background ? startSweeper(
    async () =>
      readiness.schemaReady && !readiness.draining
        ? sweepHolds(db, payments, { keepEventsDays: config.PAYMENT_EVENTS_KEEP_DAYS })
        : { cancelled: 0, paid: 0, waiting: 0, unreachable: 0, pruned: 0 },
    log,
    config.PAYMENT_SWEEP_SECONDS * 1000,
  ) : { stop: async () => {} };

  app.use(compression());

  app.use(refuseCrossOrigin());

  let closeDevServer: (() => Promise<void>) | undefined;
  let loadRender: () => Promise<RenderModule>;
  if (production) {
    const buildDir = join(projectRoot(), "build");
    const serverBuild = join(buildDir, "server", "index.js");
    if (!existsSync(serverBuild)) throw new AppError("no production build found: run `npm run build` first");
    // Hashed file names: cache forever. Everything else in public/: one hour.
    app.use("/assets", express.static(join(buildDir, "client", "assets"), { immutable: true, maxAge: "1y" }));
    const publicFiles = express.static(join(buildDir, "client"), { maxAge: "1h" });
    // Page URLs have no file extension: skip the disk lookup (a stat per
    // request, ~3% of a page's CPU) for them.
    app.use((req, res, next) => (extname(req.path) ? publicFiles(req, res, next) : next()));
    build = (await import(pathToFileURL(serverBuild).href)) as ServerBuild;
    loadRender = () => import("#app/store/mail/messages/render.server.tsx");
  } else {
    const vite = await import("vite");
    const devServer = await vite.createServer({ server: { middlewareMode: true } });
    // A Vite server the React Router plugin starts inside this one exits the
    // process on SIGTERM (after closing itself), which would cut the store's
    // drain short; the store's own shutdown closes Vite. Its listeners are
    // the only ones so far: server.ts adds its own after this returns.
    for (const listener of process.listeners("SIGTERM")) process.off("SIGTERM", listener);
    app.use(devServer.middlewares);
    closeDevServer = () => devServer.close();
    build = () => devServer.ssrLoadModule("virtual:react-router/server-build") as Promise<ServerBuild>;
    loadRender = () => devServer.ssrLoadModule("/app/store/mail/messages/render.server.tsx") as Promise<RenderModule>;
  }

  // How often one client may post, order, guess (docs/security.md).
  app.use(rateLimits(config, role.rateLimitStore));
  if (config.TRUST_PROXY === true) {
    log(
      "TRUST_PROXY=true believes every X-Forwarded-For hop: a client can pick the address rate limits count " +
        "it under. Set the number of proxies in front of the store instead (usually 1).",
    );
  }
  // Uploaded product images (docs/admin.md).
  app.use(UPLOADS_URL, productImages(config.DATABASE_PATH));

  // Store pages wait for the schema: answering from an old schema is worse
  // than a short 503. (While draining, requests already accepted still finish.)
  // A database a page found damaged is not served from at all.
  app.use((_req, res, next) => {
    if (readiness.schemaReady && !databaseDamage()) return next();
    res
      .status(503)
      .set("Retry-After", "5")
      .type("text/plain")
      .send(
        readiness.schemaReady
          ? "The store is unavailable. Please try again later."
          : "The store is being updated. Please try again in a moment.",
      );
  });

  // Catalog, search and product pages: rendered once per MICRO_CACHE_MS for
  // everyone who would see the same page (docs/decisions/024-micro-cache.md).
  // Mounted here, last before React Router: after the access log (which logs
  // hits too), the security headers (whose nonce each replay fills into
  // its copy), compression (which encodes each replay) and the rate limits
  // (a request they marked is never answered from, or kept in, the cache).
  app.use(storeMicroCache(config, { variant: (req) => pageVariant(req.headers.cookie, config) }));
  app.use(
    createRequestHandler({
      build,
      mode: production ? "production" : "development",
      getLoadContext(_req, res) {
        const context = new RouterContextProvider();
        context.set(configContext, config);
        context.set(databaseContext, db);
        context.set(requestInfoContext, requestInfo(res));
        return context;
      },
    }),
  );
  app.use(answerErrors());
  return { app, closeDevServer, loadRender, sweeper };
}

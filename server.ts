// The store's entry point:
//   development: `npm run dev`   Node runs this file (type stripping), with
//                                Vite middleware and hot reload
//   production:  `npm start` / the Docker image run build/server/server.js:
//                this file bundled with the pages and every dependency by
//                `npm run build` (vite.config.ts), which starts in a quarter
//                of the time (docs/decisions/025-bundled-server.md)
//
// Startup order is the point of this file:
//   1. validate the environment        4. seed demo data (if enabled)
//   2. open the database               5. listen; /health/ready turns 200
//   3. apply pending migrations
// No request is served before the schema is current, and a failed migration
// stops the process (exit 1) with the database left as it was.

import { existsSync } from "node:fs";
import { extname, join } from "node:path";
import { pathToFileURL } from "node:url";
import compression from "compression";
import express from "express";
import { createRequestHandler } from "@react-router/express";
import { RouterContextProvider, type ServerBuild } from "react-router";
import { applyMigrations } from "#app/db/apply-migrations.server.ts";
import { closeSharedDatabase, database, databaseDamage, quickCheck } from "#app/db/connection.server.ts";
import { MIGRATIONS_FOLDER, migrationState } from "#app/db/migrator.server.ts";
import { seedDemoProducts } from "#app/db/seed.server.ts";
import { env as readEnv, paymentProvider, publicUrl, sessionSecrets, type Env } from "#app/core/env.server.ts";
import { errorMessage } from "#app/core/errors.ts";
import { requestInfo, requestInfoContext } from "#app/core/request-info.ts";
import { accessLog } from "#app/web/access-log.server.ts";
import { projectRoot } from "#app/core/paths.server.ts";
import { createDrainableServer } from "#app/web/drain.server.ts";
import { storeMicroCache } from "#app/web/micro-cache.server.ts";
import { answerErrors, noStoreByDefault, refuseCrossOrigin, refuseMalformed } from "#app/web/requests.server.ts";
import { securityHeaders } from "#app/web/security-headers.server.ts";
import { UPLOADS_URL } from "#app/store/images.server.ts";
import { rateLimits } from "#app/web/rate-limits.server.ts";
import { resolveRoutes } from "#app/web/request-route.server.ts";
import { productImages } from "#app/web/uploads.server.ts";
import { onlinePayments, paymentPageOrigins } from "#app/store/payments.server.ts";
import { startSweeper, sweepHolds } from "#app/store/holds.server.ts";
import { paymentWebhook, WEBHOOK_PATH } from "#app/web/payment-webhook.server.ts";
import { startMail, type RenderModule } from "#app/web/mail.server.ts";
import type { Sender } from "#app/store/mail/sender.server.ts";

const PENDING_POLL_MS = 2_000;

// Files this process creates (the database, its -wal and -shm, backups,
// uploaded images) are readable and writable by its own user only: other
// accounts on the host, or in a shared volume, have no business reading
// orders. (The CLI, app/cli/cli.ts, does the same.)
process.umask(0o077);

function log(message: string) {
  console.log(`[store] ${message}`);
}
function fail(message: string): never {
  console.error(`[store] ${message}`);
  closeSharedDatabase();
  process.exit(1);
}

// Ready = the schema is current and we are not shutting down. The two are
// kept apart: a store with pending migrations must not serve pages even
// while it drains.
let schemaReady = false; // every migration applied (by us or a release step)
let draining = false; // SIGTERM/SIGINT received

// The built file (build/server/server.js) is the production server, and
// server.ts run by Node the development one: one mode per entry point. So the
// built server needs no NODE_ENV (`node --env-file=.env build/server/server.js`
// must not quietly start Vite with the development secret).
const built = Boolean(import.meta.env?.PROD);
if (built) process.env.NODE_ENV ||= "production";

let config: Env;
try {
  config = readEnv();
  // The CLI may run without these (db:migrate needs neither); the store may not.
  sessionSecrets(config);
  publicUrl(config);
} catch (error) {
  fail(errorMessage(error));
}
const production = config.NODE_ENV === "production";
// In production the pages (build/server/index.js) carry their own bundled
// copies of React Router and Drizzle: this file must be the bundled one too,
// or two copies of each would meet. The bundle has no development mode.
if (production && !built) {
  fail("in production, run the built server: `npm run build`, then `npm start` (node build/server/server.js)");
}
if (!production && built) {
  fail(`build/server/server.js is the production server, and NODE_ENV is ${config.NODE_ENV}: for development run \`npm run dev\``);
}

// --- 2. database -----------------------------------------------------------
let db: ReturnType<typeof database>;
try {
  db = database();
} catch (error) {
  fail(`cannot open the database at ${config.DATABASE_PATH}: ${errorMessage(error)}`);
}
log(`database ${config.DATABASE_PATH} (WAL)`);

// A damaged file (a disk error, a -wal deleted after a crash, a copy made
// with cp while the store wrote) must not be migrated or served.
{
  const started = performance.now();
  const problem = quickCheck(db, config.STARTUP_CHECK_MAX_MB * 1024 * 1024);
  if (problem) {
    fail(
      `the database is damaged (${problem}); not starting. Restore the newest backup ` +
        "(npm run db:restore, docs/operations.md#restore)",
    );
  }
  log(
    problem === null
      ? `integrity: quick_check ok (${(performance.now() - started).toFixed(0)} ms)`
      : config.STARTUP_CHECK_MAX_MB === 0
        ? "integrity: not checked at startup (STARTUP_CHECK_MAX_MB=0; run npm run db:check)"
        : "integrity: larger than STARTUP_CHECK_MAX_MB, not checked at startup (run npm run db:check)",
  );
}

// --- 3. migrations ---------------------------------------------------------
function migrationsPending(): string[] {
  return migrationState(db.$client, MIGRATIONS_FOLDER).pending.map((m) => m.tag);
}

try {
  if (config.MIGRATE_ON_START) {
    applyMigrations(db, {
      databasePath: config.DATABASE_PATH,
      lockTimeoutMs: config.MIGRATION_LOCK_TIMEOUT_MS,
      keepSnapshots: config.BACKUP_KEEP,
      log,
    });
    schemaReady = true;
  } else {
    const pending = migrationsPending();
    if (pending.length === 0) {
      log("migrations: up to date (MIGRATE_ON_START=false)");
      schemaReady = true;
    } else {
      log(
        `migrations: ${pending.length} pending (${pending.join(", ")}); MIGRATE_ON_START=false, ` +
          "so not ready until a release step runs `npm run db:migrate`",
      );
    }
  }
} catch (error) {
  fail(`migration failed, not starting: ${errorMessage(error)}`);
}

// --- 4. demo data ----------------------------------------------------------
function seedIfEnabled() {
  if (!config.SEED_DEMO_DATA) return;
  const inserted = seedDemoProducts(db);
  if (inserted > 0) log(`seeded ${inserted} demo products`);
}
if (schemaReady) {
  try {
    seedIfEnabled();
  } catch (error) {
    fail(`cannot seed the demo products: ${errorMessage(error)}`);
  }
}

// While migrations are pending, check again every few seconds; once the
// release step has applied them, become ready without a restart.
if (!schemaReady) {
  const timer = setInterval(() => {
    if (schemaReady || draining) return clearInterval(timer);
    try {
      if (migrationsPending().length > 0) return;
      log("migrations: applied by another process; ready");
      seedIfEnabled();
      schemaReady = true;
      startMailOnce();
    } catch (error) {
      log(`migrations: cannot read state: ${errorMessage(error)}`);
    }
  }, PENDING_POLL_MS);
}

// --- email ------------------------------------------------------------------
// The sender starts once the outbox table exists, and sends outside any
// request (docs/email.md). `loadRender` is set with the pages below.
let sender: Sender | null = null;
let mailStarted = false;
let loadRender: () => Promise<RenderModule>;
function startMailOnce() {
  if (mailStarted || draining) return;
  mailStarted = true;
  try {
    sender = startMail(db, config, loadRender, log);
  } catch (error) {
    log(`mail: cannot start the sender, messages stay queued: ${errorMessage(error)}`);
  }
}

// --- 5. HTTP ---------------------------------------------------------------
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
app.use(resolveRoutes(() => build));

// Liveness: the process is up and its event loop turns. Nothing else, so a
// slow database never gets a healthy container restarted.
app.get("/health/live", (_req, res) => {
  res.json({ status: "ok" });
});

// Readiness: migrations applied, not shutting down, and the database answers.
// The body is generic on purpose: no error text, path or driver detail.
app.get("/health/ready", (_req, res) => {
  if (!schemaReady || draining || databaseDamage()) return void res.status(503).json({ status: "unavailable" });
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
  app.post(WEBHOOK_PATH, ...paymentWebhook({ provider: payments, database: () => db, ready: () => schemaReady && !draining && !databaseDamage(), log }));
}
// Held orders whose hold ran out: settled every PAYMENT_SWEEP_SECONDS once
// the schema is current. Its timer never keeps a stopping store alive.
const sweeper = startSweeper(
  async () => (schemaReady && !draining ? sweepHolds(db, payments) : { cancelled: 0, paid: 0, waiting: 0, unreachable: 0 }),
  log,
  config.PAYMENT_SWEEP_SECONDS * 1000,
);

app.use(compression());

app.use(refuseCrossOrigin());

let viteClose: (() => Promise<void>) | undefined;
let build: ServerBuild | (() => Promise<ServerBuild>);
if (production) {
  const buildDir = join(projectRoot(), "build");
  const serverBuild = join(buildDir, "server", "index.js");
  if (!existsSync(serverBuild)) fail("no production build found: run `npm run build` first");
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
  // process on SIGTERM (after closing itself), which would cut the drain
  // below short; the store's own shutdown closes Vite. Its listeners are the
  // only ones so far: the store adds its own at the end of this file.
  for (const listener of process.listeners("SIGTERM")) process.off("SIGTERM", listener);
  app.use(devServer.middlewares);
  viteClose = () => devServer.close();
  build = () => devServer.ssrLoadModule("virtual:react-router/server-build") as Promise<ServerBuild>;
  loadRender = () => devServer.ssrLoadModule("/app/store/mail/messages/render.server.tsx") as Promise<RenderModule>;
}
if (schemaReady) startMailOnce();

// How often one client may post, order, guess (docs/security.md).
app.use(rateLimits(config));
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
  if (schemaReady && !databaseDamage()) return next();
  res
    .status(503)
    .set("Retry-After", "5")
    .type("text/plain")
    .send(
      schemaReady
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
app.use(storeMicroCache(config));
app.use(
  createRequestHandler({
    build,
    mode: production ? "production" : "development",
    // What React Router's loaders and render get from Express: the CSP nonce.
    getLoadContext(_req, res) {
      const context = new RouterContextProvider();
      context.set(requestInfoContext, requestInfo(res));
      return context;
    },
  }),
);
app.use(answerErrors());

const web = createDrainableServer(app);
const server = web.server.listen(config.PORT, config.HOST, () => {
  // What is bound, not a guess at a URL: 0.0.0.0:3000 in a container (every
  // interface), 127.0.0.1:3000 in development (this machine only).
  const address = server.address();
  const bound =
    typeof address === "object" && address
      ? `${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`
      : `${config.HOST}:${config.PORT}`;
  log(`listening on ${bound} (${production ? "production" : "development"})`);
});
server.on("error", (error) => fail(`cannot listen on ${config.HOST}:${config.PORT}: ${error.message}`));

// --- graceful shutdown -----------------------------------------------------
async function shutdown(signal: string) {
  if (draining) {
    log(`${signal} again: exiting now`);
    // No statement runs between two turns of the event loop, so closing here
    // cuts no transaction short; it leaves a clean -wal behind.
    closeSharedDatabase();
    process.exit(1);
  }
  draining = true;
  // Keep-alive clients are told to reconnect (elsewhere) from now on.
  web.closeAfterResponses();

  // Give load balancers time to see /health/ready fail before we stop
  // accepting (Kubernetes keeps routing for a moment after SIGTERM).
  if (config.SHUTDOWN_DELAY_MS > 0) {
    log(`${signal}: not ready; still accepting for ${config.SHUTDOWN_DELAY_MS} ms`);
    await new Promise((r) => setTimeout(r, config.SHUTDOWN_DELAY_MS));
  }

  log(`${signal}: draining (deadline ${config.SHUTDOWN_TIMEOUT_MS} ms)`);
  const deadline = setTimeout(() => {
    console.error("[store] drain deadline passed with requests still open: exiting 1");
    web.abort();
    closeSharedDatabase();
    process.exit(1);
  }, config.SHUTDOWN_TIMEOUT_MS);

  // Every request that reached us is answered; then the connections close.
  // A sweep under way finishes its provider calls meanwhile.
  await Promise.all([web.drain(), sweeper.stop()]);
  // Then the sender: the sends under way finish and are marked, and the
  // rows it held are let go for the next process (docs/email.md).
  await sender?.stop();
  clearTimeout(deadline);
  await viteClose?.();
  closeSharedDatabase();
  log("stopped");
  process.exit(0);
}

process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

// Under `npm start`, node runs below npm and a shell. A supervisor that
// signals only npm's process (not the whole group) ends npm and the shell,
// and the signal never reaches us: we would keep running with the port held.
// When npm started us and our parent goes away, stop as if signalled.
// (Run directly, as the Docker image and docs/deploy.md do, there is no
// such parent to watch.)
if (process.env.npm_lifecycle_event) {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    void shutdown("npm exited");
  }, 500);
  watch.unref();
}

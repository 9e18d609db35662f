// The store's entry point:
//   development: `npm run dev`   Node runs this file (type stripping), with
//                                Vite middleware and hot reload
//   production:  `npm start` / the Docker image run build/server/server.js:
//                this file bundled with the pages and every dependency by
//                `npm run build` (vite.config.ts), which starts in a quarter
//                of the time (docs/decisions/025-bundled-server.md)
//
// It reads the settings once, starts the store (app/ops/startup.server.ts:
// open, check, migrate, seed), builds the app (app/web/app.server.ts) with
// both, listens, and stops gracefully. Nothing else reads the environment.

import { closeDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { parseEnv, publicUrl, sessionSecrets, type Env } from "#app/core/env.server.ts";
import { errorMessage } from "#app/core/errors.ts";
import { startStore } from "#app/ops/startup.server.ts";
import { createApp } from "#app/web/app.server.ts";
import { createDrainableServer } from "#app/web/drain.server.ts";
import { startMail } from "#app/web/mail.server.ts";
import type { Sender } from "#app/store/mail/sender.server.ts";

function log(message: string) {
  console.log(`[store] ${message}`);
}
function fail(message: string, db?: AppDatabase): never {
  console.error(`[store] ${message}`);
  if (db) closeDatabase(db);
  process.exit(1);
}

function readSettings(built: boolean): Env {
  let config: Env;
  try {
    config = parseEnv(process.env);
    // The CLI may run without these (db:migrate needs neither); the store may not.
    sessionSecrets(config);
    publicUrl(config);
  } catch (error) {
    fail(errorMessage(error));
  }
  // In production the pages (build/server/index.js) carry their own bundled
  // copies of React Router and Drizzle: this file must be the bundled one too,
  // or two copies of each would meet. The bundle has no development mode.
  if (config.NODE_ENV === "production" && !built) {
    fail("in production, run the built server: `npm run build`, then `npm start` (node build/server/server.js)");
  }
  if (config.NODE_ENV !== "production" && built) {
    fail(`build/server/server.js is the production server, and NODE_ENV is ${config.NODE_ENV}: for development run \`npm run dev\``);
  }
  return config;
}

async function main() {
  // The built file (build/server/server.js) is the production server, and
  // server.ts run by Node the development one: one mode per entry point. So
  // the built server needs no NODE_ENV (`node --env-file=.env build/server/server.js`
  // must not quietly start Vite with the development secret).
  const built = Boolean(import.meta.env?.PROD);
  if (built) process.env.NODE_ENV ||= "production";

  // Files this process creates (the database, its -wal and -shm, backups,
  // uploaded images) are readable and writable by its own user only: other
  // accounts on the host, or in a shared volume, have no business reading
  // orders. (The CLI, app/cli/cli.ts, does the same.)
  process.umask(0o077);

  const config = readSettings(built);
  // The email sender starts once the outbox table exists and the templates
  // can be loaded (docs/email.md); it sends outside any request.
  let startMailOnce = () => {};
  let store: ReturnType<typeof startStore>;
  try {
    store = startStore(config, log, { onSchemaReady: () => startMailOnce() });
  } catch (error) {
    fail(errorMessage(error));
  }
  const { db, readiness } = store;
  let app: Awaited<ReturnType<typeof createApp>>;
  try {
    app = await createApp(config, store, log);
  } catch (error) {
    fail(errorMessage(error), db);
  }
  let sender: Sender | null = null;
  let mailStarted = false;
  startMailOnce = () => {
    if (mailStarted || readiness.draining) return;
    mailStarted = true;
    try {
      sender = startMail(db, config, app.loadRender, log);
    } catch (error) {
      log(`mail: cannot start the sender, messages stay queued: ${errorMessage(error)}`);
    }
  };
  if (readiness.schemaReady) startMailOnce();

  const web = createDrainableServer(app.app);
  const server = web.server.listen(config.PORT, config.HOST, () => {
    // What is bound, not a guess at a URL: 0.0.0.0:3000 in a container (every
    // interface), 127.0.0.1:3000 in development (this machine only).
    const address = server.address();
    const bound =
      typeof address === "object" && address
        ? `${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`
        : `${config.HOST}:${config.PORT}`;
    log(`listening on ${bound} (${config.NODE_ENV === "production" ? "production" : "development"})`);
  });
  server.on("error", (error) => fail(`cannot listen on ${config.HOST}:${config.PORT}: ${error.message}`, db));

  async function shutdown(signal: string) {
    if (readiness.draining) {
      log(`${signal} again: exiting now`);
      // No statement runs between two turns of the event loop, so closing here
      // cuts no transaction short; it leaves a clean -wal behind.
      closeDatabase(db);
      process.exit(1);
    }
    readiness.draining = true;
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
      closeDatabase(db);
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);

    // Every request that reached us is answered; then the connections close.
    // A sweep under way finishes its provider calls meanwhile.
    await Promise.all([web.drain(), app.sweeper.stop()]);
    // Then the sender: the sends under way finish and are marked, and the
    // rows it held are let go for the next process (docs/email.md).
    await sender?.stop();
    clearTimeout(deadline);
    await app.closeDevServer?.();
    closeDatabase(db);
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
}

await main();

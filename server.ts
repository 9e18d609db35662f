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
//
// With WEB_CONCURRENCY above 1 this process is the primary: the startup
// once, then that many workers (this same file, under node:cluster) sharing
// the port (app/ops/cluster.server.ts, docs/decisions/039-workers-on-one-host.md).

import { Socket } from "node:net";
import { closeDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { leaveCheckpointsToTheThread, startCheckpointer, type Checkpointer } from "#app/db/checkpointer.server.ts";
import { parseEnv, publicUrl, sessionSecrets, type Env } from "#app/core/env.server.ts";
import { errorMessage } from "#app/core/errors.ts";
import { openForWorker, startStore, type StartedStore } from "#app/ops/startup.server.ts";
import { startWorkers } from "#app/ops/cluster.server.ts";
import { createApp } from "#app/web/app.server.ts";
import { createDrainableServer } from "#app/web/drain.server.ts";
import { startMail } from "#app/web/mail.server.ts";
import { isToWorker, primaryRateLimitStores, shareCatalogChanges, tellPrimary, thisWorker, type Worker } from "#app/web/cluster.server.ts";
import type { Sender } from "#app/store/mail/sender.server.ts";

// The primary's lines, and the single process's, start [store]; a worker's
// say which worker wrote them: [store w2].
let prefix = "[store]";
function log(message: string) {
  console.log(`${prefix} ${message}`);
}
function fail(message: string, db?: AppDatabase): never {
  console.error(`${prefix} ${message}`);
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

  // Files this process creates (the database, -wal, -shm, backups, uploads)
  // are its own user's only: other accounts on the host have no business
  // reading orders. (The CLI does the same.)
  process.umask(0o077);

  const config = readSettings(built);
  const worker = thisWorker();
  if (worker) {
    prefix = `[store w${worker.slot}]`;
    return serve(config, worker);
  }
  if (config.WEB_CONCURRENCY > 1) {
    // Vite's development server (its module graph, its HMR port) is one per process.
    if (!built) fail(`WEB_CONCURRENCY=${config.WEB_CONCURRENCY} needs the built server: \`npm run build\`, then \`npm start\``);
    return supervise(config);
  }
  return serve(config, null);
}

/** Steps 1 to 4 of the startup, or exit 1 with the reason. */
function start(config: Env, onSchemaReady: () => void): StartedStore {
  try {
    return startStore(config, log, { onSchemaReady });
  } catch (error) {
    fail(errorMessage(error));
  }
}

/**
 * Stops as if signalled when the signal could not reach us: under `npm start`,
 * node runs below npm and a shell, and a supervisor that signals only npm's
 * process (not the whole group) ends npm and the shell but never us. (Run
 * directly, as the Docker image and docs/deploy.md do, there is no such
 * parent to watch.)
 */
function stopWithNpm(shutdown: (signal: string) => void) {
  if (!process.env.npm_lifecycle_event) return;
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    shutdown("npm exited");
  }, 500);
  watch.unref();
}

/** The primary of several workers: the startup once, then the workers (app/ops/cluster.server.ts). */
function supervise(config: Env) {
  // Heard from the start: a signal during the startup or while the workers
  // load stops them as they come up (the handlers run after this function).
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  stopWithNpm((why) => void stop(why));

  // Called later, from a timer: `workers` is set by then.
  const { db, readiness } = start(config, () => {
    workers.schemaReady();
    closeDatabase(db);
  });
  // The primary serves nothing: its connection was for the startup, or is
  // kept to see the release step's migrations arrive.
  if (readiness.schemaReady) closeDatabase(db);
  const workers = startWorkers(config, {
    schemaReady: readiness.schemaReady,
    log,
    fail: (line) => void stop(line, 2, 1),
  });

  let signals = 0;
  async function stop(signal: string, count = ++signals, code?: number) {
    readiness.draining = true;
    if (code !== undefined) console.error(`[store] ${signal}`);
    else if (count > 1) log(`${signal} again: exiting now`);
    else log(`${signal}: stopping ${config.WEB_CONCURRENCY} workers`);
    const exitCode = await workers.stop(code === undefined ? signal : "stop", count);
    if (db.$client.open) closeDatabase(db);
    if (count === 1 && exitCode === 0) log("stopped");
    process.exit(code ?? exitCode);
  }
}

async function serve(config: Env, worker: Worker | null) {
  // Only one process per host runs the background loops (the email sender,
  // the payment sweeper): the single process, or worker 1.
  const background = worker ? worker.background : true;
  // The email sender starts once the outbox table exists (docs/email.md).
  let startMailOnce = () => {};
  let store: StartedStore;
  if (worker) {
    try {
      store = openForWorker(config, worker.schemaReady);
    } catch (error) {
      fail(errorMessage(error));
    }
    store.readiness.hostStarting = true;
  } else {
    store = start(config, () => startMailOnce());
  }
  const { db, readiness } = store;
  // WAL checkpoints run on a thread, not in the commit that fills the WAL on
  // the event loop (app/db/checkpointer.server.ts): one thread per host, in
  // the process that runs the background loops; every serving connection
  // checkpoints itself only past the safety net.
  leaveCheckpointsToTheThread(db);
  let checkpointer: Checkpointer | null = null;
  if (background && config.DATABASE_PATH !== ":memory:") {
    try {
      checkpointer = startCheckpointer(config.DATABASE_PATH, log);
    } catch (error) {
      log(`checkpoints: cannot start the checkpoint thread (${errorMessage(error)}); commits checkpoint past the safety net`);
    }
  }
  let app: Awaited<ReturnType<typeof createApp>>;
  try {
    app = await createApp(config, store, log, worker ? { background, rateLimitStore: primaryRateLimitStores } : { background });
  } catch (error) {
    fail(errorMessage(error), db);
  }
  let sender: Sender | null = null;
  let mailStarted = false;
  startMailOnce = () => {
    if (mailStarted || readiness.draining || !background) return;
    mailStarted = true;
    try {
      sender = startMail(db, config, app.loadRender, log);
    } catch (error) {
      log(`mail: cannot start the sender, messages stay queued: ${errorMessage(error)}`);
    }
  };
  if (readiness.schemaReady) startMailOnce();

  const web = createDrainableServer(app.app);
  // A worker does not listen: the primary does, and hands it connections.
  let lastConnection = Promise.resolve();
  if (worker) {
    lastConnection = new Promise((resolve) => {
      process.on("message", (message: unknown, handle: unknown) => {
        if (!isToWorker(message)) return;
        if (message.store === "connection" && handle instanceof Socket) web.take(handle);
        else if (message.store === "last-connection") resolve();
      });
    });
    tellPrimary({ store: "listening" });
  } else {
    listen();
  }
  function listen() {
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
  }

  // How many times we have been asked to stop: by a signal, or by the
  // primary passing one on. A worker may hear one signal twice (Ctrl-C
  // signals the whole process group, and the primary passes it on too), so
  // the primary says which one it is passing on.
  let asked = 0;
  function stop(signal: string, count: number) {
    if (count <= asked) return;
    asked = count;
    void shutdown(signal);
  }

  async function shutdown(signal: string) {
    if (readiness.draining) {
      log(`${signal} again: exiting now`);
      // No statement runs between two turns of the event loop, so closing here
      // cuts no transaction short; it leaves a clean -wal behind.
      closeDatabase(db);
      process.exit(1);
    }
    readiness.draining = true;
    web.closeAfterResponses();

    // Give load balancers time to see /health/ready fail before we stop
    // accepting (Kubernetes keeps routing for a moment after SIGTERM).
    if (config.SHUTDOWN_DELAY_MS > 0) {
      log(`${signal}: not ready; still accepting for ${config.SHUTDOWN_DELAY_MS} ms`);
      await new Promise((r) => setTimeout(r, config.SHUTDOWN_DELAY_MS));
    }

    log(`${signal}: draining (deadline ${config.SHUTDOWN_TIMEOUT_MS} ms)`);
    const deadline = setTimeout(() => {
      console.error(`${prefix} drain deadline passed with requests still open: exiting 1`);
      web.abort();
      closeDatabase(db);
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);

    // A worker is handed connections until the primary has closed the port
    // (or, stopped alone, until the primary has stopped sending it any).
    if (worker) tellPrimary({ store: "stopping" });
    // A sweep under way finishes its provider calls meanwhile.
    await Promise.all([lastConnection.then(() => web.drain()), app.sweeper.stop()]);
    // Then the sender: the sends under way finish and are marked, and the
    // rows it held are let go for the next process (docs/email.md).
    await sender?.stop();
    clearTimeout(deadline);
    await app.closeDevServer?.();
    // Its connection closed first, so closing ours checkpoints the rest and removes the -wal.
    await checkpointer?.stop();
    closeDatabase(db);
    log("stopped");
    process.exit(0);
  }

  process.on("SIGTERM", () => stop("SIGTERM", asked + 1));
  process.on("SIGINT", () => stop("SIGINT", asked + 1));
  if (worker) {
    shareCatalogChanges();
    process.on("message", (message: unknown) => {
      if (!isToWorker(message)) return;
      if (message.store === "host-ready") readiness.hostStarting = false;
      else if (message.store === "schema-ready" && !readiness.schemaReady) {
        readiness.schemaReady = true;
        startMailOnce();
      } else if (message.store === "shutdown") stop(message.signal, message.count);
    });
  } else {
    stopWithNpm((why) => stop(why, asked + 1));
  }
}

await main();

// Startup, in the order that is the point of the store (docs/decisions/003):
//   1. open the database            3. apply pending migrations
//   2. check it is not damaged      4. seed demo data (if enabled)
// No request is served before the schema is current, and a failed migration
// stops the process (exit 1) with the database left as it was.
import { applyMigrations } from "#app/db/apply-migrations.server.ts";
import { closeDatabase, openDatabase, quickCheck, type AppDatabase } from "#app/db/connection.server.ts";
import { MIGRATIONS_FOLDER, migrationState } from "#app/db/migrator.server.ts";
import { seedDemoProducts } from "#app/db/seed.server.ts";
import type { Env } from "#app/core/env.server.ts";
import { errorMessage, KnownError } from "#app/core/errors.ts";
import type { Readiness } from "#app/web/app.server.ts";

const PENDING_POLL_MS = 2_000;

export class StartupError extends KnownError {
  override name = "StartupError";
}

export type StartedStore = { db: AppDatabase; readiness: Readiness };

type Log = (message: string) => void;

/** Steps 1 to 4. Throws a StartupError (the database closed) when the store must not start. */
export function startStore(config: Env, log: Log, { onSchemaReady }: { onSchemaReady?: () => void } = {}): StartedStore {
  let db: AppDatabase;
  try {
    db = openDatabase(config.DATABASE_PATH);
  } catch (error) {
    throw new StartupError(`cannot open the database at ${config.DATABASE_PATH}: ${errorMessage(error)}`);
  }
  log(`database ${config.DATABASE_PATH} (WAL)`);
  try {
    const readiness: Readiness = { schemaReady: false, draining: false };
    checkIntegrity(db, config, log);
    readiness.schemaReady = migrate(db, config, log);
    if (readiness.schemaReady) {
      try {
        seedIfEnabled(db, config, log);
      } catch (error) {
        throw new StartupError(`cannot seed the demo products: ${errorMessage(error)}`);
      }
    } else {
      waitForReleaseStep(db, config, readiness, log, onSchemaReady);
    }
    return { db, readiness };
  } catch (error) {
    closeDatabase(db);
    throw error;
  }
}

/**
 * A worker's start when several share the port (app/ops/cluster.server.ts):
 * the primary has already run steps 1 to 4, or is waiting for the release
 * step and says when it is done (`schemaReady`), so a worker only opens the
 * file. Throws a StartupError when it cannot.
 */
export function openForWorker(config: Env, schemaReady: boolean): StartedStore {
  try {
    return { db: openDatabase(config.DATABASE_PATH), readiness: { schemaReady, draining: false } };
  } catch (error) {
    throw new StartupError(`cannot open the database at ${config.DATABASE_PATH}: ${errorMessage(error)}`);
  }
}

// A damaged file (a disk error, a -wal deleted after a crash, a copy made
// with cp while the store wrote) must not be migrated or served.
function checkIntegrity(db: AppDatabase, config: Env, log: Log) {
  const started = performance.now();
  const problem = quickCheck(db, config.STARTUP_CHECK_MAX_MB * 1024 * 1024);
  if (problem) {
    throw new StartupError(
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

function migrationsPending(db: AppDatabase): string[] {
  return migrationState(db.$client, MIGRATIONS_FOLDER).pending.map((m) => m.tag);
}

/** Whether the schema is current afterwards. */
function migrate(db: AppDatabase, config: Env, log: Log): boolean {
  try {
    if (config.MIGRATE_ON_START) {
      applyMigrations(db, {
        databasePath: config.DATABASE_PATH,
        lockTimeoutMs: config.MIGRATION_LOCK_TIMEOUT_MS,
        keepSnapshots: config.BACKUP_KEEP,
        log,
      });
      return true;
    }
    const pending = migrationsPending(db);
    if (pending.length === 0) {
      log("migrations: up to date (MIGRATE_ON_START=false)");
      return true;
    }
    log(
      `migrations: ${pending.length} pending (${pending.join(", ")}); MIGRATE_ON_START=false, ` +
        "so not ready until a release step runs `npm run db:migrate`",
    );
    return false;
  } catch (error) {
    throw new StartupError(`migration failed, not starting: ${errorMessage(error)}`);
  }
}

function seedIfEnabled(db: AppDatabase, config: Env, log: Log) {
  if (!config.SEED_DEMO_DATA) return;
  const inserted = seedDemoProducts(db);
  if (inserted > 0) log(`seeded ${inserted} demo products`);
}

// Once the release step has applied the pending migrations, become ready
// without a restart.
function waitForReleaseStep(db: AppDatabase, config: Env, readiness: Readiness, log: Log, onSchemaReady?: () => void) {
  const timer = setInterval(() => {
    if (readiness.schemaReady || readiness.draining) return clearInterval(timer);
    try {
      if (migrationsPending(db).length > 0) return;
      log("migrations: applied by another process; ready");
      seedIfEnabled(db, config, log);
      readiness.schemaReady = true;
      onSchemaReady?.();
    } catch (error) {
      log(`migrations: cannot read state: ${errorMessage(error)}`);
    }
  }, PENDING_POLL_MS);
}

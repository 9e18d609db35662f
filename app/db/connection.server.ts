import { accessSync, constants, existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { env } from "#app/env.server.ts";
import * as schema from "#app/db/schema.ts";
import { KnownError } from "#app/errors.ts";

export type AppDatabase = BetterSQLite3Database<typeof schema> & {
  $client: Database.Database;
};

/**
 * Opens (creating if needed) a SQLite file with the settings a web server
 * wants. Tests and scripts call this with their own path; the app uses the
 * shared connection from `database()` below.
 */
export function openDatabase(path: string): AppDatabase {
  if (path !== ":memory:") ensureWritable(path);
  const sqlite = new Database(path);
  // WAL: readers never block the writer and the writer never blocks readers.
  // It is stored in the file, so the first open converts it for good.
  sqlite.pragma("journal_mode = WAL");
  // With WAL, NORMAL never corrupts; a power loss may undo the last commits
  // (a process crash does not). FULL fsyncs every commit and is ~10x slower.
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  // How long a write waits for another connection's write lock before
  // SQLITE_BUSY. The wait blocks Node's event loop: keep transactions short.
  sqlite.pragma("busy_timeout = 5000");
  // Stop the -wal file from staying huge after a burst of writes.
  sqlite.pragma("journal_size_limit = 67108864");
  return drizzle({ client: sqlite, schema });
}

export class DataDirectoryError extends KnownError {
  override name = "DataDirectoryError";
}

/**
 * SQLite writes the database, its -wal and -shm files and backups/ into the
 * database's directory, so the directory itself must be writable, not only
 * the file. The classic failure is a bind mount created by root on the host
 * while the container runs as another user: say so plainly, with the fix.
 */
function ensureWritable(path: string) {
  const dir = dirname(resolve(path));
  const who = `uid ${process.getuid?.() ?? "?"}, gid ${process.getgid?.() ?? "?"}`;
  const fix =
    `Make it writable for this user, e.g. on the host: sudo chown -R ${process.getuid?.() ?? 1000}:${process.getgid?.() ?? 1000} ./data ` +
    "(the host folder mounted there)";
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new DataDirectoryError(
      `cannot create the data directory ${dir} (running as ${who}): ${(error as NodeJS.ErrnoException).code}. ${fix}`,
    );
  }
  for (const target of [dir, ...(existsSync(path) ? [path] : [])]) {
    try {
      accessSync(target, constants.R_OK | constants.W_OK);
    } catch {
      throw new DataDirectoryError(`${target} is not writable by the server (running as ${who}). ${fix}`);
    }
  }
}

/**
 * Builds something once per connection and hands back the same one after:
 * for prepared statements, which belong to the connection that compiled
 * them. Keyed weakly, so a closed test database does not leak.
 */
export function perConnection<T>(build: (db: AppDatabase) => T): (db: AppDatabase) => T {
  const built = new WeakMap<AppDatabase, T>();
  return (db) => {
    let value = built.get(db);
    if (value === undefined) built.set(db, (value = build(db)));
    return value;
  };
}

/** SQLITE_BUSY (or one of its extended codes): another connection holds the lock we waited for. */
export function isBusy(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code?.toString().startsWith("SQLITE_BUSY") ?? false;
}

/** Runs SQLite's own optimizer bookkeeping and closes; closing checkpoints the WAL. */
export function closeDatabase(db: AppDatabase) {
  if (!db.$client.open) return;
  db.$client.pragma("optimize");
  db.$client.close();
}

// One connection per process. server.ts runs this module directly while the
// app bundle (built by Vite) has its own copy of it, so the handle lives on
// globalThis: both copies, and Vite's dev reloads, share one connection.
const shared = globalThis as typeof globalThis & { __storeDatabase?: AppDatabase };

/** The process's connection to the database at DATABASE_PATH. */
export function database(): AppDatabase {
  if (!shared.__storeDatabase?.$client.open) {
    shared.__storeDatabase = openDatabase(env().DATABASE_PATH);
  }
  return shared.__storeDatabase;
}

export function closeSharedDatabase() {
  if (shared.__storeDatabase) closeDatabase(shared.__storeDatabase);
  shared.__storeDatabase = undefined;
}

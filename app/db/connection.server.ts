import { accessSync, constants, existsSync, mkdirSync, statSync } from "node:fs";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { createContext, type RouterContext } from "react-router";
import { dataPaths } from "#app/core/paths.server.ts";
import * as schema from "#app/db/schema.ts";
import { errorMessage, KnownError } from "#app/core/errors.ts";

export type AppDatabase = BetterSQLite3Database<typeof schema> & {
  $client: Database.Database;
};

/**
 * Opens (creating if needed) a SQLite file with the settings a web server
 * wants. The server (app/ops/startup.server.ts) and the CLI open one each,
 * once, and hand it down.
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
 * database's directory, so all of them must be writable, not only the file.
 * Two classic failures: a bind mount created by root on the host while the
 * container runs as another user, and a -wal/-shm left owned by root by a
 * run as root (SQLite then opens the database but every write fails with
 * "attempt to write a readonly database"). Say which file, whose it is, and
 * the fix; on a read-only filesystem, chown cannot help, so say that.
 */
function ensureWritable(path: string) {
  const paths = dataPaths(path);
  const dir = paths.folder;
  const uid = process.getuid?.() ?? 1000;
  const gid = process.getgid?.() ?? 1000;
  const who = `uid ${uid}, gid ${gid}`;
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new DataDirectoryError(
      `cannot create the data directory ${dir} (running as ${who}): ${(error as NodeJS.ErrnoException).code}. ` +
        `Create it and make it writable for this user, e.g. on the host: sudo mkdir -p ./data && sudo chown -R ${uid}:${gid} ./data`,
    );
  }
  const files = [dir, path, `${path}-wal`, `${path}-shm`, paths.backups];
  for (const target of files.filter((f) => existsSync(f))) {
    try {
      accessSync(target, constants.R_OK | constants.W_OK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EROFS") {
        throw new DataDirectoryError(
          `${dir} is on a read-only filesystem: the store must write its database there. ` +
            "Mount a writable volume at that path (changing owners will not help).",
        );
      }
      const owner = statSync(target);
      throw new DataDirectoryError(
        `${target} is not writable by the server (running as ${who}; it belongs to uid ${owner.uid}, gid ${owner.gid}). ` +
          `Make the data folder and everything in it this user's, e.g. on the host: sudo chown -R ${uid}:${gid} ./data ` +
          "(the host folder mounted there)",
      );
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

/**
 * Runs SQLite's own optimizer bookkeeping and closes; closing checkpoints the
 * WAL. Never throws: on a full disk or a read-only file `PRAGMA optimize`
 * (which may write) fails, and that is worth a log line, not a failed
 * shutdown. Whatever was committed is safe in the -wal file either way.
 */
export function closeDatabase(db: AppDatabase) {
  if (!db.$client.open) return;
  try {
    db.$client.pragma("optimize");
  } catch (error) {
    console.warn(`[store] PRAGMA optimize before closing failed: ${errorMessage(error)}`);
  }
  try {
    db.$client.close();
  } catch (error) {
    console.warn(`[store] closing the database failed: ${errorMessage(error)}`);
  }
}

/** SQLITE_FULL: a write found no room on the disk (the transaction is rolled back). */
export function isDiskFull(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "SQLITE_FULL";
}

/** SQLITE_CORRUPT (or one of its extended codes), or SQLITE_NOTADB: the file is damaged. */
export function isCorrupt(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code?.toString() ?? "";
  return code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB";
}

/**
 * `PRAGMA quick_check` (every page and index entry read, no cross-checks
 * between tables and indexes) when the file is at most `maxBytes`: about
 * 1 s per 200 MB with the file in the page cache, several times that from
 * disk (docs/operations.md has the figures). Returns its first complaint, or
 * null; undefined when the file was too big to check now.
 */
export function quickCheck(db: AppDatabase, maxBytes: number): string | null | undefined {
  const { page_count: pages } = db.$client.prepare("PRAGMA page_count").get() as { page_count: number };
  const { page_size: size } = db.$client.prepare("PRAGMA page_size").get() as { page_size: number };
  if (pages * size > maxBytes) return undefined;
  try {
    const first = db.$client.pragma("quick_check", { simple: true });
    return first === "ok" ? null : String(first).replace(/\s*\n\s*/g, " ");
  } catch (error) {
    return errorMessage(error);
  }
}

// server.ts runs this module directly while the app bundle (built by Vite)
// has its own copy of it, so what both must share lives on globalThis: the
// context key the connection travels under, and the news that the file is
// damaged (a page that hit SQLITE_CORRUPT tells the server, which then stops
// reporting ready).
const shared = globalThis as typeof globalThis & { __storeDatabaseContext?: RouterContext<AppDatabase>; __storeDamage?: string };

/** The process's one connection (decision 001), opened at startup, for loaders, actions and middleware. */
export const databaseContext = (shared.__storeDatabaseContext ??= createContext<AppDatabase>());

/**
 * Records that a query found the database damaged. Returns true the first
 * time, so the caller logs it once.
 */
export function reportDamage(error: unknown): boolean {
  if (shared.__storeDamage !== undefined) return false;
  shared.__storeDamage = errorMessage(error);
  return true;
}

/** What damage a query found in the database, if any (until the process restarts). */
export function databaseDamage(): string | undefined {
  return shared.__storeDamage;
}

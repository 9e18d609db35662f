import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { dataPaths } from "#app/core/paths.server.ts";
import { isBusy } from "#app/db/connection.server.ts";
import { MIGRATIONS_TABLE } from "#app/db/migrator.server.ts";
import { errorMessage, KnownError } from "#app/core/errors.ts";

// Backups are made with `VACUUM INTO` from a read-only connection: one read
// transaction, so the copy is consistent as of its start while the store
// keeps writing, never restarts under load as a page-by-page backup can, and
// includes what is still in the -wal file. Copying store.db with cp while the
// server runs is NOT a backup: recent commits live in store.db-wal.

export class BackupError extends KnownError {
  override name = "BackupError";
}

/** The folder for automatic snapshots and default backups: <data dir>/backups. */
export function backupsFolder(databasePath: string) {
  return dataPaths(databasePath).backups;
}

function timestamp(date = new Date()) {
  // 2026-11-23T12-30-05-123Z: sortable, and legal in file names everywhere.
  return date.toISOString().replace(/[:.]/g, "-");
}

/**
 * Writes a consistent copy of the database at `sourcePath` to `targetPath`
 * and checks it. The copy appears under its final name only when complete.
 */
export function backupDatabase(sourcePath: string, targetPath: string): { path: string; bytes: number; ms: number } {
  const started = performance.now();
  if (!existsSync(sourcePath)) throw new BackupError(`no database at ${sourcePath}`);
  if (existsSync(targetPath)) throw new BackupError(`${targetPath} already exists; choose another name`);
  mkdirSync(dirname(resolve(targetPath)), { recursive: true });
  const partial = `${targetPath}.partial`;
  rmSync(partial, { force: true });
  const source = new Database(sourcePath, { readonly: true, fileMustExist: true });
  try {
    source.prepare("VACUUM INTO ?").run(partial);
  } catch (error) {
    rmSync(partial, { force: true });
    throw new BackupError(`backup failed: ${errorMessage(error)}`);
  } finally {
    source.close();
  }
  const problem = integrityProblem(partial);
  if (problem) {
    rmSync(partial, { force: true });
    throw new BackupError(`backup failed its integrity check: ${problem}`);
  }
  renameSync(partial, targetPath);
  return { path: targetPath, bytes: statSync(targetPath).size, ms: performance.now() - started };
}

/** null when `PRAGMA integrity_check` passes, otherwise its first complaint. */
export function integrityProblem(path: string): string | null {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    return errorMessage(error);
  }
  try {
    const rows = db.pragma("integrity_check") as { integrity_check: string }[];
    const first = rows[0]?.integrity_check;
    return first === "ok" ? null : (first ?? "no result");
  } catch (error) {
    // A file that is not a database at all fails here ("file is not a database").
    return errorMessage(error);
  } finally {
    db.close();
  }
}

const SNAPSHOT_PREFIX = "pre-migrate_";

/**
 * The copy taken before pending migrations are applied, named after the last
 * migration it contains.
 */
export function snapshotBeforeMigrate(databasePath: string, lastApplied: string) {
  // The random suffix keeps two runners snapshotting in the same millisecond apart.
  const unique = `${timestamp()}_${randomBytes(3).toString("hex")}`;
  const target = join(backupsFolder(databasePath), `${SNAPSHOT_PREFIX}${lastApplied}_${unique}.db`);
  return backupDatabase(databasePath, target);
}

/** Deletes all but the newest `keep` pre-migrate snapshots. */
export function pruneSnapshots(databasePath: string, keep: number) {
  const folder = backupsFolder(databasePath);
  if (!existsSync(folder)) return;
  const snapshots = readdirSync(folder)
    .filter((name) => name.startsWith(SNAPSHOT_PREFIX) && name.endsWith(".db"))
    .flatMap((name) => {
      // Runners that lost a race delete their own duplicate snapshot
      // meanwhile: a file gone since the listing is simply not there.
      try {
        return [{ name, mtimeMs: statSync(join(folder, name)).mtimeMs }];
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw error;
      }
    })
    .sort((a, b) => b.mtimeMs - a.mtimeMs || b.name.localeCompare(a.name));
  for (const old of snapshots.slice(keep)) rmSync(join(folder, old.name), { force: true });
}

/** Default name for `npm run db:backup` without a path. */
export function defaultBackupPath(databasePath: string) {
  return join(backupsFolder(databasePath), `${basename(databasePath, ".db")}_${timestamp()}.db`);
}

/**
 * Puts a backup in place of the live database. Refuses while any other
 * process has the database open, and refuses a file that fails
 * `PRAGMA integrity_check` or is not this app's database. The database being
 * replaced is first saved beside the backups, so a restore can be undone.
 */
export function restoreDatabase(backupPath: string, databasePath: string) {
  if (!existsSync(backupPath)) throw new BackupError(`no backup at ${backupPath}`);
  const problem = integrityProblem(backupPath);
  if (problem) throw new BackupError(`${backupPath} failed PRAGMA integrity_check: ${problem}; nothing restored`);
  const probe = new Database(backupPath, { readonly: true });
  const isStoreDatabase = probe
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
    .get(MIGRATIONS_TABLE);
  probe.close();
  if (!isStoreDatabase) {
    throw new BackupError(`${backupPath} has no ${MIGRATIONS_TABLE} table: not a backup of this store`);
  }

  // Copy (and check) the backup beside the database first: if anything fails
  // from here on, the live database has not been touched.
  mkdirSync(dataPaths(databasePath).folder, { recursive: true });
  const incoming = `${databasePath}.restoring`;
  rmSync(incoming, { force: true });
  backupDatabase(backupPath, incoming);

  let replaced: string | undefined;
  if (existsSync(databasePath)) {
    // Leaving WAL mode needs the only connection to the file; a running server
    // (or any other process) holds one, so this fails at once instead of
    // swapping the file under it. It also folds the -wal file into store.db.
    const live = new Database(databasePath, { timeout: 0 });
    try {
      live.pragma("journal_mode = DELETE");
    } catch (error) {
      rmSync(incoming, { force: true });
      if (isBusy(error)) {
        throw new BackupError(
          `${databasePath} is in use by another process (is the server running?). Stop it, then restore; nothing restored`,
        );
      }
      throw error;
    } finally {
      live.close();
    }
    replaced = join(backupsFolder(databasePath), `pre-restore_${timestamp()}.db`);
    mkdirSync(dirname(replaced), { recursive: true });
    renameSync(databasePath, replaced);
  }
  // A stale -wal beside the restored file would be replayed into it: remove.
  for (const suffix of ["-wal", "-shm", "-journal"]) rmSync(`${databasePath}${suffix}`, { force: true });
  renameSync(incoming, databasePath);
  return { replaced };
}

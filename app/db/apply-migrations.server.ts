import { rmSync } from "node:fs";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { pruneSnapshots, snapshotBeforeMigrate } from "#app/db/backup.server.ts";
import { migrate, migrationState, MIGRATIONS_FOLDER, type MigrationResult } from "#app/db/migrator.server.ts";
import { errorMessage } from "#app/core/errors.ts";

export type ApplyOptions = {
  databasePath: string;
  lockTimeoutMs: number;
  /** How many pre-migrate snapshots to keep in <data dir>/backups. */
  keepSnapshots: number;
  log: (message: string) => void;
  migrationsFolder?: string;
};

/**
 * What the server (MIGRATE_ON_START) and the release step (`npm run
 * db:migrate`) both run: snapshot a database that already has history when
 * migrations are pending, then apply them under the write lock.
 */
export function applyMigrations(db: AppDatabase, options: ApplyOptions): MigrationResult {
  const started = performance.now();
  const migrationsFolder = options.migrationsFolder ?? MIGRATIONS_FOLDER;
  const before = migrationState(db.$client, migrationsFolder);
  // The common case on every restart: this read already answers it, so
  // migrate() need not read the folder and the history a second time.
  if (before.pending.length === 0) {
    options.log("migrations: up to date");
    return { applied: [], ms: performance.now() - started };
  }
  const last = before.applied.at(-1);
  let snapshot: string | undefined;
  // A fresh file has nothing to lose; a snapshot of it would be noise. The
  // copy is taken *before* the write lock: it is one read transaction, so the
  // store (or the old release, during a release step) keeps taking orders
  // while it is written, and orders placed meanwhile stay in the live file.
  if (last && options.keepSnapshots > 0) {
    const taken = snapshotBeforeMigrate(options.databasePath, last.tag);
    snapshot = taken.path;
    options.log(`migrations: snapshot ${taken.path} (${(taken.bytes / 1024).toFixed(0)} KiB, ${taken.ms.toFixed(0)} ms)`);
  }
  let result: MigrationResult;
  try {
    result = migrate(db.$client, {
      migrationsFolder,
      lockTimeoutMs: options.lockTimeoutMs,
      beforeApply(pending) {
        options.log(`migrations: ${pending.length} pending (${pending.map((m) => m.tag).join(", ")})`);
      },
    });
  } catch (error) {
    // Rolled back: the database is exactly the snapshot, which would only
    // pile up while a broken release restarts over and over.
    if (snapshot) rmSync(snapshot, { force: true });
    throw error;
  }
  if (result.applied.length === 0) {
    // Another runner applied them while we waited for the lock, and kept its
    // own snapshot: ours is a duplicate.
    if (snapshot) rmSync(snapshot, { force: true });
    options.log("migrations: up to date");
  } else {
    // Only the runner that applied prunes, so racing runners cannot delete
    // the one snapshot that matters. The migrations are committed by now:
    // tidying up must not turn that into a failed start.
    if (snapshot) {
      try {
        pruneSnapshots(options.databasePath, options.keepSnapshots);
      } catch (error) {
        options.log(`migrations: old snapshots not pruned: ${errorMessage(error)}`);
      }
    }
    for (const m of result.applied) options.log(`migrations: applied ${m.tag} (${m.ms.toFixed(0)} ms)`);
    options.log(`migrations: ${result.applied.length} applied in ${result.ms.toFixed(0)} ms`);
  }
  return result;
}

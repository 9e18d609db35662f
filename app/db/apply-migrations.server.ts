import type { AppDatabase } from "./connection.server.ts";
import { snapshotBeforeMigrate } from "./backup.server.ts";
import { migrate, MIGRATIONS_FOLDER, type MigrationResult } from "./migrator.server.ts";

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
 * db:migrate`) both run: apply pending migrations under the write lock, and
 * before changing a database that already has history, snapshot it.
 */
export function applyMigrations(db: AppDatabase, options: ApplyOptions): MigrationResult {
  const result = migrate(db.$client, {
    migrationsFolder: options.migrationsFolder ?? MIGRATIONS_FOLDER,
    lockTimeoutMs: options.lockTimeoutMs,
    beforeApply(pending, state) {
      options.log(`migrations: ${pending.length} pending (${pending.map((m) => m.tag).join(", ")})`);
      const last = state.applied.at(-1);
      // A fresh file has nothing to lose; a snapshot of it would be noise.
      if (!last || options.keepSnapshots === 0) return;
      // We hold the write lock, so the snapshot is exactly what the
      // migrations start from.
      const snapshot = snapshotBeforeMigrate(options.databasePath, last.tag, options.keepSnapshots);
      options.log(`migrations: snapshot ${snapshot.path} (${(snapshot.bytes / 1024).toFixed(0)} KiB, ${snapshot.ms.toFixed(0)} ms)`);
    },
  });
  if (result.applied.length === 0) {
    options.log("migrations: up to date");
  } else {
    for (const m of result.applied) options.log(`migrations: applied ${m.tag} (${m.ms.toFixed(0)} ms)`);
    options.log(`migrations: ${result.applied.length} applied in ${result.ms.toFixed(0)} ms`);
  }
  return result;
}

import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/**
 * The project's folder (the one with package.json), where drizzle/ and
 * build/ are. Found by walking up from this file, so the answer is the same
 * whether Node runs it from app/ or bundled into build/server/ (vite.config.ts).
 */
export function projectRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${import.meta.dirname}`);
    dir = parent;
  }
  return dir;
}

/**
 * Every path under the data folder, derived from DATABASE_PATH here and
 * nowhere else: the folder is the database file's, so one mount holds the
 * database, its -wal and -shm, snapshots and uploads.
 */
export function dataPaths(databasePath: string) {
  const database = resolve(databasePath);
  const folder = dirname(database);
  return {
    database,
    folder,
    /** Snapshots before each migration, and `db:backup` without a file. */
    backups: join(folder, "backups"),
    uploads: join(folder, "uploads"),
    productImages: join(folder, "uploads", "products"),
    /** The replica drill's restored copy, beside the database where there is room for it. */
    drillCopy: (stamp: string) => join(folder, `.drill-${stamp}.db`),
  };
}

import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeDatabase, openDatabase, type AppDatabase } from "~/db/connection.server";
import { migrate } from "~/db/migrator.server";

export const PROJECT_ROOT = join(import.meta.dirname, "..", "..");
export const MIGRATIONS_FOLDER = join(PROJECT_ROOT, "drizzle");

export function tempDir(prefix = "store-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

let template: string | undefined;

/**
 * A fresh, fully migrated database file of its own. Migrating once into a
 * template and copying it is much faster than migrating for every test.
 */
export function freshDatabase(): { db: AppDatabase; path: string } {
  if (!template) {
    template = join(tempDir("store-template-"), "template.db");
    const db = openDatabase(template);
    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER });
    // Closing checkpoints the WAL, so the single file holds everything.
    closeDatabase(db);
  }
  const path = join(tempDir(), "store.db");
  copyFileSync(template, path);
  return { db: openDatabase(path), path };
}

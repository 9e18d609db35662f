import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "~/db/connection.server";
import { migrate } from "~/db/migrator.server";
import { products } from "~/db/schema";
import { seedDemoProducts } from "~/db/seed.server";

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

// Connections a test opened through the helpers below are closed after it.
// (Importing this module registers the hook in the importing test file.)
const openedByTest: AppDatabase[] = [];
afterEach(() => {
  for (const db of openedByTest.splice(0)) closeDatabase(db);
});

/** Opens the database at `path`; closed after the current test. */
export function openForTest(path: string): AppDatabase {
  const db = openDatabase(path);
  openedByTest.push(db);
  return db;
}

/** A fresh migrated database with the demo catalog; closed after the current test. */
export function seededDatabase(): AppDatabase {
  const { db } = freshDatabase();
  openedByTest.push(db);
  seedDemoProducts(db);
  return db;
}

export function productBySlug(db: AppDatabase, slug: string) {
  return db.select().from(products).where(eq(products.slug, slug)).get()!;
}

export function setStock(db: AppDatabase, slug: string, stock: number) {
  db.update(products).set({ stock }).where(eq(products.slug, slug)).run();
}

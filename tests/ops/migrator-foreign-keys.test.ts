// How the runner treats foreign keys: off for the run (and checked before
// COMMIT) only when a pending migration asks with PRAGMA foreign_keys=OFF,
// as drizzle-kit's table rebuilds do; on otherwise, so SQLite checks every
// statement and no whole-database scan holds the lock.
import { afterEach, describe, expect, it } from "vitest";
import { closeDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { migrate, MigrationError, MIGRATIONS_FOLDER } from "#app/db/migrator.server.ts";
import { freshDatabase } from "#tests/helpers/db.ts";
import { fingerprint, migrationsFolderUpTo } from "#tests/helpers/migrations.ts";
import { readMigrations } from "#app/db/migrator.server.ts";

const open: AppDatabase[] = [];
afterEach(() => {
  for (const db of open.splice(0)) closeDatabase(db);
});

const LAST = readMigrations(MIGRATIONS_FOLDER).at(-1)!.tag;

/** A migrated store with one order for one product. */
function storeWithAnOrder() {
  const { db } = freshDatabase();
  open.push(db);
  db.$client.exec(`
    INSERT INTO products (id, slug, name, description, price_cents, image, sku) VALUES (7, 'mug', 'Mug', 'm', 100, 'x', 'KIT-1');
    INSERT INTO orders (id, public_id, number, checkout_token, email, customer_name, address_line1, city, postal_code, country, total_cents)
      VALUES (1, 'p', 'N1', 't', 'a@example.com', 'Ada', '1 Road', 'Town', '1', 'DE', 100);
    INSERT INTO order_items (order_id, product_id, product_name, unit_price_cents, quantity) VALUES (1, 7, 'Mug', 100, 1);`);
  return db;
}

function apply(db: AppDatabase, sql: string) {
  return migrate(db.$client, { migrationsFolder: migrationsFolderUpTo(LAST, { tag: "9000_data_change", sql }) });
}

describe("foreign keys while migrating", () => {
  it("stay on for a migration that does not ask otherwise: SQLite rejects the statement itself", () => {
    const db = storeWithAnOrder();
    const before = fingerprint(db.$client);
    expect(() => apply(db, "DELETE FROM products WHERE id = 7;")).toThrow(
      "9000_data_change failed: FOREIGN KEY constraint failed; rolled back, nothing was applied",
    );
    expect(fingerprint(db.$client)).toBe(before);
    // ...and ON DELETE CASCADE behaves as it does for the app.
    apply(db, "DELETE FROM orders WHERE id = 1;");
    expect(db.$client.prepare("SELECT count(*) FROM order_items").pluck().get()).toBe(0);
    expect(db.$client.pragma("foreign_keys", { simple: true })).toBe(1);
  });

  it("are off when a migration says PRAGMA foreign_keys=OFF, and a dangling row found before COMMIT rolls it all back", () => {
    const db = storeWithAnOrder();
    const before = fingerprint(db.$client);
    let error: unknown;
    try {
      apply(db, "PRAGMA foreign_keys=OFF;--> statement-breakpoint\nDELETE FROM products WHERE id = 7;");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toBe(
      "foreign key check failed after migrating: 1 row(s) in order_items point at missing rows in products; rolled back",
    );
    expect(fingerprint(db.$client)).toBe(before);
    expect(db.$client.pragma("foreign_keys", { simple: true })).toBe(1);
  });
});

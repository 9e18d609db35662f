// The payment migrations (issue 19) on a store as the previous release left
// it: at 0010, with products, 1,500 orders in every old state, their items
// and ledger. 0011 adds columns with constant defaults (no row is written);
// 0012 rebuilds orders for the new CHECKs. Nothing that existed may change,
// no order item may be lost to the rebuild, and today's code must work on
// the result.
import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { migrate, MIGRATIONS_FOLDER } from "#app/db/migrator.server.ts";
import { ledgerDrift } from "#app/store/inventory.server.ts";
import { transitionOrder } from "#app/staff/order-admin.server.ts";
import { openForTest, tempDir } from "#tests/helpers/db.ts";
import { fillStore } from "#tests/helpers/store-data.ts";

const PREVIOUS_RELEASE = "0010_index_products_for_sale";
const ADD = "0011_add_payment_to_orders";
const CHECKS = "0012_check_order_states";

const rows = (db: AppDatabase, sql: string) => db.$client.prepare(sql).all();
const value = (db: AppDatabase, sql: string) => db.$client.prepare(sql).pluck().get();
const digest = (data: unknown) => createHash("sha256").update(JSON.stringify(data)).digest("hex");

const OLD_COLUMNS =
  "id, public_id, number, checkout_token, email, customer_name, address_line1, address_line2, city, postal_code, country, status, total_cents, created_at, updated_at";

function existing(db: AppDatabase) {
  return {
    orders: digest(rows(db, `SELECT ${OLD_COLUMNS} FROM orders ORDER BY id`)),
    items: digest(rows(db, "SELECT * FROM order_items ORDER BY id")),
    movements: digest(rows(db, "SELECT * FROM stock_movements ORDER BY id")),
    counts: rows(db, "SELECT status, count(*) n FROM orders GROUP BY status ORDER BY status"),
    sequences: rows(db, "SELECT name, seq FROM sqlite_sequence WHERE name IN ('orders', 'order_items') ORDER BY name"),
  };
}

function healthy(db: AppDatabase) {
  expect(db.$client.pragma("integrity_check", { simple: true })).toBe("ok");
  expect(db.$client.pragma("foreign_key_check")).toEqual([]);
  expect(db.$client.pragma("foreign_keys", { simple: true })).toBe(1);
}

describe("upgrading a store with orders to payment", () => {
  it("applies 0011 and 0012 one at a time, changes nothing that existed, and the CHECKs hold", () => {
    const db = openForTest(join(tempDir("store-payments-upgrade-"), "store.db"));
    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: "0001_add_product_search" });
    fillStore(db.$client, { products: 2000, orders: 1500 });
    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: PREVIOUS_RELEASE });
    // Deleted orders: the counter remembers ids that must never come back.
    db.$client.exec("DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders ORDER BY id DESC LIMIT 3)");
    db.$client.exec("DELETE FROM orders WHERE id IN (SELECT id FROM orders ORDER BY id DESC LIMIT 3)");
    const before = existing(db);
    expect(value(db, "SELECT count(*) FROM orders")).toBe(1497);
    expect((before.counts as { status: string }[]).map((c) => c.status)).toEqual(["cancelled", "placed", "shipped"]);

    expect(migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: ADD }).applied.map((m) => m.tag)).toEqual([ADD]);
    expect(existing(db)).toEqual(before);
    expect(rows(db, "SELECT DISTINCT payment_provider, currency, payment_reference, hold_expires_at, paid_at FROM orders")).toEqual([
      { payment_provider: "manual", currency: "usd", payment_reference: null, hold_expires_at: null, paid_at: null },
    ]);
    healthy(db);

    expect(migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: CHECKS }).applied.map((m) => m.tag)).toEqual([CHECKS]);
    expect(existing(db)).toEqual(before);
    healthy(db);
    // The rebuilt table has every index back, and refuses what the state machine forbids.
    expect(rows(db, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders' AND sql IS NOT NULL ORDER BY name")).toEqual(
      ["orders_checkout_token_unique", "orders_created_at_idx", "orders_hold_expires_at_idx", "orders_number_unique", "orders_public_id_unique", "orders_status_created_at_idx"].map((name) => ({ name })),
    );
    const someOrder = value(db, "SELECT id FROM orders WHERE status = 'placed' LIMIT 1") as number;
    expect(() => db.$client.prepare("UPDATE orders SET status = 'lost' WHERE id = ?").run(someOrder)).toThrow(/CHECK constraint failed: orders_status_check/);
    expect(() => db.$client.prepare("UPDATE orders SET status = 'awaiting_payment' WHERE id = ?").run(someOrder)).toThrow(/orders_hold_check/);
    expect(() => db.$client.prepare("UPDATE orders SET payment_provider = 'paypal' WHERE id = ?").run(someOrder)).toThrow(/orders_payment_provider_check/);

    // Today's code runs on today's schema (the server migrates before serving): the rest too.
    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER });
    // Today's code: an old placed order is a manual order; it is marked paid, then shipped.
    expect(transitionOrder(db, { orderId: someOrder, intent: "ship", expected: "placed", staffId: 0 }).status).toBe("conflict");
    expect(transitionOrder(db, { orderId: someOrder, intent: "pay", expected: "placed", staffId: 0 }).status).toBe("done");
    expect(transitionOrder(db, { orderId: someOrder, intent: "ship", expected: "paid", staffId: 0 }).status).toBe("done");
    const fresh = db.$client
      .prepare(
        `INSERT INTO orders (public_id, number, checkout_token, email, customer_name, address_line1, city, postal_code, country, total_cents)
         VALUES ('p', 'N', 't', 'e', 'c', 'a', 'c', 'p', 'c', 1) RETURNING id`,
      )
      .pluck()
      .get() as number;
    expect(fresh).toBeGreaterThan((before.sequences as { name: string; seq: number }[]).find((s) => s.name === "orders")!.seq);
    expect(ledgerDrift(db)).toEqual([]);
  });
});

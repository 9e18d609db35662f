// The migrations of issue 11 (staff accounts, the stock ledger and its
// opening balances, archiving, the order-status index) applied through the
// project's runner to a store built the way real ones were: the SKU tutorial
// done, thousands of products with gaps in their ids, orders with items.
// Nothing that existed may change, the ledger must explain every product's
// stock afterwards, and today's code must work on the result.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { migrate, MIGRATIONS_FOLDER, readMigrations } from "#app/db/migrator.server.ts";
import { adjustStock, ledgerDrift } from "#app/store/inventory.server.ts";
import { getOrderForStaff, listOrders, transitionOrder } from "#app/staff/order-admin.server.ts";
import { newToken, placeOrder } from "#app/shop/orders.server.ts";
import { createProduct } from "#app/staff/product-admin.server.ts";
import { listProducts } from "#app/store/products.server.ts";
import { authenticate, createStaff, setPassword } from "#app/staff/staff.server.ts";
import { openForTest, tempDir, ORDER_LIMITS } from "#tests/helpers/db.ts";
import { customer } from "#tests/helpers/shopper.ts";
import { fillStore } from "#tests/helpers/store-data.ts";

const LAST_BEFORE = "0004_require_product_sku";
const STAFF = "0005_add_staff_accounts";
const LEDGER = "0006_add_stock_movements";
const OPENING = "0007_backfill_opening_stock";
const ARCHIVE = "0008_add_archived_at_to_products";
const STATUS_INDEX = "0009_index_orders_by_status";

/** A store as every install was before issue 11: at 0004, full of data. */
function storeAtSku(size = { products: 4000, orders: 1500 }) {
  const db = openForTest(join(tempDir("store-staff-upgrade-"), "store.db"));
  migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: "0001_add_product_search" });
  const data = fillStore(db.$client, size);
  migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: LAST_BEFORE });
  return { db, data };
}

const rows = (db: AppDatabase, sql: string, ...params: unknown[]) => db.$client.prepare(sql).all(...params);
const value = (db: AppDatabase, sql: string, ...params: unknown[]) => db.$client.prepare(sql).pluck().get(...params);
const digest = (data: unknown) => createHash("sha256").update(JSON.stringify(data)).digest("hex");

/** Everything that existed before and must come through untouched. */
function existing(db: AppDatabase) {
  return {
    products: digest(
      rows(db, "SELECT id, slug, name, description, price_cents, stock, image, sku, created_at, updated_at FROM products ORDER BY id"),
    ),
    orders: digest(rows(db, "SELECT * FROM orders ORDER BY id")),
    items: digest(rows(db, "SELECT * FROM order_items ORDER BY id")),
    sequences: rows(db, "SELECT name, seq FROM sqlite_sequence WHERE name IN ('products', 'orders', 'order_items') ORDER BY name"),
    triggers: rows(db, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"),
  };
}

function healthy(db: AppDatabase, tag: string) {
  expect(db.$client.pragma("integrity_check", { simple: true }), tag).toBe("ok");
  expect(db.$client.pragma("foreign_key_check"), tag).toEqual([]);
  expect(db.$client.pragma("foreign_keys", { simple: true }), tag).toBe(1);
  // The search index still agrees with products, row for row.
  db.$client.prepare("INSERT INTO products_fts(products_fts, rank) VALUES ('integrity-check', 1)").run();
}

describe("upgrading a store with data to staff accounts and the stock ledger", () => {
  it("applies each migration on its own, changes nothing that existed, and opens the ledger at today's stock", () => {
    const { db, data } = storeAtSku();
    expect(data.orderItems).toBeGreaterThan(3000);
    const before = existing(db);
    const stockByProduct = new Map(
      (rows(db, "SELECT id, stock FROM products") as { id: number; stock: number }[]).map((p) => [p.id, p.stock]),
    );
    const outOfStock = [...stockByProduct.values()].filter((s) => s === 0).length;
    expect(outOfStock).toBeGreaterThan(0); // the backfill must skip these

    const all = readMigrations(MIGRATIONS_FOLDER).map((m) => m.tag);
    // Issue 11's migrations (later ones have tests of their own).
    const ours = all.slice(all.indexOf(LAST_BEFORE) + 1, all.indexOf(STATUS_INDEX) + 1);
    expect(ours).toEqual([STAFF, LEDGER, OPENING, ARCHIVE, STATUS_INDEX]);
    for (const tag of ours) {
      const result = migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: tag });
      expect(result.applied.map((m) => m.tag), tag).toEqual([tag]);
      expect(existing(db), tag).toEqual(before);
      healthy(db, tag);

      if (tag === OPENING) {
        const movements = rows(db, "SELECT product_id, delta, reason, order_id, staff_id, note FROM stock_movements ORDER BY id") as {
          product_id: number;
          delta: number;
          reason: string;
          order_id: number | null;
          staff_id: number | null;
          note: string;
        }[];
        // One opening balance per product with stock, equal to that stock.
        expect(movements).toHaveLength(stockByProduct.size - outOfStock);
        for (const m of movements) {
          expect(m).toMatchObject({ reason: "initial", order_id: null, staff_id: null, note: "opening balance" });
          expect(m.delta).toBe(stockByProduct.get(m.product_id));
        }
        expect(ledgerDrift(db)).toEqual([]);
      }
    }

    // New columns and objects, as schema.ts describes them.
    expect(value(db, "SELECT count(*) FROM products WHERE archived_at IS NOT NULL")).toBe(0);
    expect(value(db, "SELECT count(*) FROM staff")).toBe(0); // no default account, ever
    const plan = rows(
      db,
      "EXPLAIN QUERY PLAN SELECT id FROM orders WHERE status = 'placed' ORDER BY created_at DESC, id DESC LIMIT 25",
    ) as { detail: string }[];
    expect(plan.map((p) => p.detail).join(" ")).toContain("orders_status_created_at_idx");
  });

  it("the opening-balance backfill is right after code has written movements, and finds nothing to do a second time", () => {
    const { db } = storeAtSku({ products: 300, orders: 50 });
    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: LEDGER });
    // Deployed in two steps, the code writes movements before the backfill
    // runs: a sale of 2 of the first product with stock, recorded as the
    // code records it (stock taken, movement written, one transaction).
    const first = rows(db, "SELECT id, stock FROM products WHERE stock >= 2 ORDER BY id LIMIT 1")[0] as { id: number; stock: number };
    const order = value(db, "SELECT id FROM orders ORDER BY id LIMIT 1") as number;
    db.$client.transaction(() => {
      db.$client.prepare("UPDATE products SET stock = stock - 2 WHERE id = ?").run(first.id);
      db.$client
        .prepare("INSERT INTO stock_movements (product_id, delta, reason, order_id) VALUES (?, -2, 'sale', ?)")
        .run(first.id, order);
    })();

    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER, to: OPENING });
    expect(ledgerDrift(db)).toEqual([]);
    // The opening balance is the stock before that sale: it plus the sale is today's.
    expect(value(db, "SELECT delta FROM stock_movements WHERE product_id = ? AND reason = 'initial'", first.id)).toBe(first.stock);

    const sql = readFileSync(join(MIGRATIONS_FOLDER, `${OPENING}.sql`), "utf8");
    const count = value(db, "SELECT count(*) FROM stock_movements");
    expect(db.$client.prepare(sql.replace(/^--.*$/gm, "")).run().changes).toBe(0);
    expect(value(db, "SELECT count(*) FROM stock_movements")).toBe(count);
  });

  it("today's code works on the upgraded store and keeps the ledger balanced", async () => {
    const { db } = storeAtSku({ products: 500, orders: 200 });
    migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER });

    const owner = createStaff(db, { email: "owner@example.com", role: "owner" });
    await setPassword(db, owner.id, "a long enough password");
    expect(await authenticate(db, "OWNER@example.com", "a long enough password")).toMatchObject({ id: owner.id, role: "owner" });

    const [a, b] = listProducts(db, { sort: "price-asc" }).items.filter((p) => p.stock >= 3);
    const placed = placeOrder(db, {
      checkoutToken: newToken(),
      details: customer,
      cart: [
        { productId: a!.id, quantity: 2 },
        { productId: b!.id, quantity: 1 },
      ],
    }, ORDER_LIMITS);
    expect(placed.status).toBe("placed");
    const orderId = value(db, "SELECT id FROM orders ORDER BY id DESC LIMIT 1") as number;
    expect(transitionOrder(db, { orderId, intent: "cancel", expected: "placed", staffId: owner.id }).status).toBe("done");
    expect(adjustStock(db, { productId: a!.id, delta: -1, note: "dropped one", staffId: owner.id }).status).toBe("adjusted");
    const created = createProduct(db, { name: "Ledger Lamp", slug: "ledger-lamp", description: "new", priceCents: 100, image: "x", stock: 7 }, owner.id);
    // Past the AUTOINCREMENT counter, which remembers the deleted newest products.
    expect(created.id).toBe((value(db, "SELECT seq FROM sqlite_sequence WHERE name = 'products'") as number));
    expect(created.id).toBeGreaterThan(value(db, "SELECT max(id) FROM products WHERE id <> ?", created.id) as number);

    expect(ledgerDrift(db)).toEqual([]);
    // Old orders are listed with their statuses, newest first, through the new index...
    const shipped = rows(
      db,
      "SELECT id, number, customer_name, status, total_cents, created_at FROM orders WHERE status = 'shipped' ORDER BY created_at DESC, id DESC",
    );
    const listed = listOrders(db, { status: "shipped" });
    expect(listed.total).toBe(shipped.length);
    expect(
      listed.items.map((o) => ({
        id: o.id,
        number: o.number,
        customer_name: o.customerName,
        status: o.status,
        total_cents: o.totalCents,
        created_at: o.createdAt.getTime() / 1000,
      })),
    ).toEqual(shipped.slice(0, 25));
    // ...and each opens with its lines as they were sold, several for most.
    let multiLine = 0;
    for (const { id, totalCents } of listed.items) {
      const lines = rows(db, "SELECT product_id, product_name, unit_price_cents, quantity FROM order_items WHERE order_id = ? ORDER BY id", id) as {
        unit_price_cents: number;
        quantity: number;
      }[];
      const detail = getOrderForStaff(db, id)!;
      expect(
        detail.items.map((i) => ({ product_id: i.productId, product_name: i.productName, unit_price_cents: i.unitPriceCents, quantity: i.quantity })),
        `order ${id}`,
      ).toEqual(lines);
      expect(totalCents).toBe(lines.reduce((sum, l) => sum + l.unit_price_cents * l.quantity, 0));
      if (lines.length > 1) multiLine++;
    }
    expect(multiLine).toBeGreaterThan(listed.items.length / 2);
  });
});

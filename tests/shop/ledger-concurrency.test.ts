// The stock ledger under load from several processes at once, each with its
// own connection to one database file: checkouts, cancellations, shipping and
// adjustments in random order on a few products with little stock. Whatever
// interleaving happens, every product's stock equals the sum of its
// movements and never goes below zero; and two staff cancelling the same
// orders at the same moment return each order's stock exactly once.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { closeDatabase } from "#app/db/connection.server.ts";
import { seedDemoProducts } from "#app/db/seed.server.ts";
import { adjustStock, ledgerDrift } from "#app/store/inventory.server.ts";
import { newToken, placeOrder } from "#app/shop/orders.server.ts";
import { createStaff } from "#app/staff/staff.server.ts";
import { freshDatabase, PROJECT_ROOT, ORDER_LIMITS } from "#tests/helpers/db.ts";
import { customer } from "#tests/helpers/shopper.ts";

const run = promisify(execFile);
const WORKER = join(PROJECT_ROOT, "tests", "helpers", "ledger-worker.ts");

async function race(path: string, jobs: string[][]) {
  const startAt = Date.now() + 1_500;
  const results = await Promise.all(
    jobs.map((args) => run(process.execPath, [WORKER, path, String(startAt), ...args], { cwd: PROJECT_ROOT })),
  );
  const tally: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(JSON.parse(r.stdout) as Record<string, number>)) tally[k] = (tally[k] ?? 0) + v;
  return tally;
}

describe("the stock ledger under concurrent writers", () => {
  it("keeps stock = sum(movements) and stock >= 0 through random checkouts, cancellations and adjustments from 4 processes", async () => {
    const { db, path } = freshDatabase();
    seedDemoProducts(db);
    const staffIds = ["a", "b", "c", "d"].map((n) => createStaff(db, { email: `${n}@example.com`, role: "staff" }).id);
    // Four products with little stock, so the writers collide and run out.
    const ids = db.$client.prepare("SELECT id FROM products ORDER BY id LIMIT 4").pluck().all() as number[];
    for (const id of ids) {
      const stock = db.$client.prepare("SELECT stock FROM products WHERE id = ?").pluck().get(id) as number;
      adjustStock(db, { productId: id, delta: 6 - stock, note: "start small", staffId: staffIds[0]! });
    }

    const tally = await race(
      path,
      staffIds.map((staffId, i) => [String(staffId), "random", "150", String(1000 + i), JSON.stringify(ids)]),
    );
    // Every kind of outcome happened: the test exercised the contention.
    for (const key of ["checkout placed", "checkout rejected", "cancel done", "adjust adjusted", "adjust negative"]) {
      expect(tally[key] ?? 0, `${key} in ${JSON.stringify(tally)}`).toBeGreaterThan(0);
    }

    expect(ledgerDrift(db)).toEqual([]);
    expect(db.$client.prepare("SELECT count(*) FROM products WHERE stock < 0").pluck().get()).toBe(0);
    // Every order's sale is in the ledger, line by line; every cancelled
    // order's return too, once; no other order has a return.
    const lines = db.$client
      .prepare(
        `SELECT i.order_id, i.product_id, i.quantity, o.status,
           (SELECT group_concat(m.reason || ':' || m.delta) FROM stock_movements m
             WHERE m.order_id = i.order_id AND m.product_id = i.product_id) AS movements
         FROM order_items i JOIN orders o ON o.id = i.order_id`,
      )
      .all() as { quantity: number; status: string; movements: string }[];
    expect(lines.length).toBe(
      db.$client.prepare("SELECT count(*) FROM stock_movements WHERE reason = 'sale'").pluck().get(),
    );
    for (const line of lines) {
      const sale = `sale:${-line.quantity}`;
      expect(line.movements).toBe(line.status === "cancelled" ? `${sale},cancellation:${line.quantity}` : sale);
    }
    closeDatabase(db);
  });

  it("two staff cancelling the same 30 orders at the same moment: each order is cancelled once, its stock returned once", async () => {
    const { db, path } = freshDatabase();
    seedDemoProducts(db);
    const [first, second] = ["one", "two"].map((n) => createStaff(db, { email: `${n}@example.com`, role: "staff" }).id);
    const stockBefore = db.$client.prepare("SELECT id, stock FROM products ORDER BY id").all();
    const orderIds: number[] = [];
    for (let i = 0; i < 30; i++) {
      const placed = placeOrder(db, {
        checkoutToken: newToken(),
        details: customer,
        cart: [
          { productId: 1 + (i % 5), quantity: 1 },
          { productId: 10 + 2 * (i % 2), quantity: 2 },
        ],
      }, ORDER_LIMITS);
      expect(placed.status).toBe("placed");
      orderIds.push(db.$client.prepare("SELECT max(id) FROM orders").pluck().get() as number);
    }

    const tally = await race(path, [
      [String(first), "cancel", JSON.stringify(orderIds)],
      [String(second), "cancel", JSON.stringify(orderIds)],
    ]);
    expect(tally).toEqual({ done: 30, conflict: 30 });
    expect(db.$client.prepare("SELECT id, stock FROM products ORDER BY id").all()).toEqual(stockBefore);
    expect(db.$client.prepare("SELECT count(*) FROM stock_movements WHERE reason = 'cancellation'").pluck().get()).toBe(60);
    expect(db.$client.prepare("SELECT count(DISTINCT status) FROM orders").pluck().get()).toBe(1);
    expect(ledgerDrift(db)).toEqual([]);
    closeDatabase(db);
  });
});

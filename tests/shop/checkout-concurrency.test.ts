// Many checkouts at once against little stock, on a real database file:
// from several processes with their own connections, and through two
// production servers sharing one file. Exactly the stock is sold, never more,
// and every order adds up.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { eq, sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { orderItems, orders, products } from "#app/db/schema.ts";
import { seedDemoProducts } from "#app/db/seed.server.ts";
import { freshDatabase, productBySlug, PROJECT_ROOT, setStock, tempDir } from "#tests/helpers/db.ts";
import { startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { shopper, text } from "#tests/helpers/shopper.ts";

const run = promisify(execFile);
const WORKER = join(PROJECT_ROOT, "tests", "helpers", "checkout-worker.ts");


/** Every order's items are priced from the catalog and sum to its total. */
function expectOrdersAddUp(db: AppDatabase) {
  const rows = db
    .select({
      orderId: orders.id,
      totalCents: orders.totalCents,
      sum: sql<number>`sum(${orderItems.unitPriceCents} * ${orderItems.quantity})`,
      lines: sql<number>`count(${orderItems.id})`,
      mispriced: sql<number>`sum(${orderItems.unitPriceCents} != ${products.priceCents})`,
    })
    .from(orders)
    .innerJoin(orderItems, eq(orderItems.orderId, orders.id))
    .innerJoin(products, eq(products.id, orderItems.productId))
    .groupBy(orders.id)
    .all();
  for (const row of rows) {
    expect(row.sum).toBe(row.totalCents);
    expect(row.mispriced).toBe(0);
  }
  return rows;
}

function sold(db: AppDatabase, productId: number) {
  return db
    .select({ n: sql<number>`coalesce(sum(${orderItems.quantity}), 0)` })
    .from(orderItems)
    .where(eq(orderItems.productId, productId))
    .get()!.n;
}

async function raceWorkers(path: string, workers: number, attempts: number, cart: object) {
  // Every worker starts its loop at the same moment, once all are loaded.
  const startAt = Date.now() + 1_500;
  const results = await Promise.all(
    Array.from({ length: workers }, () =>
      run(process.execPath, [WORKER, path, String(startAt), String(attempts), JSON.stringify(cart)], { cwd: PROJECT_ROOT }),
    ),
  );
  return results
    .map((r) => JSON.parse(r.stdout) as { placed: number; rejected: number; existing: number })
    .reduce((a, b) => ({ placed: a.placed + b.placed, rejected: a.rejected + b.rejected, existing: a.existing + b.existing }));
}

describe("parallel checkouts from several processes", () => {
  it("sell exactly the stock of a product, one order per unit", async () => {
    const { db, path } = freshDatabase();
    seedDemoProducts(db);
    setStock(db, "desk-lamp", 200);
    const lamp = productBySlug(db, "desk-lamp");

    const tally = await raceWorkers(path, 4, 100, [{ productId: lamp.id, quantity: 1 }]);

    expect(tally).toEqual({ placed: 200, rejected: 200, existing: 0 });
    expect(productBySlug(db, "desk-lamp").stock).toBe(0);
    expect(db.select({ n: sql<number>`count(*)` }).from(orders).get()!.n).toBe(200);
    expect(sold(db, lamp.id)).toBe(200);
    expect(expectOrdersAddUp(db)).toHaveLength(200);
    closeDatabase(db);
  });

  it("never sell part of a cart: the short line refuses the whole order", async () => {
    const { db, path } = freshDatabase();
    seedDemoProducts(db);
    setStock(db, "stoneware-mug", 40);
    setStock(db, "wool-throw", 21);
    const mug = productBySlug(db, "stoneware-mug");
    const throwProduct = productBySlug(db, "wool-throw");

    // Each order takes 1 mug and 2 throws: the throws run out after 10 orders.
    const tally = await raceWorkers(path, 4, 25, [
      { productId: mug.id, quantity: 1 },
      { productId: throwProduct.id, quantity: 2 },
    ]);

    expect(tally).toEqual({ placed: 10, rejected: 90, existing: 0 });
    expect(productBySlug(db, "wool-throw").stock).toBe(1);
    expect(productBySlug(db, "stoneware-mug").stock).toBe(30);
    expect(sold(db, mug.id)).toBe(10);
    expect(sold(db, throwProduct.id)).toBe(20);
    expect(expectOrdersAddUp(db).every((o) => o.lines === 2)).toBe(true);
    closeDatabase(db);
  });
});

describe("parallel checkouts through two servers on one database file", () => {
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => stopServer(s)));
  });

  it("place exactly `stock` orders; the others get a 409 naming the product", async () => {
    const path = join(tempDir("store-race-"), "store.db");
    const env = { DATABASE_PATH: path, SEED_DEMO_DATA: "true" };
    servers.push(await startServer({ env }));
    servers.push(await startServer({ env }));
    const db = openDatabase(path);
    setStock(db, "brass-candle-holder", 30);
    const holder = productBySlug(db, "brass-candle-holder");

    // 30 shoppers fill their carts while stock lasts, then stock drops to 7
    // and all of them press "Place order" at once, alternating servers.
    const shoppers = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const me = shopper(servers[i % 2]!.url);
        await me.addToCart(holder, 1);
        return { me, token: await me.checkoutToken() };
      }),
    );
    setStock(db, "brass-candle-holder", 7);
    const replies = await Promise.all(shoppers.map(({ me, token }) => me.checkout(token)));

    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 302)).toHaveLength(7);
    expect(statuses.filter((s) => s === 409)).toHaveLength(23);
    for (const reply of replies.filter((r) => r.status === 409)) {
      expect(text(reply.html)).toContain("Brass Candle Holder is sold out.");
    }
    expect(productBySlug(db, "brass-candle-holder").stock).toBe(0);
    expect(sold(db, holder.id)).toBe(7);
    expect(expectOrdersAddUp(db)).toHaveLength(7);
    // Each confirmation is a different order.
    expect(new Set(replies.filter((r) => r.status === 302).map((r) => r.location)).size).toBe(7);
    closeDatabase(db);
  });
});

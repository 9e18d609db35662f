// WAL checkpoints off the event loop (app/db/checkpointer.server.ts,
// decision 043): a serving connection's commits no longer run SQLite's
// automatic checkpoint at 1,000 pages; a thread with its own connection does
// the work, in the real server too. Real SQLite files; what each checkpoint
// costs is the benchmark's business (`npm run bench:writer`), not this file's.
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { leaveCheckpointsToTheThread, SAFETY_NET_PAGES, startCheckpointer, type Checkpointer } from "#app/db/checkpointer.server.ts";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { orders, products } from "#app/db/schema.ts";
import { seedDemoProducts } from "#app/db/seed.server.ts";
import { newToken, placeOrder } from "#app/shop/orders.server.ts";
import { freshDatabase, ORDER_LIMITS, tempDir } from "#tests/helpers/db.ts";
import { delay, startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { shopper } from "#tests/helpers/shopper.ts";

/**
 * The wal-index header in the -shm file (https://sqlite.org/walformat.html):
 * frames in the WAL (mxFrame) and how many of them the last checkpoint copied
 * back into the database (nBackfill; 0 again once a writer starts the log over).
 */
function walIndex(path: string): { frames: number; backfilled: number } {
  const fd = openSync(`${path}-shm`, "r");
  try {
    const header = Buffer.alloc(100);
    readSync(fd, header, 0, 100, 0);
    return { frames: header.readUInt32LE(16), backfilled: header.readUInt32LE(96) };
  } finally {
    closeSync(fd);
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000) {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

const details = {
  email: "ada@example.com",
  customerName: "Ada Lovelace",
  addressLine1: "12 Analytical Row",
  addressLine2: "",
  city: "London",
  postalCode: "N1 9GU",
  country: "United Kingdom",
};

let db: AppDatabase | undefined;
let checkpointer: Checkpointer | undefined;
let server: ServerProcess | undefined;
afterEach(async () => {
  await checkpointer?.stop();
  checkpointer = undefined;
  if (db) closeDatabase(db);
  db = undefined;
  if (server) await stopServer(server);
  server = undefined;
});

describe("a serving connection", () => {
  it("leaves checkpoints to the thread: its commits pass 1,000 WAL pages without one, and the thread copies every page back", async () => {
    const fresh = freshDatabase();
    db = fresh.db;
    seedDemoProducts(db);
    db.update(products).set({ stock: 1_000_000 }).run();
    const ids = db.select({ id: products.id }).from(products).orderBy(products.id).all().map((p) => p.id);
    leaveCheckpointsToTheThread(db);

    let placed = 0;
    // Orders until the WAL holds more than SQLite's automatic threshold (1,000 pages).
    while (walIndex(fresh.path).frames <= 1_000) {
      const result = placeOrder(
        db,
        { checkoutToken: newToken(), details, cart: [{ productId: ids[placed % ids.length]!, quantity: 2 }, { productId: ids[(placed + 3) % ids.length]!, quantity: 3 }] },
        ORDER_LIMITS,
      );
      expect(result.status).toBe("placed");
      placed++;
      expect(placed).toBeLessThan(2_000);
    }
    // No commit ran the checkpoint (before, the one that passed 1,000 pages did).
    const before = walIndex(fresh.path);
    expect(before.frames).toBeGreaterThan(1_000);
    expect(before.frames).toBeLessThan(SAFETY_NET_PAGES);
    expect(before.backfilled).toBe(0);

    const lines: string[] = [];
    checkpointer = startCheckpointer(fresh.path, (line) => lines.push(line), 20);
    await until(() => walIndex(fresh.path).backfilled === walIndex(fresh.path).frames, "the thread to checkpoint the whole WAL");
    expect(walIndex(fresh.path).frames).toBe(before.frames);
    expect(lines).toEqual([]);

    // The next write starts the log over, and the thread keeps up.
    placeOrder(db, { checkoutToken: newToken(), details, cart: [{ productId: ids[0]!, quantity: 2 }] }, ORDER_LIMITS);
    expect(walIndex(fresh.path).frames).toBeLessThan(before.frames);
    await until(() => walIndex(fresh.path).backfilled === walIndex(fresh.path).frames, "the thread to checkpoint the new commit");

    await checkpointer.stop();
    checkpointer = undefined;
    expect(db.select({ n: sql<number>`count(*)` }).from(orders).get()!.n).toBe(placed + 1);
  });

  it("says once why the thread could not checkpoint, and the store goes on", async () => {
    const lines: string[] = [];
    checkpointer = startCheckpointer(join(tempDir(), "missing.db"), (line) => lines.push(line), 20);
    await until(() => lines.length > 0, "the thread's failure");
    expect(lines).toEqual([expect.stringMatching(/^checkpoints: the checkpoint thread stopped \(\w+\); commits checkpoint past 10000 pages$/)]);
  });
});

describe("the production server", () => {
  it("checkpoints three orders' pages in the background, far below 1,000 pages, and stops cleanly", async () => {
    const path = join(tempDir("store-checkpoints-"), "store.db");
    server = await startServer({ env: { DATABASE_PATH: path, SEED_DEMO_DATA: "true" } });
    db = openDatabase(path);
    const [mug, lamp] = db.select({ id: products.id, slug: products.slug }).from(products).orderBy(products.id).limit(2).all();
    for (const email of ["a@example.com", "b@example.com", "c@example.com"]) {
      const buyer = shopper(server.url);
      expect((await buyer.addToCart(mug!, 2)).status).toBe(302);
      expect((await buyer.addToCart(lamp!, 3)).status).toBe(302);
      const placed = await buyer.checkout(await buyer.checkoutToken(), { email });
      expect(placed.status).toBe(302);
      expect(placed.location).toMatch(/^\/orders\//);
    }
    const emails = db.select({ email: orders.email }).from(orders).all().map((o) => o.email).sort();
    expect(emails).toEqual(["a@example.com", "b@example.com", "c@example.com"]);
    // SQLite itself would not checkpoint a WAL this small: only the thread does.
    await until(() => {
      const wal = walIndex(path);
      return wal.frames > 0 && wal.frames < 1_000 && wal.backfilled === wal.frames;
    }, "the server's thread to checkpoint the orders");

    closeDatabase(db);
    db = undefined;
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    server = undefined;
    // Our connection and the thread's closed: the last close folded the WAL in and removed it.
    expect(existsSync(`${path}-wal`)).toBe(false);
  });
});

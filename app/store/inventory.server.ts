// The stock ledger. products.stock is what can be sold now; stock_movements
// says how it got there: every change, with its reason and who or what
// caused it. The invariant, for every product:
//
//   products.stock = sum(stock_movements.delta)   and   products.stock >= 0
//
// It holds because stock only changes through moveStock() (or checkout's
// prepared twin in orders.server.ts), which changes the product and writes
// the movement in the same write transaction: both or neither. The backfill
// migration 0007_backfill_opening_stock gave existing products their opening
// balance. `node app/cli/cli.ts inventory check` verifies the invariant on a
// live database (docs/admin.md).
//
// Imports carry .ts extensions: worker processes in the tests run this
// module with plain Node.
import { and, count, desc, eq, gte, sql } from "drizzle-orm";
import { z } from "zod";
import { perConnection, type AppDatabase } from "#app/db/connection.server.ts";
import { orders, products, staff, stockMovements, type StockReason } from "#app/db/schema.ts";
import { catalogChanged } from "#app/store/catalog-changes.server.ts";
import { clampPage } from "#app/core/pages.ts";
import { wholeNumberField } from "#app/core/forms.server.ts";

export const HISTORY_PAGE_SIZE = 25;
/** The largest single adjustment: a typo of a few extra zeros is refused, not booked. */
export const MAX_ADJUSTMENT = 100_000;

export type Movement = {
  productId: number;
  delta: number;
  reason: StockReason;
  orderId?: number | null;
  staffId?: number | null;
  note?: string;
};

/** Stock would go below zero, or the product is gone: nothing was written. */
export class StockRefused extends Error {
  readonly productId: number;
  constructor(productId: number, message: string) {
    super(message);
    this.productId = productId;
  }
}

const prepared = perConnection((db: AppDatabase) => {
  const param = sql.placeholder;
  return {
    // The guard: never below zero (the CHECK on products stands behind it).
    // updated_at in SQL, not drizzle's $onUpdate, which a prepared
    // statement would freeze at the time it was prepared.
    change: db
      .update(products)
      .set({ stock: sql`${products.stock} + ${param("delta")}`, updatedAt: sql`(unixepoch())` })
      .where(and(eq(products.id, param("productId")), gte(sql`${products.stock} + ${param("delta")}`, 0)))
      .prepare(),
    record: db
      .insert(stockMovements)
      .values({
        productId: param("productId"),
        delta: param("delta"),
        reason: param("reason"),
        orderId: param("orderId"),
        staffId: param("staffId"),
        note: param("note"),
      })
      .prepare(),
  };
});

/** Writes one movement for a stock change that has already been made (checkout's own guarded update). */
export function recordMovement(db: AppDatabase, movement: Movement) {
  prepared(db).record.run({
    productId: movement.productId,
    delta: movement.delta,
    reason: movement.reason,
    orderId: movement.orderId ?? null,
    staffId: movement.staffId ?? null,
    note: movement.note ?? "",
  });
}

/**
 * Changes a product's stock by `delta` and records why. Call it inside a
 * write transaction (db.transaction(…, { behavior: "immediate" })) on the
 * same connection, together with whatever caused the change, so they commit
 * or roll back as one. Throws StockRefused, writing nothing, if the product
 * is gone or the stock would go below zero.
 */
export function moveStock(db: AppDatabase, movement: Movement) {
  if (!Number.isInteger(movement.delta) || movement.delta === 0) throw new Error(`bad stock delta ${movement.delta}`);
  const { changes } = prepared(db).change.run({ productId: movement.productId, delta: movement.delta });
  if (changes !== 1) throw new StockRefused(movement.productId, "not enough stock, or no such product");
  recordMovement(db, movement);
  // Staff adjustments, returns and opening balances are rare: every list
  // may show this product, or its "Sold out", so all of them go too.
  catalogChanged({ productIds: [movement.productId], lists: true });
}

/** The stock adjustment form: a signed whole number and why. */
export const adjustmentSchema = z.object({
  delta: wholeNumberField(
    { empty: "Enter how much the stock changes, like 5 or -2.", notWhole: "Enter a whole number, like 5 to add or -2 to remove." },
    (delta) =>
      delta === 0
        ? "A change of 0 changes nothing."
        : Math.abs(delta) > MAX_ADJUSTMENT
          ? `Adjust by at most ${MAX_ADJUSTMENT.toLocaleString("en-US")} at a time.`
          : undefined,
    { signed: true },
  ),
  note: z
    .string()
    .trim()
    .min(1, "Say why, for the history: “counted the shelf”, “2 broken in transit”.")
    .max(200, "Use at most 200 characters."),
});

export type AdjustResult =
  | { status: "adjusted"; stock: number }
  | { status: "missing" }
  | { status: "negative"; stock: number };

/** A manual correction by staff, with a note: the adjustment form. */
export function adjustStock(
  db: AppDatabase,
  input: { productId: number; delta: number; note: string; staffId: number },
): AdjustResult {
  return db.transaction(
    () => {
      const product = db.select({ stock: products.stock }).from(products).where(eq(products.id, input.productId)).get();
      if (!product) return { status: "missing" } as const;
      if (product.stock + input.delta < 0) return { status: "negative", stock: product.stock } as const;
      moveStock(db, { ...input, reason: "adjustment" });
      return { status: "adjusted", stock: product.stock + input.delta } as const;
    },
    { behavior: "immediate" },
  );
}

/** What the stock page shows about the product itself. */
export function productStock(db: AppDatabase, productId: number) {
  return db
    .select({ id: products.id, name: products.name, sku: products.sku, stock: products.stock, archivedAt: products.archivedAt })
    .from(products)
    .where(eq(products.id, productId))
    .get();
}

/**
 * A product's movements, newest first, each with the stock right after it
 * (a running sum over the product's whole history, so it is right on every
 * page).
 */
export function stockHistory(db: AppDatabase, productId: number, page = 1) {
  const total = db.select({ n: count() }).from(stockMovements).where(eq(stockMovements.productId, productId)).get()!.n;
  const { page: current, pageCount } = clampPage(page, total, HISTORY_PAGE_SIZE);
  const withBalance = db
    .select({
      id: stockMovements.id,
      delta: stockMovements.delta,
      reason: stockMovements.reason,
      note: stockMovements.note,
      orderId: stockMovements.orderId,
      staffId: stockMovements.staffId,
      createdAt: stockMovements.createdAt,
      balance: sql<number>`sum(${stockMovements.delta}) OVER (ORDER BY ${stockMovements.id})`.as("balance"),
    })
    .from(stockMovements)
    .where(eq(stockMovements.productId, productId))
    .as("history");
  const items = db
    .select({
      id: withBalance.id,
      delta: withBalance.delta,
      reason: withBalance.reason,
      note: withBalance.note,
      createdAt: withBalance.createdAt,
      balance: withBalance.balance,
      orderId: withBalance.orderId,
      orderNumber: orders.number,
      staffEmail: staff.email,
    })
    .from(withBalance)
    .leftJoin(orders, eq(orders.id, withBalance.orderId))
    .leftJoin(staff, eq(staff.id, withBalance.staffId))
    .orderBy(desc(withBalance.id))
    .limit(HISTORY_PAGE_SIZE)
    .offset((current - 1) * HISTORY_PAGE_SIZE)
    .all();
  return { items, total, page: current, pageCount };
}

const ledgerTotals = (db: AppDatabase) =>
  db
    .select({ productId: stockMovements.productId, total: sql<number>`sum(${stockMovements.delta})`.as("total") })
    .from(stockMovements)
    .groupBy(stockMovements.productId)
    .as("ledger");

/** Products whose stock the ledger does not explain (empty when the invariant holds). */
export function ledgerDrift(db: AppDatabase) {
  const ledger = ledgerTotals(db);
  const recorded = sql<number>`coalesce(${ledger.total}, 0)`;
  return db
    .select({ id: products.id, sku: products.sku, stock: products.stock, recorded: recorded.mapWith(Number) })
    .from(products)
    .leftJoin(ledger, eq(ledger.productId, products.id))
    .where(sql`${products.stock} <> ${recorded}`)
    .orderBy(products.id)
    .all();
}

/**
 * Makes the ledger explain the stock again after it was changed some other
 * way (by hand in SQL, or by an old release still selling during an upgrade:
 * docs/admin.md): one adjustment per product for the difference. The stock
 * itself is not touched. Returns the adjustments written.
 */
export function reconcileLedger(db: AppDatabase, note: string) {
  return db.transaction(
    () => {
      const drift = ledgerDrift(db);
      for (const { id, stock, recorded } of drift) {
        recordMovement(db, { productId: id, delta: stock - recorded, reason: "adjustment", note });
      }
      return drift;
    },
    { behavior: "immediate" },
  );
}

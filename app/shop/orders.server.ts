// Placing and finding orders. placeOrder is the one place stock is sold:
// read this file to see how the store never oversells, never trusts a price
// from the browser and never places the same order twice.
//
// Imports are relative with .ts extensions so plain Node can run this module
// (the concurrency test's worker processes and the benchmark do), not only Vite.
import { randomBytes } from "node:crypto";
import { and, eq, gte, sql } from "drizzle-orm";
import { z } from "zod";
import { perConnection, type AppDatabase } from "#app/db/connection.server.ts";
import { orderItems, orders, products } from "#app/db/schema.ts";
import type { CartLine, OrderLimits } from "#app/shop/cart.server.ts";
import { catalogChanged } from "#app/store/catalog-changes.server.ts";
import { recordMovement } from "#app/store/inventory.server.ts";
import { countryName, type Env } from "#app/core/env.server.ts";
import { enqueueMessage } from "#app/store/mail/outbox.server.ts";
import { orderSummary } from "#app/store/order-summary.server.ts";

/** A random 128-bit token, URL-safe: 22 characters of [A-Za-z0-9_-]. */
export function newToken(): string {
  return randomBytes(16).toString("base64url");
}

export function isToken(value: unknown): value is string {
  return typeof value === "string" && /^[\w-]{22}$/.test(value);
}

// Order numbers are what a shopper reads out or types: 8 characters without
// 0/O/1/I, shown as ABCD-EFGH. Not secret (lookup also needs the email); the
// confirmation URL uses the 128-bit public id instead.
const NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

function newOrderNumber(): string {
  // 32 symbols divide 256, so `byte % 32` is uniform.
  const chars = [...randomBytes(8)].map((b) => NUMBER_ALPHABET[b % 32]).join("");
  return `${chars.slice(0, 4)}-${chars.slice(4)}`;
}

/** "abcd efgh", "ABCDEFGH" and "abcd-efgh" all mean ABCD-EFGH; null if it cannot be one. */
export function normalizeOrderNumber(input: string): string | null {
  const compact = input.toUpperCase().replace(/[\s-]/g, "");
  if (compact.length !== 8 || [...compact].some((c) => !NUMBER_ALPHABET.includes(c))) return null;
  return `${compact.slice(0, 4)}-${compact.slice(4)}`;
}

const text = (label: string, max: number) =>
  z
    .string()
    .trim()
    .min(1, `Enter ${label}.`)
    .max(max, `Use at most ${max} characters.`);

const emailField = z
  .string()
  .trim()
  .min(1, "Enter your email address.")
  .max(254, "Use at most 254 characters.")
  .pipe(z.email("Enter an email address like name@example.com."));

/**
 * The checkout form, for a store that ships to `config.SHIP_TO_COUNTRIES`.
 * Prices and totals are not in it: the server reads them.
 */
export function checkoutSchema(config: Pick<Env, "SHIP_TO_COUNTRIES">) {
  // Zod builds and compiles a schema on its first parse: about 0.4 ms, more
  // than the rest of a checkout's validation. So each list of countries gets
  // its schema once, not once per request.
  let schema = checkoutSchemas.get(config.SHIP_TO_COUNTRIES);
  if (!schema) checkoutSchemas.set(config.SHIP_TO_COUNTRIES, (schema = buildCheckoutSchema(config)));
  return schema;
}
const checkoutSchemas = new WeakMap<readonly string[], ReturnType<typeof buildCheckoutSchema>>();

const buildCheckoutSchema = (config: Pick<Env, "SHIP_TO_COUNTRIES">) => z.object({
  email: emailField,
  customerName: text("your full name", 100),
  addressLine1: text("the street address", 200),
  addressLine2: z.string().trim().max(200, "Use at most 200 characters."),
  city: text("the town or city", 100),
  postalCode: text("the postal code", 20),
  // The code the form's select sends (or, from a page rendered before the
  // select, a typed name): it must be a country the store ships to
  // (SHIP_TO_COUNTRIES). The order keeps the country's name, as a label shows it.
  country: z
    .string()
    .trim()
    .min(1, "Choose the country.")
    .transform((value, ctx) => {
      const name = shipToCountryName(config, value);
      if (name) return name;
      ctx.addIssue({ code: "custom", message: "We do not ship there. Choose a country from the list." });
      return z.NEVER;
    }),
  phone: z
    .string()
    .trim()
    .max(30, "Use at most 30 characters.")
    .regex(/^[+\d\s().-]*$/, "Use digits, spaces and + ( ) - only."),
});

/** The countries checkout offers, by name, as the select lists them. */
export function shipToCountries(config: Pick<Env, "SHIP_TO_COUNTRIES">): readonly { code: string; name: string }[] {
  let list = countryLists.get(config.SHIP_TO_COUNTRIES);
  if (!list) {
    list = config.SHIP_TO_COUNTRIES.map((code) => ({ code, name: countryName(code)! }))
      .sort((a, b) => a.name.localeCompare(b.name, "en"));
    countryLists.set(config.SHIP_TO_COUNTRIES, list);
  }
  return list;
}
const countryLists = new WeakMap<readonly string[], { code: string; name: string }[]>();

/** The name of a country the store ships to, given its code or its name; undefined otherwise. */
function shipToCountryName(config: Pick<Env, "SHIP_TO_COUNTRIES">, value: string): string | undefined {
  const wanted = value.toLowerCase();
  return shipToCountries(config).find((c) => c.code.toLowerCase() === wanted || c.name.toLowerCase() === wanted)?.name;
}
export type CheckoutDetails = z.infer<ReturnType<typeof checkoutSchema>>;
export const checkoutFields = Object.keys(checkoutSchema({ SHIP_TO_COUNTRIES: [] }).shape) as (keyof CheckoutDetails)[];

/** The order lookup form. */
export const lookupSchema = z.object({
  number: z
    .string()
    .trim()
    .min(1, "Enter your order number.")
    .max(20, "Order numbers look like ABCD-EFGH.")
    .transform((value, ctx) => {
      const number = normalizeOrderNumber(value);
      if (!number) ctx.addIssue({ code: "custom", message: "Order numbers look like ABCD-EFGH." });
      return number ?? z.NEVER;
    }),
  email: emailField,
});

// A held order's hold outlasts its Stripe session's window by this much:
// the window must be at least 30 minutes when Stripe receives the request.
export const HOLD_SLACK_S = 60;

/** How the order will be paid: manual (staff mark it paid), or online with its stock held meanwhile. */
export type OrderPayment = { provider: "manual" | "stripe"; currency: string; holdMinutes?: number };

export type StockProblem = { productId: number; name: string | null; message: string };

export type PlaceOrderResult =
  | { status: "placed"; publicId: string; number: string; totalCents: number }
  /** This checkout token was used before: here is the order it placed. */
  | { status: "existing"; publicId: string }
  /** Something in the cart is gone or short. Nothing was written. */
  | { status: "rejected"; problems: StockProblem[]; tooMany?: string };

class StockChanged extends Error {
  readonly productId: number;
  constructor(productId: number) {
    super("stock changed inside the transaction");
    this.productId = productId;
  }
}

// Checkout's statements, built by drizzle and compiled by SQLite once per
// connection (they belong to it), then run with new parameters for every
// order: building and compiling SQL cost more than running it. Prepared on
// `db`, they run inside the transaction below, which is on the same connection.
const prepared = perConnection((db: AppDatabase) => {
  const param = sql.placeholder;
  return {
    orderByToken: db
      .select({ publicId: orders.publicId })
      .from(orders)
      .where(eq(orders.checkoutToken, param("checkoutToken")))
      .prepare(),
    // One statement for a cart of any size: the ids arrive as a JSON array.
    cartProducts: db
      .select({
        id: products.id,
        name: products.name,
        priceCents: products.priceCents,
        stock: products.stock,
        archivedAt: products.archivedAt,
      })
      .from(products)
      .where(sql`${products.id} IN (SELECT value FROM json_each(${param("ids")}))`)
      .prepare(),
    // The oversell guard. (updated_at is set in SQL: a value computed by
    // drizzle's $onUpdate would be frozen into the prepared statement.)
    takeStock: db
      .update(products)
      .set({ stock: sql`${products.stock} - ${param("quantity")}`, updatedAt: sql`(unixepoch())` })
      .where(and(eq(products.id, param("productId")), gte(products.stock, param("quantity"))))
      .prepare(),
    numberTaken: db.select({ id: orders.id }).from(orders).where(eq(orders.number, param("number"))).prepare(),
    insertOrder: db
      .insert(orders)
      .values({
        publicId: param("publicId"),
        number: param("number"),
        checkoutToken: param("checkoutToken"),
        totalCents: param("totalCents"),
        email: param("email"),
        customerName: param("customerName"),
        addressLine1: param("addressLine1"),
        addressLine2: param("addressLine2"),
        city: param("city"),
        postalCode: param("postalCode"),
        country: param("country"),
        phone: param("phone"),
        status: param("status"),
        paymentProvider: param("paymentProvider"),
        currency: param("currency"),
        // Unix seconds, passed as they are: a placeholder skips drizzle's Date mapping.
        holdExpiresAt: sql`${param("holdExpiresAt")}`,
      })
      .returning({ id: orders.id, status: orders.status })
      .prepare(),
    insertItem: db
      .insert(orderItems)
      .values({
        orderId: param("orderId"),
        productId: param("productId"),
        productName: param("productName"),
        unitPriceCents: param("unitPriceCents"),
        quantity: param("quantity"),
      })
      .prepare(),
  };
});

/**
 * Places an order for `cart`, all or nothing, in one write transaction.
 *
 * BEGIN IMMEDIATE takes SQLite's write lock before the first read, so no
 * other connection (in this process or another) can change stock between
 * our read and our write, and a concurrent checkout waits for the lock
 * (busy_timeout) instead of failing. A deferred BEGIN would read first and
 * then fail with SQLITE_BUSY when upgrading to a write.
 *
 * better-sqlite3 runs the callback synchronously: there is no await inside,
 * so the lock is held for a fraction of a millisecond.
 */
export function placeOrder(
  db: AppDatabase,
  // The phone is optional for callers that place orders without the form (tests, workers).
  input: {
    checkoutToken: string;
    details: Omit<CheckoutDetails, "phone"> & { phone?: string };
    cart: CartLine[];
    payment?: OrderPayment;
  },
  limits: OrderLimits,
  /** PUBLIC_URL, for the Message-ID of the confirmation. */
  origin?: string,
): PlaceOrderResult {
  const { checkoutToken, details, cart } = input;
  const payment = input.payment ?? { provider: "manual", currency: "usd" };
  if (cart.length === 0) throw new Error("placeOrder needs at least one cart line");
  // The caps on what one order may reserve are checked again here: a cart
  // written before a cap was lowered must not get past them.
  const total = cart.reduce((sum, l) => sum + l.quantity, 0);

  const statement = prepared(db);
  const soldOut: number[] = [];
  try {
    const result = db.transaction(
      (): PlaceOrderResult => {
        // Idempotency: a token that already placed an order (double click,
        // back button, retry after a timeout) gets that order back. Checked
        // under the write lock, so two simultaneous submissions cannot both
        // miss it; the UNIQUE index on checkout_token backs this up.
        const existing = statement.orderByToken.get({ checkoutToken });
        if (existing) return { status: "existing", publicId: existing.publicId } as const;
        if (total > limits.items) {
          const tooMany = `Your cart holds ${total} items; one order can hold at most ${limits.items}.`;
          return { status: "rejected", problems: [], tooMany } as const;
        }

        // Prices and names come from the database, never from the form.
        const rows = statement.cartProducts.all({ ids: JSON.stringify(cart.map((l) => l.productId)) });
        const byId = new Map(rows.map((r) => [r.id, r]));

        // Collect every problem, so the shopper can fix the cart in one go.
        const problems: StockProblem[] = [];
        for (const { productId, quantity } of cart) {
          const product = byId.get(productId);
          if (!product) problems.push({ productId, name: null, message: "is no longer sold" });
          else if (product.archivedAt) problems.push({ productId, name: product.name, message: "is no longer sold" });
          else if (quantity > limits.perProduct) {
            problems.push({ productId, name: product.name, message: `is limited to ${limits.perProduct} per order` });
          } else if (product.stock === 0) problems.push({ productId, name: product.name, message: "is sold out" });
          else if (product.stock < quantity) {
            problems.push({ productId, name: product.name, message: `has only ${product.stock} left` });
          }
        }
        if (problems.length > 0) return { status: "rejected", problems } as const;

        // The guard that makes overselling impossible:
        //   UPDATE products SET stock = stock - ? WHERE id = ? AND stock >= ?
        // decrements only if enough stock is there at the moment of the
        // write, and the CHECK (stock >= 0) on the table stands behind it.
        // Under the write lock it cannot fail after the read above; if it
        // ever does, throwing rolls back every change made so far.
        for (const { productId, quantity } of cart) {
          const { changes } = statement.takeStock.run({ productId, quantity });
          if (changes !== 1) throw new StockChanged(productId);
        }

        const items = cart.map(({ productId, quantity }) => {
          const product = byId.get(productId)!;
          if (product.stock === quantity) soldOut.push(productId);
          return { productId, quantity, productName: product.name, unitPriceCents: product.priceCents };
        });
        const totalCents = items.reduce((sum, i) => sum + i.unitPriceCents * i.quantity, 0);
        const publicId = newToken();
        // 32^8 numbers make a clash rare; under the write lock, checking first is exact.
        let number = newOrderNumber();
        while (statement.numberTaken.get({ number })) number = newOrderNumber();
        // Paid online: the stock is held until the hold runs out (then the
        // sweeper cancels the order unless Stripe says it was paid).
        const held = payment.provider === "stripe";
        const order = statement.insertOrder.get({
          publicId,
          number,
          checkoutToken,
          totalCents,
          ...details,
          phone: details.phone ?? "",
          status: held ? "awaiting_payment" : "placed",
          paymentProvider: payment.provider,
          currency: payment.currency,
          holdExpiresAt: held ? Math.floor(Date.now() / 1000) + (payment.holdMinutes ?? 30) * 60 + HOLD_SLACK_S : null,
        })!;
        for (const item of items) {
          statement.insertItem.run({ ...item, orderId: order.id });
          // The stock ledger's record of the sale, in the same transaction
          // as the stock it took (app/store/inventory.server.ts).
          recordMovement(db, { productId: item.productId, delta: -item.quantity, reason: "sale", orderId: order.id });
        }
        // The confirmation email, in the same transaction: it exists
        // exactly when the order does (app/store/mail/outbox.server.ts). An
        // order waiting for online payment gets it when paid (moveOrder).
        if (order.status === "placed") enqueueMessage(db, { kind: "order_placed", orderId: order.id }, { origin });
        return { status: "placed", publicId, number, totalCents } as const;
      },
      { behavior: "immediate" },
    );
    // Committed. Only a product this order sold out changes what shoppers
    // may do (its page and the lists say "Sold out"): those copies go now.
    // Any other sale changes a page's "N left", which may be a cache window
    // stale (issue 12; checkout re-reads stock under the write lock anyway):
    // dropping the page at every sale would make a popular product's page
    // render again at every order, and checkouts wait behind those renders.
    if (result.status === "placed" && soldOut.length > 0) catalogChanged({ productIds: soldOut, lists: true });
    return result;
  } catch (error) {
    if (!(error instanceof StockChanged)) throw error;
    return { status: "rejected", problems: [{ productId: error.productId, name: null, message: "just sold out" }] };
  }
}

/** The public id of the order a checkout token placed, if any. */
export function findOrderByCheckoutToken(db: AppDatabase, checkoutToken: string) {
  return prepared(db).orderByToken.get({ checkoutToken })?.publicId;
}

/** An order and its items for the confirmation page, by its unguessable public id. */
export function getOrder(db: AppDatabase, publicId: string) {
  if (!isToken(publicId)) return undefined;
  const order = orderSummary(db, eq(orders.publicId, publicId));
  if (!order) return undefined;
  // The row id stays on the server: the public id is the page's key.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { id, ...details } = order;
  return details;
}

/**
 * The public id of the order with this number, if the email matches too
 * (ignoring case). Both must match, and a miss does not say which one was
 * wrong, so an order number alone reveals nothing.
 */
export function findOrderByNumberAndEmail(db: AppDatabase, number: string, email: string) {
  const order = db
    .select({ publicId: orders.publicId, email: orders.email })
    .from(orders)
    .where(eq(orders.number, number))
    .get();
  if (!order || order.email.toLowerCase() !== email.trim().toLowerCase()) return undefined;
  return order.publicId;
}

// Cart rules. The cart itself is a list of (product id, quantity) kept in
// the signed session cookie (session.server.ts); these functions check a
// change against the database and return the new list or a message for the
// shopper. Prices are never stored in the cart: they are read when shown and
// read again when the order is placed.
//
// Imports are relative with .ts extensions so plain Node can run this module
// (the concurrency test's worker processes do), not only Vite.
import { eq, inArray } from "drizzle-orm";
import { z } from "zod";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { products } from "#app/db/schema.ts";
import type { Env } from "#app/core/env.server.ts";
import { idField, wholeNumberField } from "#app/core/forms.server.ts";
import { MAX_CART_LINES } from "#app/core/limits.ts";
import { cardColumns } from "#app/store/products.server.ts";

export type CartLine = { productId: number; quantity: number };

const productIdField = idField("That product does not exist.");

function quantityField({ perProduct }: OrderLimits) {
  return wholeNumberField({ empty: "Enter a quantity.", notWhole: `Enter a whole number from 1 to ${perProduct}.` }, (quantity) =>
    quantity < 1 ? "The quantity must be at least 1." : quantity > perProduct ? `You can buy at most ${perProduct} of one item.` : undefined,
  );
}

/** The product page's "Add to cart" form and the cart page's quantity form. */
export function cartLineSchema(limits: OrderLimits) {
  // Built once per limit: Zod compiles a schema on its first parse (checkoutSchema).
  let schema = cartLineSchemas.get(limits.perProduct);
  if (!schema) cartLineSchemas.set(limits.perProduct, (schema = z.object({ productId: productIdField, quantity: quantityField(limits) })));
  return schema;
}
const cartLineSchemas = new Map<number, z.ZodObject<{ productId: typeof productIdField; quantity: ReturnType<typeof quantityField> }>>();
/** The cart page's "Remove" button. */
export const removeLineSchema = z.object({ productId: productIdField });

/**
 * What one order may reserve (ORDER_MAX_PER_PRODUCT, ORDER_MAX_ITEMS). The
 * store takes no payment: an order holds its stock until staff cancel it, so
 * without a cap one visitor could take a whole product off sale in a few
 * clicks (docs/security.md). Checked when the cart changes and again when
 * the order is placed.
 */
export function orderLimits(config: Pick<Env, "ORDER_MAX_PER_PRODUCT" | "ORDER_MAX_ITEMS">) {
  return { perProduct: config.ORDER_MAX_PER_PRODUCT, items: config.ORDER_MAX_ITEMS };
}
export type OrderLimits = ReturnType<typeof orderLimits>;

/** Why the cart's total is over the cap, or null. */
function overItemCap(cart: CartLine[], { items }: OrderLimits): string | null {
  const total = cart.reduce((sum, l) => sum + l.quantity, 0);
  return total > items ? `One order can hold at most ${items} items; your cart would have ${total}.` : null;
}

export type CartChange =
  | { ok: true; cart: CartLine[]; name: string }
  | { ok: false; error: string };

function productStock(db: AppDatabase, productId: number) {
  return db
    .select({ name: products.name, stock: products.stock, archivedAt: products.archivedAt })
    .from(products)
    .where(eq(products.id, productId))
    .get();
}

export function addToCart(db: AppDatabase, cart: CartLine[], line: CartLine, limits: OrderLimits): CartChange {
  const product = productStock(db, line.productId);
  if (!product || product.archivedAt) return { ok: false, error: "That product is no longer sold." };
  if (product.stock === 0) return { ok: false, error: "Sorry, this product is sold out." };
  const inCart = cart.find((l) => l.productId === line.productId)?.quantity ?? 0;
  const wanted = inCart + line.quantity;
  const already = inCart > 0 ? ` You already have ${inCart} in your cart.` : "";
  if (wanted > limits.perProduct) {
    return { ok: false, error: `You can buy at most ${limits.perProduct} of one item.${already}` };
  }
  if (wanted > product.stock) {
    return { ok: false, error: `Only ${product.stock} left in stock.${already}` };
  }
  if (inCart === 0 && cart.length >= MAX_CART_LINES) {
    return { ok: false, error: `Your cart is full: it holds at most ${MAX_CART_LINES} different products.` };
  }
  const next =
    inCart > 0
      ? cart.map((l) => (l.productId === line.productId ? { ...l, quantity: wanted } : l))
      : [...cart, line];
  const over = overItemCap(next, limits);
  if (over) return { ok: false, error: over };
  return { ok: true, cart: next, name: product.name };
}

export function setQuantity(db: AppDatabase, cart: CartLine[], line: CartLine, limits: OrderLimits): CartChange {
  if (!cart.some((l) => l.productId === line.productId)) {
    return { ok: false, error: "That item is no longer in your cart." };
  }
  const product = productStock(db, line.productId);
  if (!product || product.archivedAt) return { ok: false, error: "This product is no longer sold. Please remove it." };
  if (product.stock === 0) return { ok: false, error: "Sold out. Please remove it." };
  if (line.quantity > product.stock) return { ok: false, error: `Only ${product.stock} left in stock.` };
  const current = cart.find((l) => l.productId === line.productId)!.quantity;
  const next = cart.map((l) => (l.productId === line.productId ? line : l));
  // Only a larger quantity can break the cap: lowering one is always allowed,
  // even in a cart over a cap that was lowered since it was filled.
  const over = line.quantity > current ? overItemCap(next, limits) : null;
  if (over) return { ok: false, error: over };
  return { ok: true, cart: next, name: product.name };
}

export function removeFromCart(cart: CartLine[], productId: number): CartLine[] {
  return cart.filter((l) => l.productId !== productId);
}

/**
 * The cart with current names, prices and stock, in one query. Lines that
 * cannot be bought (deleted, sold out, not enough left) are flagged, not
 * dropped, so the shopper sees what changed.
 */
export function getCartView(db: AppDatabase, cart: CartLine[]) {
  const rows =
    cart.length === 0
      ? []
      : db
          .select({ ...cardColumns, archivedAt: products.archivedAt })
          .from(products)
          .where(
            inArray(
              products.id,
              cart.map((l) => l.productId),
            ),
          )
          .all();
  const byId = new Map(rows.map(({ id, ...product }) => [id, product]));
  const lines = cart.map(({ productId, quantity }) => {
    // undefined: the product was deleted since it was added. Archived
    // products are still shown, by name, so the shopper sees what changed.
    const product = byId.get(productId);
    // Why this line cannot be bought as it is, in words for the shopper.
    const problem = !product || product.archivedAt
      ? "This product is no longer sold."
      : product.stock === 0
        ? "Sold out."
        : product.stock < quantity
          ? `Only ${product.stock} left in stock.`
          : null;
    const lineTotalCents = product && !problem ? product.priceCents * quantity : 0;
    return { productId, quantity, product, lineTotalCents, problem };
  });
  return {
    lines,
    subtotalCents: lines.reduce((sum, l) => sum + l.lineTotalCents, 0),
    itemCount: cart.reduce((sum, l) => sum + l.quantity, 0),
    hasProblems: lines.some((l) => l.problem !== null),
  };
}

export type CartView = ReturnType<typeof getCartView>;
export type CartViewLine = CartView["lines"][number];

// Cart rules against a real migrated SQLite file.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { products } from "#app/db/schema.ts";
import { addToCart, cartLineSchema, getCartView, removeFromCart, setQuantity, type CartLine } from "#app/shop/cart.server.ts";
import { parseEnv } from "#app/core/env.server.ts";
import { MAX_CART_LINES } from "#app/core/limits.ts";

// The default caps (ORDER_MAX_PER_PRODUCT, ORDER_MAX_ITEMS): tests run without either set.
const { ORDER_MAX_PER_PRODUCT: PER_PRODUCT, ORDER_MAX_ITEMS: ITEMS } = parseEnv({});
import { productBySlug, seededDatabase, setStock, ORDER_LIMITS } from "#tests/helpers/db.ts";


describe("the add-to-cart and quantity form", () => {
  it("accepts whole numbers from 1 to the cap", () => {
    expect(cartLineSchema(ORDER_LIMITS).parse({ productId: "7", quantity: " 3 " })).toEqual({ productId: 7, quantity: 3 });
    expect(cartLineSchema(ORDER_LIMITS).parse({ productId: "7", quantity: String(PER_PRODUCT) }).quantity).toBe(PER_PRODUCT);
  });

  it.each([
    ["", "Enter a quantity."],
    ["0", "The quantity must be at least 1."],
    ["-1", `Enter a whole number from 1 to ${PER_PRODUCT}.`],
    ["1.5", `Enter a whole number from 1 to ${PER_PRODUCT}.`],
    ["1e3", `Enter a whole number from 1 to ${PER_PRODUCT}.`],
    ["0x10", `Enter a whole number from 1 to ${PER_PRODUCT}.`],
    ["two", `Enter a whole number from 1 to ${PER_PRODUCT}.`],
    [String(PER_PRODUCT + 1), `You can buy at most ${PER_PRODUCT} of one item.`],
    ["9".repeat(400), `You can buy at most ${PER_PRODUCT} of one item.`],
  ])("refuses quantity %j with a message", (quantity, message) => {
    const result = cartLineSchema(ORDER_LIMITS).safeParse({ productId: "1", quantity });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(message);
  });

  it.each(["", "abc", "-3", "1.0", "1".repeat(16)])("refuses product id %j", (productId) => {
    expect(cartLineSchema(ORDER_LIMITS).safeParse({ productId, quantity: "1" }).success).toBe(false);
  });
});

describe("changing the cart", () => {
  it("adds, merges the same product, updates and removes", () => {
    const db = seededDatabase();
    const mug = productBySlug(db, "stoneware-mug");
    const pen = productBySlug(db, "brass-pen");
    let cart: CartLine[] = [];
    const add = (productId: number, quantity: number) => {
      const change = addToCart(db, cart, { productId, quantity }, ORDER_LIMITS);
      if (!change.ok) throw new Error(change.error);
      cart = change.cart;
    };
    add(mug.id, 2);
    add(pen.id, 1);
    add(mug.id, 3);
    expect(cart).toEqual([
      { productId: mug.id, quantity: 5 },
      { productId: pen.id, quantity: 1 },
    ]);
    const updated = setQuantity(db, cart, { productId: pen.id, quantity: 4 }, ORDER_LIMITS);
    expect(updated).toMatchObject({ ok: true, cart: [{ productId: mug.id, quantity: 5 }, { productId: pen.id, quantity: 4 }] });
    expect(removeFromCart(cart, mug.id)).toEqual([{ productId: pen.id, quantity: 1 }]);
    expect(removeFromCart(cart, 123456)).toEqual(cart);
  });

  it("refuses more than the stock, counting what is already in the cart", () => {
    const db = seededDatabase();
    setStock(db, "wool-throw", 3);
    const throwId = productBySlug(db, "wool-throw").id;
    const first = addToCart(db, [], { productId: throwId, quantity: 2 }, ORDER_LIMITS);
    expect(first.ok).toBe(true);
    const cart = first.ok ? first.cart : [];
    expect(addToCart(db, cart, { productId: throwId, quantity: 2 }, ORDER_LIMITS)).toEqual({
      ok: false,
      error: "Only 3 left in stock. You already have 2 in your cart.",
    });
    expect(setQuantity(db, cart, { productId: throwId, quantity: 4 }, ORDER_LIMITS)).toEqual({ ok: false, error: "Only 3 left in stock." });
    setStock(db, "wool-throw", 0);
    expect(addToCart(db, [], { productId: throwId, quantity: 1 }, ORDER_LIMITS)).toEqual({ ok: false, error: "Sorry, this product is sold out." });
  });

  it("refuses unknown products, the per-item cap and a full cart", () => {
    const db = seededDatabase();
    expect(addToCart(db, [], { productId: 999_999, quantity: 1 }, ORDER_LIMITS)).toEqual({ ok: false, error: "That product is no longer sold." });
    setStock(db, "pencil-bundle", 500);
    const pencils = productBySlug(db, "pencil-bundle").id;
    expect(addToCart(db, [{ productId: pencils, quantity: PER_PRODUCT - 1 }], { productId: pencils, quantity: 2 }, ORDER_LIMITS)).toMatchObject({
      ok: false,
      error: expect.stringContaining(`at most ${PER_PRODUCT}`),
    });
    const full = Array.from({ length: MAX_CART_LINES }, (_, i) => ({ productId: 10_000 + i, quantity: 1 }));
    expect(addToCart(db, full, { productId: pencils, quantity: 1 }, ORDER_LIMITS)).toMatchObject({ ok: false, error: expect.stringContaining("full") });
    expect(setQuantity(db, [], { productId: pencils, quantity: 1 }, ORDER_LIMITS)).toMatchObject({ ok: false });
  });

  it("keeps one order under the cap on items in all, adding or changing a quantity", () => {
    const db = seededDatabase();
    const ids = ["pencil-bundle", "stoneware-mug", "brass-pen", "tea-tin"].map((slug) => {
      setStock(db, slug, 500);
      return productBySlug(db, slug).id;
    });
    // Fill the cart to the cap with whole lines of the per-product maximum.
    let cart: CartLine[] = [];
    for (const productId of ids) {
      const room = ITEMS - cart.reduce((sum, l) => sum + l.quantity, 0);
      if (room === 0) break;
      const change = addToCart(db, cart, { productId, quantity: Math.min(PER_PRODUCT, room) }, ORDER_LIMITS);
      expect(change.ok).toBe(true);
      if (change.ok) cart = change.cart;
    }
    expect(cart.reduce((sum, l) => sum + l.quantity, 0)).toBe(ITEMS);
    const spare = ids.find((id) => !cart.some((l) => l.productId === id)) ?? productBySlug(db, "desk-lamp").id;
    setStock(db, "desk-lamp", 500);
    expect(addToCart(db, cart, { productId: spare, quantity: 1 }, ORDER_LIMITS)).toEqual({
      ok: false,
      error: `One order can hold at most ${ITEMS} items; your cart would have ${ITEMS + 1}.`,
    });
    const shrunk = cart.map((l, i) => (i === 0 ? { ...l, quantity: 1 } : l));
    expect(setQuantity(db, shrunk, { productId: cart[0]!.productId, quantity: cart[0]!.quantity }, ORDER_LIMITS)).toMatchObject({ ok: true });
    // A cart over the cap (filled before the cap was lowered): lowering a
    // quantity is allowed, raising one is not.
    const over = [...cart, { productId: spare, quantity: 5 }];
    expect(setQuantity(db, over, { productId: spare, quantity: 2 }, ORDER_LIMITS)).toMatchObject({ ok: true });
    expect(setQuantity(db, over, { productId: spare, quantity: 6 }, ORDER_LIMITS)).toMatchObject({ ok: false, error: expect.stringContaining(`at most ${ITEMS} items`) });
  });
});

describe("showing the cart", () => {
  it("prices lines from the database and flags deleted, sold-out and short products", () => {
    const db = seededDatabase();
    const mug = productBySlug(db, "stoneware-mug");
    const lamp = productBySlug(db, "desk-lamp");
    const throwProduct = productBySlug(db, "wool-throw");
    const gone = db
      .insert(products)
      .values({ slug: "gone", sku: "TEST-GONE", name: "Gone", description: "Soon deleted.", priceCents: 500, stock: 5, image: "/x.svg" })
      .returning()
      .get();
    const cart = [
      { productId: mug.id, quantity: 2 },
      { productId: lamp.id, quantity: 3 },
      { productId: throwProduct.id, quantity: 1 },
      { productId: gone.id, quantity: 1 },
    ];
    db.delete(products).where(eq(products.id, gone.id)).run();
    setStock(db, "desk-lamp", 2);
    setStock(db, "wool-throw", 0);

    const view = getCartView(db, cart);
    expect(view.lines.map((l) => l.problem)).toEqual([
      null,
      "Only 2 left in stock.",
      "Sold out.",
      "This product is no longer sold.",
    ]);
    expect(view.lines[3]!.product).toBeUndefined();
    expect(view.subtotalCents).toBe(2 * mug.priceCents);
    expect(view.itemCount).toBe(7);
    expect(view.hasProblems).toBe(true);
    expect(getCartView(db, [])).toMatchObject({ lines: [], subtotalCents: 0, hasProblems: false });
  });
});

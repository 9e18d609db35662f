// Cart rules against a real migrated SQLite file.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { products } from "#app/db/schema.ts";
import { addToCart, cartLineSchema, getCartView, removeFromCart, setQuantity, type CartLine } from "#app/lib/cart.server.ts";
import { MAX_CART_LINES, MAX_QUANTITY } from "#app/lib/limits.ts";
import { productBySlug, seededDatabase, setStock } from "#tests/helpers/db.ts";


describe("the add-to-cart and quantity form", () => {
  it("accepts whole numbers from 1 to the cap", () => {
    expect(cartLineSchema.parse({ productId: "7", quantity: " 3 " })).toEqual({ productId: 7, quantity: 3 });
    expect(cartLineSchema.parse({ productId: "7", quantity: String(MAX_QUANTITY) }).quantity).toBe(MAX_QUANTITY);
  });

  it.each([
    ["", "Enter a quantity."],
    ["0", "The quantity must be at least 1."],
    ["-1", `Enter a whole number from 1 to ${MAX_QUANTITY}.`],
    ["1.5", `Enter a whole number from 1 to ${MAX_QUANTITY}.`],
    ["1e3", `Enter a whole number from 1 to ${MAX_QUANTITY}.`],
    ["0x10", `Enter a whole number from 1 to ${MAX_QUANTITY}.`],
    ["two", `Enter a whole number from 1 to ${MAX_QUANTITY}.`],
    ["100", `You can buy at most ${MAX_QUANTITY} of one item.`],
    ["9".repeat(400), `You can buy at most ${MAX_QUANTITY} of one item.`],
  ])("refuses quantity %j with a message", (quantity, message) => {
    const result = cartLineSchema.safeParse({ productId: "1", quantity });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(message);
  });

  it.each(["", "abc", "-3", "1.0", "1".repeat(16)])("refuses product id %j", (productId) => {
    expect(cartLineSchema.safeParse({ productId, quantity: "1" }).success).toBe(false);
  });
});

describe("changing the cart", () => {
  it("adds, merges the same product, updates and removes", () => {
    const db = seededDatabase();
    const mug = productBySlug(db, "stoneware-mug");
    const pen = productBySlug(db, "brass-pen");
    let cart: CartLine[] = [];
    const add = (productId: number, quantity: number) => {
      const change = addToCart(db, cart, { productId, quantity });
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
    const updated = setQuantity(db, cart, { productId: pen.id, quantity: 4 });
    expect(updated).toMatchObject({ ok: true, cart: [{ productId: mug.id, quantity: 5 }, { productId: pen.id, quantity: 4 }] });
    expect(removeFromCart(cart, mug.id)).toEqual([{ productId: pen.id, quantity: 1 }]);
    expect(removeFromCart(cart, 123456)).toEqual(cart);
  });

  it("refuses more than the stock, counting what is already in the cart", () => {
    const db = seededDatabase();
    setStock(db, "wool-throw", 3);
    const throwId = productBySlug(db, "wool-throw").id;
    const first = addToCart(db, [], { productId: throwId, quantity: 2 });
    expect(first.ok).toBe(true);
    const cart = first.ok ? first.cart : [];
    expect(addToCart(db, cart, { productId: throwId, quantity: 2 })).toEqual({
      ok: false,
      error: "Only 3 left in stock. You already have 2 in your cart.",
    });
    expect(setQuantity(db, cart, { productId: throwId, quantity: 4 })).toEqual({ ok: false, error: "Only 3 left in stock." });
    setStock(db, "wool-throw", 0);
    expect(addToCart(db, [], { productId: throwId, quantity: 1 })).toEqual({ ok: false, error: "Sorry, this product is sold out." });
  });

  it("refuses unknown products, the per-item cap and a full cart", () => {
    const db = seededDatabase();
    expect(addToCart(db, [], { productId: 999_999, quantity: 1 })).toEqual({ ok: false, error: "That product is no longer sold." });
    setStock(db, "pencil-bundle", 500);
    const pencils = productBySlug(db, "pencil-bundle").id;
    expect(addToCart(db, [{ productId: pencils, quantity: 98 }], { productId: pencils, quantity: 2 })).toMatchObject({
      ok: false,
      error: expect.stringContaining(`at most ${MAX_QUANTITY}`),
    });
    const full = Array.from({ length: MAX_CART_LINES }, (_, i) => ({ productId: 10_000 + i, quantity: 1 }));
    expect(addToCart(db, full, { productId: pencils, quantity: 1 })).toMatchObject({ ok: false, error: expect.stringContaining("full") });
    expect(setQuantity(db, [], { productId: pencils, quantity: 1 })).toMatchObject({ ok: false });
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

// Placing and finding orders against a real migrated SQLite file: what is
// written, what is not, and that a token places at most one order.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { orderItems, orders, products } from "#app/db/schema.ts";
import { checkoutSchema, findOrderByCheckoutToken, findOrderByNumberAndEmail, getOrder, lookupSchema, newToken, normalizeOrderNumber, placeOrder, type CheckoutDetails } from "#app/shop/orders.server.ts";
import { parseEnv } from "#app/core/env.server.ts";
import { productBySlug, seededDatabase, writes, ORDER_LIMITS } from "#tests/helpers/db.ts";

const details: CheckoutDetails = {
  email: "Ada@Example.com",
  customerName: "Ada Lovelace",
  addressLine1: "12 St James's Square",
  addressLine2: "",
  city: "London",
  postalCode: "SW1Y 4JH",
  country: "United Kingdom",
  phone: "+44 20 7946 0000",
};

describe("placing an order", () => {
  it("writes the order and its items at database prices and takes the stock", () => {
    const db = seededDatabase();
    db.update(products).set({ updatedAt: new Date(0) }).run();
    const mug = productBySlug(db, "stoneware-mug");
    const pen = productBySlug(db, "brass-pen");
    const token = newToken();
    const result = placeOrder(db, {
      checkoutToken: token,
      details,
      cart: [
        { productId: mug.id, quantity: 2 },
        { productId: pen.id, quantity: 1 },
      ],
    }, ORDER_LIMITS);
    expect(result.status).toBe("placed");
    if (result.status !== "placed") return;
    expect(result.totalCents).toBe(2 * mug.priceCents + pen.priceCents);
    expect(result.publicId).toMatch(/^[\w-]{22}$/);
    expect(result.number).toMatch(/^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/);

    const order = db.select().from(orders).where(eq(orders.publicId, result.publicId)).get()!;
    expect(order).toMatchObject({ checkoutToken: token, status: "placed", totalCents: result.totalCents, ...details });
    const items = db.select().from(orderItems).where(eq(orderItems.orderId, order.id)).all();
    expect(items.map(({ productId, productName, unitPriceCents, quantity }) => ({ productId, productName, unitPriceCents, quantity }))).toEqual([
      { productId: mug.id, productName: mug.name, unitPriceCents: mug.priceCents, quantity: 2 },
      { productId: pen.id, productName: pen.name, unitPriceCents: pen.priceCents, quantity: 1 },
    ]);
    expect(productBySlug(db, "stoneware-mug").stock).toBe(mug.stock - 2);
    expect(productBySlug(db, "brass-pen").stock).toBe(pen.stock - 1);
    // Timestamps come from SQLite at write time (not frozen into a prepared statement).
    const now = Date.now();
    expect(Math.abs(order.createdAt.getTime() - now)).toBeLessThan(60_000);
    expect(Math.abs(productBySlug(db, "brass-pen").updatedAt.getTime() - now)).toBeLessThan(60_000);
    expect(productBySlug(db, "desk-lamp").updatedAt.getTime()).toBe(0);

    // The confirmation page's view of it.
    expect(getOrder(db, result.publicId)).toMatchObject({
      number: result.number,
      totalCents: result.totalCents,
      items: [
        { productName: mug.name, quantity: 2, slug: "stoneware-mug" },
        { productName: pen.name, quantity: 1, slug: "brass-pen" },
      ],
    });
  });

  it("keeps the price paid when the catalog price changes later", () => {
    const db = seededDatabase();
    const mug = productBySlug(db, "stoneware-mug");
    const result = placeOrder(db, { checkoutToken: newToken(), details, cart: [{ productId: mug.id, quantity: 1 }] }, ORDER_LIMITS);
    db.update(products).set({ priceCents: 1 }).where(eq(products.id, mug.id)).run();
    if (result.status !== "placed") throw new Error(result.status);
    expect(getOrder(db, result.publicId)?.items[0]?.unitPriceCents).toBe(mug.priceCents);
  });

  it("writes nothing and names every short item when stock runs out", () => {
    const db = seededDatabase();
    const mug = productBySlug(db, "stoneware-mug");
    const lamp = productBySlug(db, "desk-lamp");
    const throwProduct = productBySlug(db, "wool-throw");
    db.update(products).set({ stock: 1 }).where(eq(products.id, lamp.id)).run();
    db.update(products).set({ stock: 0 }).where(eq(products.id, throwProduct.id)).run();
    const before = writes(db);
    const result = placeOrder(db, {
      checkoutToken: newToken(),
      details,
      cart: [
        { productId: mug.id, quantity: 1 },
        { productId: lamp.id, quantity: 2 },
        { productId: throwProduct.id, quantity: 1 },
        { productId: 987_654, quantity: 1 },
      ],
    }, ORDER_LIMITS);
    expect(result).toEqual({
      status: "rejected",
      problems: [
        { productId: lamp.id, name: lamp.name, message: "has only 1 left" },
        { productId: throwProduct.id, name: throwProduct.name, message: "is sold out" },
        { productId: 987_654, name: null, message: "is no longer sold" },
      ],
    });
    expect(writes(db)).toEqual(before);
  });

  it("refuses a cart over the caps on what one order may reserve, writing nothing", () => {
    // A cart cookie written before the caps were lowered (or forged with the
    // secret) reaches placeOrder as it is: the caps hold there too.
    const db = seededDatabase();
    const ids = ["pencil-bundle", "stoneware-mug", "brass-pen", "tea-tin"].map((slug) => {
      db.update(products).set({ stock: 500 }).where(eq(products.slug, slug)).run();
      return productBySlug(db, slug).id;
    });
    const before = writes(db);
    const one = placeOrder(db, { checkoutToken: newToken(), details, cart: [{ productId: ids[0]!, quantity: 11 }] }, ORDER_LIMITS);
    expect(one).toEqual({ status: "rejected", problems: [{ productId: ids[0], name: "Cedar Pencil Bundle", message: "is limited to 10 per order" }] });
    const all = placeOrder(db, { checkoutToken: newToken(), details, cart: ids.map((productId) => ({ productId, quantity: 8 })) }, ORDER_LIMITS);
    expect(all).toEqual({ status: "rejected", problems: [], tooMany: "Your cart holds 32 items; one order can hold at most 30." });
    expect(writes(db)).toEqual(before);
  });

  it("places one order per checkout token, however often it is sent", () => {
    const db = seededDatabase();
    const mug = productBySlug(db, "stoneware-mug");
    const token = newToken();
    const cart = [{ productId: mug.id, quantity: 3 }];
    const first = placeOrder(db, { checkoutToken: token, details, cart }, ORDER_LIMITS);
    const second = placeOrder(db, { checkoutToken: token, details, cart }, ORDER_LIMITS);
    const third = placeOrder(db, { checkoutToken: token, details: { ...details, email: "other@example.com" }, cart }, ORDER_LIMITS);
    if (first.status !== "placed") throw new Error(first.status);
    expect(second).toEqual({ status: "existing", publicId: first.publicId });
    expect(third).toEqual({ status: "existing", publicId: first.publicId });
    expect(db.select().from(orders).all()).toHaveLength(1);
    expect(productBySlug(db, "stoneware-mug").stock).toBe(mug.stock - 3);
    expect(findOrderByCheckoutToken(db, token)).toBe(first.publicId);
    expect(findOrderByCheckoutToken(db, newToken())).toBeUndefined();
  });

  it("rolls everything back if the stock guard refuses a line", () => {
    const db = seededDatabase();
    const mug = productBySlug(db, "stoneware-mug");
    const pen = productBySlug(db, "brass-pen");
    // Simulate stock vanishing between the read and the guarded update (which
    // the write lock prevents in real life): a trigger zeroes the pen's stock
    // the moment the mug's stock is updated.
    db.$client.exec(`CREATE TRIGGER steal AFTER UPDATE OF stock ON products WHEN new.id = ${mug.id}
      BEGIN UPDATE products SET stock = 0 WHERE id = ${pen.id}; END`);
    const before = writes(db);
    const result = placeOrder(db, {
      checkoutToken: newToken(),
      details,
      cart: [
        { productId: mug.id, quantity: 1 },
        { productId: pen.id, quantity: 1 },
      ],
    }, ORDER_LIMITS);
    expect(result).toEqual({ status: "rejected", problems: [{ productId: pen.id, name: null, message: "just sold out" }] });
    expect(writes(db)).toEqual(before);
  });
});

describe("the checkout form", () => {
  const valid = { ...details, addressLine2: "Flat 2" };
  it("trims and accepts a complete form", () => {
    expect(checkoutSchema(parseEnv(process.env)).parse({ ...valid, email: "  ada@example.com " }).email).toBe("ada@example.com");
  });

  it("takes a country the store ships to by code (the select) or by name (a page from before it), and keeps its name", () => {
    expect(checkoutSchema(parseEnv(process.env)).parse({ ...valid, country: "GB" }).country).toBe("United Kingdom");
    expect(checkoutSchema(parseEnv(process.env)).parse({ ...valid, country: "de" }).country).toBe("Germany");
    expect(checkoutSchema(parseEnv(process.env)).parse({ ...valid, country: "united states" }).country).toBe("United States");
    expect(checkoutSchema(parseEnv(process.env)).parse({ ...valid, phone: "" }).phone).toBe("");
  });

  it.each([
    ["email", "", "Enter your email address."],
    ["email", "ada", "Enter an email address like name@example.com."],
    ["email", `${"a".repeat(250)}@example.com`, "Use at most 254 characters."],
    ["customerName", "   ", "Enter your full name."],
    ["customerName", "x".repeat(101), "Use at most 100 characters."],
    ["addressLine1", "", "Enter the street address."],
    ["addressLine2", "x".repeat(201), "Use at most 200 characters."],
    ["city", "", "Enter the town or city."],
    ["postalCode", "1".repeat(21), "Use at most 20 characters."],
    ["country", "", "Choose the country."],
    ["country", "Ruritania", "We do not ship there. Choose a country from the list."],
    ["country", "JP", "We do not ship there. Choose a country from the list."],
    ["phone", "call me", "Use digits, spaces and + ( ) - only."],
    ["phone", "1".repeat(31), "Use at most 30 characters."],
  ])("refuses %s = %j", (field, value, message) => {
    const result = checkoutSchema(parseEnv(process.env)).safeParse({ ...valid, [field]: value });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([expect.objectContaining({ path: [field], message })]);
  });
});

describe("looking an order up", () => {
  it("needs the number and the email, ignoring case and the dash", () => {
    const db = seededDatabase();
    const mug = productBySlug(db, "stoneware-mug");
    const placed = placeOrder(db, { checkoutToken: newToken(), details, cart: [{ productId: mug.id, quantity: 1 }] }, ORDER_LIMITS);
    if (placed.status !== "placed") throw new Error(placed.status);
    const typed = placed.number.toLowerCase().replace("-", " ");
    const form = lookupSchema.parse({ number: typed, email: " ADA@example.COM " });
    expect(form.number).toBe(placed.number);
    expect(findOrderByNumberAndEmail(db, form.number, form.email)).toBe(placed.publicId);
    expect(findOrderByNumberAndEmail(db, placed.number, "someone@example.com")).toBeUndefined();
    expect(findOrderByNumberAndEmail(db, "AAAA-AAAA", details.email)).toBeUndefined();
  });

  it("refuses what cannot be an order number", () => {
    for (const bad of ["", "ABCD-EFG", "ABCD-EFGHJ", "ABCD-EFG0", "ABCD-EFGI", "'; DROP TABLE orders"]) {
      expect(normalizeOrderNumber(bad)).toBeNull();
    }
    expect(lookupSchema.safeParse({ number: "nope", email: "a@b.co" }).error?.issues[0]?.message).toBe(
      "Order numbers look like ABCD-EFGH.",
    );
  });

  it("finds nothing for a malformed or unknown public id", () => {
    const db = seededDatabase();
    expect(getOrder(db, "not-a-token")).toBeUndefined();
    expect(getOrder(db, newToken())).toBeUndefined();
  });
});

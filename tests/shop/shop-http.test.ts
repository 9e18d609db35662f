// The production server, driven over HTTP the way browsers (and attackers)
// do: the whole purchase, resubmissions, and every kind of bad input. Each
// bad request must get a 4xx with a message on the page and write nothing.
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { orders, products } from "#app/db/schema.ts";
import { setStock, tempDir, writes } from "#tests/helpers/db.ts";
import { startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { customer, shopper, text } from "#tests/helpers/shopper.ts";

let server: ServerProcess;
let db: AppDatabase;

beforeAll(async () => {
  const path = join(tempDir("store-shop-"), "store.db");
  server = await startServer({ env: { DATABASE_PATH: path, SEED_DEMO_DATA: "true" } });
  db = openDatabase(path);
});
afterAll(async () => {
  closeDatabase(db);
  if (server) await stopServer(server);
});

function product(slug: string) {
  return db.select({ id: products.id, slug: products.slug, priceCents: products.priceCents, stock: products.stock }).from(products).where(eq(products.slug, slug)).get()!;
}
const orderCount = () => writes(db).orders.length;

beforeEach(() => {
  // Tests change stock; give every product plenty again.
  db.update(products).set({ stock: 50 }).run();
});

describe("a purchase over HTTP", () => {
  it("adds two products, changes a quantity, checks out and finds the order again", async () => {
    const mug = product("stoneware-mug");
    const pen = product("brass-pen");
    const me = shopper(server.url);
    expect(await me.addToCart(mug, 1)).toMatchObject({ status: 302, location: "/products/stoneware-mug" });
    // Changes redirect (post/redirect/get); the next page shows the notice
    // once and the new count, rendered from the new cookie.
    const added = await me.addToCart(pen, 2);
    const next = text((await me.get(added.location!)).html);
    expect(next).toContain("Added 2 × Brass Ballpoint Pen to your cart.");
    expect(next).toMatch(/Cart\s*3\s*items/);
    expect(text((await me.get(added.location!)).html)).not.toContain("Added 2");

    const updated = await me.post("/cart", { intent: "update", productId: String(mug.id), quantity: "3" });
    expect(updated).toMatchObject({ status: 302, location: "/cart" });
    const cart = text((await me.get("/cart")).html);
    expect(cart).toContain("Updated Stoneware Mug to 3.");
    expect(cart).toContain(`Subtotal (5 items): $${((3 * mug.priceCents + 2 * pen.priceCents) / 100).toFixed(2)}`);

    const before = orderCount();
    const token = await me.checkoutToken();
    // A tampered form: a price, a total and a line the server must ignore.
    const placed = await me.checkout(token, { totalCents: "1", priceCents: "1", unitPriceCents: "0", "items[0][price]": "0" });
    expect(placed.status).toBe(302);
    expect(placed.location).toMatch(/^\/orders\/[\w-]{22}$/);
    expect(orderCount()).toBe(before + 1);

    const publicId = placed.location!.split("/").pop()!;
    const order = db.select().from(orders).where(eq(orders.publicId, publicId)).get()!;
    expect(order.totalCents).toBe(3 * mug.priceCents + 2 * pen.priceCents);
    expect(order).toMatchObject({ email: customer.email, customerName: customer.customerName, checkoutToken: token });
    expect(product("stoneware-mug").stock).toBe(47);
    expect(product("brass-pen").stock).toBe(48);

    const confirmation = await me.get(placed.location!);
    expect(confirmation.status).toBe(200);
    expect(text(confirmation.html)).toContain(`Order ${order.number}`);
    expect(text(confirmation.html)).toContain(`$${(order.totalCents / 100).toFixed(2)}`);
    // The cart became the order.
    expect(text((await me.get("/cart")).html)).toContain("Your cart is empty.");

    const lookup = await shopper(server.url).post("/orders", { number: order.number.toLowerCase(), email: "GRACE@example.com" });
    expect(lookup).toMatchObject({ status: 302, location: placed.location });
    const wrong = await shopper(server.url).post("/orders", { number: order.number, email: "someone@example.com" });
    expect(wrong.status).toBe(404);
    expect(text(wrong.html)).toContain("We could not find an order with that number and email.");

    // Nothing personal in the server's log.
    expect(server.output()).not.toContain("example.com");
    expect(server.output()).not.toContain(publicId);
    expect(server.output()).not.toContain(order.number);
  });

  it("turns the same checkout token into one order, sent twice, in parallel, or after the cart was emptied", async () => {
    const me = shopper(server.url);
    await me.addToCart(product("soy-candle"), 2);
    const token = await me.checkoutToken();
    const cookieWithCart = me.cookie();
    const before = writes(db);

    const first = await me.checkout(token);
    expect(first.status).toBe(302);
    // Resubmitting with the emptied cart (back button) ...
    const again = await me.checkout(token);
    expect(again).toMatchObject({ status: 302, location: first.location });
    // ... and as if the first response was lost: the old cookie still holds the cart.
    const retry = shopper(server.url);
    retry.setCookie(cookieWithCart);
    expect(await retry.checkout(token)).toMatchObject({ status: 302, location: first.location });
    // ... and five at once.
    const burst = await Promise.all(Array.from({ length: 5 }, () => retry.checkout(token)));
    expect(burst.map((r) => r.location)).toEqual(Array(5).fill(first.location));

    const after = writes(db);
    expect(after.orders).toHaveLength(before.orders.length + 1);
    expect(after.items).toHaveLength(before.items.length + 1);
    const candle = product("soy-candle");
    expect(after.stock.find((p) => p.id === candle.id)!.stock).toBe(before.stock.find((p) => p.id === candle.id)!.stock - 2);
    expect(after.stock.filter((p) => p.id !== candle.id)).toEqual(before.stock.filter((p) => p.id !== candle.id));
  });

  it("places simultaneous double clicks once", async () => {
    const me = shopper(server.url);
    await me.addToCart(product("taper-candles"), 1);
    const token = await me.checkoutToken();
    const before = orderCount();
    const replies = await Promise.all([me.checkout(token), me.checkout(token)]);
    expect(replies.map((r) => r.status)).toEqual([302, 302]);
    expect(replies[0]!.location).toBe(replies[1]!.location);
    expect(orderCount()).toBe(before + 1);
  });
});

describe("stock shortfalls over HTTP", () => {
  it("refuses the order with 409, names the short item and writes nothing", async () => {
    const lamp = product("desk-lamp");
    const mug = product("stoneware-mug");
    const me = shopper(server.url);
    await me.addToCart(mug, 1);
    await me.addToCart(lamp, 3);
    const token = await me.checkoutToken();
    setStock(db, "desk-lamp", 2);
    const before = writes(db);
    const reply = await me.checkout(token);
    expect(reply.status).toBe(409);
    expect(text(reply.html)).toContain("Adjustable Desk Lamp has only 2 left.");
    expect(writes(db)).toEqual(before);
    // The cart page flags it too, and the cart is still there to fix.
    const cart = text((await me.get("/cart")).html);
    expect(cart).toContain("Only 2 left in stock.");
    expect(cart).toContain("Some items cannot be bought as they are.");

    await me.post("/cart", { intent: "update", productId: String(lamp.id), quantity: "2" });
    const placed = await me.checkout(token);
    expect(placed.status).toBe(302);
    expect(product("desk-lamp").stock).toBe(0);
  });

  it("flags a product that was deleted or sold out instead of failing", async () => {
    const extra = db
      .insert(products)
      .values({ slug: "short-lived", sku: "TEST-SHORT", name: "Short-Lived Thing", description: "Here today.", priceCents: 700, stock: 3, image: "/favicon.svg" })
      .returning({ id: products.id, slug: products.slug })
      .get();
    const me = shopper(server.url);
    await me.addToCart(extra, 1);
    await me.addToCart(product("wool-throw"), 1);
    db.delete(products).where(eq(products.id, extra.id)).run();
    setStock(db, "wool-throw", 0);

    const cart = await me.get("/cart");
    expect(cart.status).toBe(200);
    expect(text(cart.html)).toContain("This product is no longer sold.");
    expect(text(cart.html)).toContain("Sold out.");
    const token = await me.checkoutToken();
    const before = writes(db);
    const reply = await me.checkout(token);
    expect(reply.status).toBe(409);
    expect(text(reply.html)).toContain("A product in your cart is no longer sold.");
    expect(text(reply.html)).toContain("Wool Throw is sold out.");
    expect(writes(db)).toEqual(before);

    expect((await me.post("/cart", { intent: "remove", productId: String(extra.id) })).status).toBe(302);
    expect(text((await me.get("/cart")).html)).not.toContain("no longer sold");
  });
});

describe("bad input over HTTP: 4xx with a message, nothing written", () => {
  async function expectRefused(reply: Promise<{ status: number; html: string }>, status: number, message: string) {
    const before = writes(db);
    const { status: actual, html } = await reply;
    expect(actual).toBe(status);
    expect(text(html)).toContain(message);
    expect(writes(db)).toEqual(before);
  }

  it.each([
    ["-1", "Enter a whole number from 1 to 10."],
    ["1.5", "Enter a whole number from 1 to 10."],
    ["1e3", "Enter a whole number from 1 to 10."],
    ["abc", "Enter a whole number from 1 to 10."],
    ["", "Enter a quantity."],
    ["0", "The quantity must be at least 1."],
    ["99999999999999999999", "You can buy at most 10 of one item."],
    ["11", "You can buy at most 10 of one item."],
  ])("add to cart refuses quantity %j", async (quantity, message) => {
    const me = shopper(server.url);
    await expectRefused(me.addToCart(product("stoneware-mug"), quantity), 400, message);
    expect(text((await me.get("/cart")).html)).toContain("Your cart is empty.");
  });

  it("add to cart refuses more than the stock left", async () => {
    setStock(db, "stoneware-mug", 3);
    const me = shopper(server.url);
    await expectRefused(me.addToCart(product("stoneware-mug"), 4), 400, "Only 3 left in stock.");
  });

  it("add to cart refuses a product id that does not exist or is not a number", async () => {
    const me = shopper(server.url);
    await expectRefused(me.addToCart({ id: 987_654, slug: "stoneware-mug" }, 1), 400, "That product is no longer sold.");
    await expectRefused(me.addToCart({ id: "1 OR 1=1", slug: "stoneware-mug" }, 1), 400, "That product does not exist.");
    await expectRefused(me.addToCart({ id: "-5", slug: "stoneware-mug" }, 1), 400, "That product does not exist.");
    expect(text((await me.get("/cart")).html)).toContain("Your cart is empty.");
  });

  it("the cart refuses unknown actions and bad quantities", async () => {
    const me = shopper(server.url);
    const mug = product("stoneware-mug");
    await me.addToCart(mug, 1);
    await expectRefused(me.post("/cart", { intent: "explode", productId: String(mug.id) }), 400, "Unknown cart action.");
    await expectRefused(me.post("/cart", { intent: "update", productId: String(mug.id), quantity: "-4" }), 400, "Enter a whole number");
    await expectRefused(me.post("/cart", { intent: "update", productId: "424242", quantity: "1" }), 400, "That item is no longer in your cart.");
  });

  it("checkout refuses invalid and oversized fields, keeping what was typed", async () => {
    const me = shopper(server.url);
    await me.addToCart(product("stoneware-mug"), 1);
    const token = await me.checkoutToken();
    const reply = me.checkout(token, { email: "grace", customerName: "x".repeat(5_000), city: "" });
    await expectRefused(reply, 400, "Please correct 3 fields below.");
    const { html } = await me.checkout(token, { email: "grace", customerName: "x".repeat(5_000), city: "" });
    expect(text(html)).toContain("Enter an email address like name@example.com.");
    expect(text(html)).toContain("Use at most 100 characters.");
    expect(text(html)).toContain("Enter the town or city.");
    expect(html).toContain('value="grace"');
    expect(html).toMatch(/id="email"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="email"/);
    expect(html).toContain('aria-describedby="email-hint email-error"');
  });

  it("checkout refuses a missing or forged token and an empty cart", async () => {
    const me = shopper(server.url);
    await me.addToCart(product("stoneware-mug"), 1);
    await expectRefused(me.checkout(""), 400, "This checkout page is out of date.");
    await expectRefused(me.checkout("'; DELETE FROM orders; --"), 400, "This checkout page is out of date.");
    const empty = shopper(server.url);
    await expectRefused(empty.checkout("AAAAAAAAAAAAAAAAAAAAAA"), 400, "Your cart is empty.");
  });

  it("refuses bodies that are not store forms", async () => {
    const me = shopper(server.url);
    const mug = product("stoneware-mug");
    await me.addToCart(mug, 1);
    const token = await me.checkoutToken();
    const json = JSON.stringify({ ...customer, checkoutToken: token });
    await expectRefused(me.post("/checkout", { raw: json, type: "application/json" }), 415, "Please send the form from the store's page.");
    await expectRefused(me.post("/checkout", { raw: "email=a@b.co" }), 415, "Please send the form from the store's page.");
    await expectRefused(
      me.post("/checkout", { raw: "--xyz\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nbroken", type: "multipart/form-data; boundary=xyz" }),
      400,
      "The form could not be read.",
    );
    const tooLarge = me.post("/checkout", { raw: new URLSearchParams({ ...customer, checkoutToken: token, pad: "x".repeat(20_000) }).toString(), type: "application/x-www-form-urlencoded" });
    await expectRefused(tooLarge, 413, "That form is too large.");
    // The error page's title is the store's words for the status, not the status text.
    expect((await tooLarge).html).toContain("<title>That is too large · Corner Store</title>");
    expect((await me.post("/checkout", { raw: json, type: "application/json" })).html).toContain("<title>That form could not be read · Corner Store</title>");
    await expectRefused(me.post(`/products/${mug.slug}`, { raw: "%%%&&&===", type: "application/x-www-form-urlencoded" }), 400, "That product does not exist.");
    // A form posted from another site is refused before any action runs.
    await expectRefused(me.post("/checkout", { ...customer, checkoutToken: token }, { Origin: "https://evil.example" }), 400, "Bad Request");
  });

  it("ignores a cart cookie with a bad signature", async () => {
    const me = shopper(server.url);
    await me.addToCart(product("stoneware-mug"), 2);
    const [name, value] = me.cookie().split("=");
    const [payload] = decodeURIComponent(value!).split(".");
    const forged = JSON.parse(Buffer.from(payload!, "base64").toString());
    forged.cart[0].quantity = 99;
    me.setCookie(`${name}=${encodeURIComponent(`${Buffer.from(JSON.stringify(forged)).toString("base64")}.bad`)}`);
    const cart = await me.get("/cart");
    expect(cart.status).toBe(200);
    expect(text(cart.html)).toContain("Your cart is empty.");
  });

  it("answers 404 for an order that does not exist", async () => {
    expect((await shopper(server.url).get("/orders/AAAAAAAAAAAAAAAAAAAAAA")).status).toBe(404);
    expect((await shopper(server.url).get("/orders/short")).status).toBe(404);
  });
});

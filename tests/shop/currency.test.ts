// A store that sells in euros, and one that sells in yen (STORE_CURRENCY), over
// HTTP against the production server with Stripe pointed at its test double:
// every page shows prices in the store's currency and minor unit, Stripe is
// asked for the same amounts in the currency's smallest unit (cents; whole
// yen), what its hosted page charges is what the store showed, and the staff's
// price field reads a price in that currency.
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { orders, products } from "#app/db/schema.ts";
import { renderMessage } from "#app/store/mail/messages/render.server.tsx";
import { tempDir } from "#tests/helpers/db.ts";
import { startServer, stopServer, TEST_PUBLIC_URL, type ServerProcess } from "#tests/helpers/server.ts";
import { shopper, text } from "#tests/helpers/shopper.ts";
import { browser, productForm, staffAccount } from "#tests/helpers/staff.ts";
import { shownAmount, startStripeDouble, type StripeDouble } from "#tests/helpers/stripe-double.ts";

// The demo throw is 9800 minor units, the mug 1800, the pen 4500: 3 mugs and 2 pens are 14,400.
const stores = [
  { currency: "eur", wool: "€98.00", mug: "€18.00", pen: "€45.00", mugs: "€54.00", total: "€144.00", charged: "144.00 EUR", newPrice: "27.50", newAmount: 2750, refused: "27.505", refusal: "Enter the price in EUR, like 12.50." },
  { currency: "jpy", wool: "¥9,800", mug: "¥1,800", pen: "¥4,500", mugs: "¥5,400", total: "¥14,400", charged: "14400 JPY", newPrice: "2,750", newAmount: 2750, refused: "27.50", refusal: "Enter the price in JPY, like 1800." },
] as const;

describe.each(stores)("a store selling in $currency", (store) => {
  let server: ServerProcess;
  let stripe: StripeDouble;
  let db: AppDatabase;

  beforeAll(async () => {
    stripe = await startStripeDouble();
    const path = join(tempDir(`store-${store.currency}-`), "store.db");
    server = await startServer({ env: { DATABASE_PATH: path, SEED_DEMO_DATA: "true", STORE_CURRENCY: store.currency.toUpperCase(), ...stripe.env } });
    stripe.deliverTo(`${server.url}/webhooks/stripe`);
    db = openDatabase(path);
  });
  afterAll(async () => {
    if (db) closeDatabase(db);
    if (server) await stopServer(server);
    await stripe?.stop();
    expect(server?.output() ?? "").not.toMatch(/Error|\n\s+at /);
  });

  const product = (slug: string) => db.select().from(products).where(eq(products.slug, slug)).get()!;

  it("shows its prices, charges the same amounts at Stripe, and keeps the currency on the order", async () => {
    const mug = product("stoneware-mug");
    const pen = product("brass-pen");
    expect([mug.priceCents, pen.priceCents]).toEqual([1800, 4500]);
    const me = shopper(server.url);

    const catalog = text((await me.get("/")).html);
    expect(catalog).toContain(`Wool Throw${store.wool}`);
    expect(catalog).not.toContain("$");
    expect(text((await me.get("/products/stoneware-mug")).html)).toContain(store.mug);

    expect((await me.addToCart(mug, 3)).status).toBe(302);
    expect((await me.addToCart(pen, 2)).status).toBe(302);
    const cart = text((await me.get("/cart")).html);
    expect(cart).toContain(`Subtotal (5 items): ${store.total}`);
    expect(cart).toContain(`${store.mug} each`);
    const checkoutPage = text((await me.get("/checkout")).html);
    expect(checkoutPage).toContain(store.total);
    expect(checkoutPage).not.toContain("$");

    const placed = await me.checkout(await me.checkoutToken());
    expect(placed.status).toBe(303);
    const order = db.select().from(orders).where(eq(orders.paymentProvider, "stripe")).get()!;
    expect(order).toMatchObject({ currency: store.currency, totalCents: 14_400, status: "awaiting_payment" });

    // Stripe is asked for the amounts in the currency's smallest unit: the
    // integers the store keeps, with the store's currency on every line.
    const sent = stripe.requests.filter((r) => r.path === "/v1/checkout/sessions").at(-1)!;
    expect(sent.form).toMatchObject({
      "line_items[0][price_data][currency]": store.currency,
      "line_items[0][price_data][unit_amount]": "1800",
      "line_items[0][quantity]": "3",
      "line_items[1][price_data][currency]": store.currency,
      "line_items[1][price_data][unit_amount]": "4500",
      "line_items[1][quantity]": "2",
    });
    // The hosted page charges what the store showed.
    const session = [...stripe.sessions.values()].at(-1)!;
    expect(shownAmount(session.amount_total, session.currency)).toBe(store.charged);
    expect(text(await (await fetch(placed.location!)).text())).toContain(`Total ${store.charged}`);

    const paid = await fetch(`${stripe.url}/pay/${session.id}/complete`, { method: "POST", redirect: "manual" });
    expect(paid.headers.get("location")).toBe(`${TEST_PUBLIC_URL}/orders/${order.publicId}`);
    expect(db.select().from(orders).where(eq(orders.id, order.id)).get()!.status).toBe("paid");
    const page = await me.get(`/orders/${order.publicId}`);
    expect(text(page.html)).toContain("Payment received");
    expect(text(page.html)).toContain(`Stoneware Mug${store.mug}3${store.mugs}`);
    expect(text(page.html)).toContain(`Total${store.total}`);

    // The email the payment queued, in the order's currency.
    const message = renderMessage(db, { kind: "order_paid", orderId: order.id, staffId: null, link: null }, { origin: TEST_PUBLIC_URL, name: "Shop" });
    expect(message.text).toContain(`3 × Stoneware Mug at ${store.mug}: ${store.mugs}`);
    expect(message.text).toContain(`Total: ${store.total}`);

    // The staff's pages: the list, the order, and the refund's confirmation.
    await staffAccount(db, `owner-${store.currency}@example.com`, "owner");
    const owner = browser(server.url);
    await owner.signIn(`owner-${store.currency}@example.com`);
    expect(text((await owner.get("/admin/orders")).html)).toContain(store.total);
    const admin = text((await owner.get(`/admin/orders/${order.id}`)).html);
    expect(admin).toContain(`Total${store.total}`);
    expect(admin).toContain(store.pen);
    expect(text((await owner.get(`/admin/orders/${order.id}/refund`)).html)).toContain(`Refund ${store.total}`);
  });

  it("reads the staff's price field in the store's currency", async () => {
    await staffAccount(db, `clerk-${store.currency}@example.com`, "staff");
    const clerk = browser(server.url);
    await clerk.signIn(`clerk-${store.currency}@example.com`);
    const mug = product("stoneware-mug");
    const edit = await clerk.get(`/admin/products/${mug.id}`);
    expect(edit.html).toContain(`Price (${store.currency.toUpperCase()})`);
    expect(edit.html).toMatch(new RegExp(`name="price"[^>]*value="${store.currency === "jpy" ? "1800" : "18.00"}"`));

    const fields = { intent: "save", name: mug.name, slug: mug.slug, sku: mug.sku, description: mug.description };
    const refused = await clerk.post(`/admin/products/${mug.id}`, productForm({ ...fields, price: store.refused }));
    expect(refused.status).toBe(400);
    expect(text(refused.html)).toContain(store.refusal);
    expect(product("stoneware-mug").priceCents).toBe(1800);

    const saved = await clerk.post(`/admin/products/${mug.id}`, productForm({ ...fields, price: store.newPrice }));
    expect(saved.status).toBe(302);
    expect(product("stoneware-mug").priceCents).toBe(store.newAmount);
  });
});

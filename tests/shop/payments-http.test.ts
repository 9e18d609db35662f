// Paying with Stripe Checkout, over HTTP against the production server: the
// real `stripe` client talks to a local double of Stripe's API
// (tests/helpers/stripe-double.ts), and webhooks are signed with the stripe
// library's own test-header helper. Checks what the store sent Stripe, where
// the shopper lands, what the database holds, and that stock comes back
// exactly once whatever order events arrive in.
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { orders, outboxMessages, paymentEvents, products, stockMovements } from "#app/db/schema.ts";
import { ledgerDrift } from "#app/store/inventory.server.ts";
import { tempDir } from "#tests/helpers/db.ts";
import { runNode, startServer, stopServer, TEST_PUBLIC_URL, type ServerProcess } from "#tests/helpers/server.ts";
import { shopper, text } from "#tests/helpers/shopper.ts";
import { eventJson, signWebhook, startStripeDouble, type StripeDouble } from "#tests/helpers/stripe-double.ts";
import { browser, staffAccount } from "#tests/helpers/staff.ts";

let server: ServerProcess;
let stripe: StripeDouble;
let db: AppDatabase;
let dbPath: string;

beforeAll(async () => {
  stripe = await startStripeDouble();
  dbPath = join(tempDir("store-payments-"), "store.db");
  server = await startServer({ env: { DATABASE_PATH: dbPath, SEED_DEMO_DATA: "true", ...stripe.env } });
  stripe.deliverTo(`${server.url}/webhooks/stripe`);
  db = openDatabase(dbPath);
});
afterAll(async () => {
  if (db) closeDatabase(db);
  if (server) await stopServer(server);
  await stripe?.stop();
});
beforeEach(() => {
  stripe.chargeInstead({});
  stripe.fail(0);
});

const product = (slug: string) => db.select().from(products).where(eq(products.slug, slug)).get()!;
const orderByPublicId = (publicId: string) => db.select().from(orders).where(eq(orders.publicId, publicId)).get()!;
/** The emails queued for an order (docs/email.md): the confirmation waits for the payment. */
const emails = (orderId: number) =>
  db.select({ kind: outboxMessages.kind }).from(outboxMessages).where(eq(outboxMessages.orderId, orderId)).all().map((m) => m.kind);
const returned = (orderId: number) =>
  db.select().from(stockMovements).where(and(eq(stockMovements.orderId, orderId), eq(stockMovements.reason, "cancellation"))).all();

/** A shopper with 3 pencil bundles and 2 tins of clips in the cart, sent to Stripe. */
async function checkout() {
  const me = shopper(server.url);
  const mug = product("pencil-bundle");
  const pen = product("paper-clips-tin");
  await me.addToCart(mug, 3);
  await me.addToCart(pen, 2);
  const token = await me.checkoutToken();
  const placed = await me.checkout(token);
  const order = db.select().from(orders).where(eq(orders.checkoutToken, token)).get()!;
  return { me, token, placed, order, mug, pen, publicId: order.publicId, total: 3 * mug.priceCents + 2 * pen.priceCents };
}

async function postWebhook(payload: string, signature = signWebhook(payload)) {
  const response = await fetch(`${server.url}/webhooks/stripe`, {
    method: "POST",
    body: payload,
    headers: { "Content-Type": "application/json", "Stripe-Signature": signature },
  });
  return { status: response.status, body: await response.text() };
}

describe("checkout with Stripe", () => {
  it("holds the stock, opens a session with server prices and an idempotency key, and comes back paid", async () => {
    const { me, placed, order, mug, pen, publicId, total } = await checkout();
    expect(placed.status).toBe(303);
    const session = [...stripe.sessions.values()].at(-1)!;
    expect(placed.location).toBe(`${stripe.url}/pay/${session.id}`);
    // Committed before Stripe was asked, with its stock held.
    expect(order).toMatchObject({ status: "awaiting_payment", paymentProvider: "stripe", currency: "usd", totalCents: total, paymentReference: session.id });
    expect(product("pencil-bundle").stock).toBe(mug.stock - 3);
    expect(product("paper-clips-tin").stock).toBe(pen.stock - 2);
    const holdSeconds = order.holdExpiresAt!.getTime() / 1000 - order.createdAt.getTime() / 1000;
    expect(holdSeconds).toBeGreaterThanOrEqual(31 * 60 - 2);
    expect(holdSeconds).toBeLessThanOrEqual(31 * 60 + 2);

    // What Stripe received: prices from the database, in cents, and the order.
    const sent = stripe.requests.filter((r) => r.path === "/v1/checkout/sessions").at(-1)!;
    expect(sent.idempotencyKey).toBe(`order-${publicId}-hold-${order.holdExpiresAt!.getTime() / 1000}`);
    expect(sent.form).toMatchObject({
      mode: "payment",
      "line_items[0][quantity]": "3",
      "line_items[0][price_data][unit_amount]": String(mug.priceCents),
      "line_items[0][price_data][currency]": "usd",
      "line_items[1][quantity]": "2",
      "line_items[1][price_data][unit_amount]": String(pen.priceCents),
      client_reference_id: String(order.id),
      "metadata[order_id]": String(order.id),
      "metadata[order_number]": order.number,
      expires_at: String(order.holdExpiresAt!.getTime() / 1000),
      success_url: `${TEST_PUBLIC_URL}/orders/${publicId}`,
      cancel_url: `${TEST_PUBLIC_URL}/orders/${publicId}/pay`,
    });
    expect(session.amount_total).toBe(total);
    // The cart became the order.
    expect(text((await me.get("/cart")).html)).toContain("Your cart is empty");

    // Back before paying: the page asks Stripe, which says open.
    expect(text((await me.get(`/orders/${publicId}`)).html)).toContain("Confirming your payment…");
    expect(emails(order.id)).toEqual([]);

    // Paying on the hosted page: Stripe sends the signed webhook, then the shopper back.
    const paid = await fetch(`${stripe.url}/pay/${session.id}/complete`, { method: "POST", redirect: "manual" });
    expect([paid.status, paid.headers.get("location")]).toEqual([303, `${TEST_PUBLIC_URL}/orders/${publicId}`]);
    expect(stripe.delivered.at(-1)).toEqual({ type: "checkout.session.completed", status: 200 });
    const after = orderByPublicId(publicId);
    expect(after).toMatchObject({ status: "paid", holdExpiresAt: null, paymentIntent: stripe.sessions.get(session.id)!.payment_intent });
    expect(after.paidAt).toBeInstanceOf(Date);
    const page = text((await me.get(`/orders/${publicId}`)).html);
    expect(page).toContain("Payment received");
    expect(page).not.toContain("Confirming");
    // The confirmation is queued with the payment, once, whatever else Stripe sends.
    expect(emails(order.id)).toEqual(["order_placed"]);
    expect(product("pencil-bundle").stock).toBe(mug.stock - 3);
    expect(returned(order.id)).toEqual([]);
    expect(db.select().from(paymentEvents).where(eq(paymentEvents.orderId, order.id)).all().map((e) => [e.type, e.outcome])).toEqual([
      ["session.completed", "paid"],
    ]);
    expect(ledgerDrift(db)).toEqual([]);
  });

  it("confirms on the way back when the webhook has not come: the same path, applied once", async () => {
    const { me, publicId, order } = await checkout();
    stripe.pay(order.paymentReference!); // paid at Stripe, no webhook sent
    expect(text((await me.get(`/orders/${publicId}`)).html)).toContain("Payment received");
    expect(orderByPublicId(publicId).status).toBe("paid");
    // The webhook arrives later: recorded, changes nothing.
    const late = await postWebhook(eventJson("checkout.session.completed", stripe.view(order.paymentReference!)));
    expect(late.status).toBe(200);
    expect(db.select().from(paymentEvents).where(eq(paymentEvents.orderId, order.id)).get()!.outcome).toBe("ignored: already paid");
  });

  it("when Stripe cannot be reached, keeps the one order held and offers to try paying again", async () => {
    stripe.fail(2); // the client's attempt and its one retry
    const { me, placed, order, publicId } = await checkout();
    expect([placed.status, placed.location]).toEqual([303, `/orders/${publicId}/pay?retry`]);
    expect(order).toMatchObject({ status: "awaiting_payment", paymentReference: null });
    const page = await me.get(placed.location!);
    expect(text(page.html)).toContain("We could not reach the payment provider, so nothing was charged.");
    expect(text(page.html)).toContain("Try paying again");

    const again = await me.post(`/orders/${publicId}/pay`, { intent: "pay" });
    const session = [...stripe.sessions.values()].at(-1)!;
    expect([again.status, again.location]).toEqual([303, session.url]);
    expect(orderByPublicId(publicId).paymentReference).toBe(session.id);
    // Twice more: the same open session, never a second order or session.
    const count = stripe.sessions.size;
    expect((await me.post(`/orders/${publicId}/pay`, { intent: "pay" })).location).toBe(session.url);
    expect(stripe.sessions.size).toBe(count);
    expect(db.select().from(orders).where(eq(orders.email, order.email)).all().filter((o) => o.checkoutToken === order.checkoutToken)).toHaveLength(1);
  });

  it("cancelling on the way back closes the session at Stripe, then returns the stock once", async () => {
    const { me, order, publicId, mug, pen } = await checkout();
    const cancelled = await me.post(`/orders/${publicId}/pay`, { intent: "cancel" });
    expect([cancelled.status, cancelled.location]).toEqual([303, `/orders/${publicId}`]);
    expect(stripe.sessions.get(order.paymentReference!)!.status).toBe("expired");
    expect(orderByPublicId(publicId).status).toBe("cancelled");
    expect(product("pencil-bundle").stock).toBe(mug.stock);
    expect(product("paper-clips-tin").stock).toBe(pen.stock);
    // Stripe's expiry webhook (sent by the double when the session closed) changes nothing more.
    await expect.poll(() => stripe.delivered.filter((d) => d.type === "checkout.session.expired").length).toBeGreaterThan(0);
    expect(returned(order.id).map((m) => m.delta).sort()).toEqual([2, 3]);
    // Never paid, never confirmed: no email about its cancellation either.
    expect(emails(order.id)).toEqual([]);
    expect(text((await me.get(`/orders/${publicId}`)).html)).toContain("Cancelled");
    // The pay page of a cancelled order goes to the order.
    expect((await me.get(`/orders/${publicId}/pay`)).status).toBe(302);
    expect(ledgerDrift(db)).toEqual([]);
  });
});

describe("the webhook", () => {
  it("refuses a bad signature and a stale one with 400, before reading the event", async () => {
    const { order } = await checkout();
    const payload = eventJson("checkout.session.completed", stripe.pay(order.paymentReference!));
    expect((await postWebhook(payload, signWebhook(payload, { secret: "whsec_wrong" }))).status).toBe(400);
    expect((await postWebhook(payload, "t=1,v1=deadbeef")).status).toBe(400);
    expect((await postWebhook(payload, signWebhook(payload, { timestamp: Math.floor(Date.now() / 1000) - 301 }))).status).toBe(400);
    expect((await postWebhook(`${payload} `, signWebhook(payload))).status).toBe(400);
    const missing = await fetch(`${server.url}/webhooks/stripe`, { method: "POST", body: payload });
    expect(missing.status).toBe(400);
    expect(orderByPublicId(order.publicId).status).toBe("awaiting_payment");
    expect(server.output()).not.toContain(order.email);
  });

  it("applies a duplicate once, acknowledges unknown events, and ignores an expiry that arrives after the payment", async () => {
    const { order } = await checkout();
    const completed = eventJson("checkout.session.completed", stripe.pay(order.paymentReference!));
    const [a, b] = await Promise.all([postWebhook(completed), postWebhook(completed)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await postWebhook(completed)).status).toBe(200);
    expect(db.select().from(paymentEvents).where(eq(paymentEvents.orderId, order.id)).all()).toHaveLength(1);
    expect(orderByPublicId(order.publicId).status).toBe("paid");

    // Out of order: Stripe's expiry for this session, delivered late.
    const expired = eventJson("checkout.session.expired", { ...stripe.view(order.paymentReference!), status: "expired" });
    expect((await postWebhook(expired)).status).toBe(200);
    expect(orderByPublicId(order.publicId).status).toBe("paid");
    expect(returned(order.id)).toEqual([]);

    const unknown = await postWebhook(eventJson("customer.created", { id: "cus_1", object: "customer" }));
    expect(unknown.status).toBe(200);
    expect(server.output()).toMatch(/payments: webhook evt_\S+ customer\.created: ignored: customer\.created/);
  });

  it("flags a payment whose amount or currency differs for staff, and the sweeper leaves it alone", async () => {
    const { order, total, mug } = await checkout();
    stripe.chargeInstead({ amount: total - 100 });
    const paid = await fetch(`${stripe.url}/pay/${order.paymentReference}/complete`, { method: "POST", redirect: "manual" });
    expect(paid.status).toBe(303);
    const flagged = orderByPublicId(order.publicId);
    expect(flagged.status).toBe("awaiting_payment");
    expect(flagged.paymentIssue).toMatch(/^Stripe took \$[\d.]+ USD \(session cs_test_\d+\), but the order is for \$[\d.]+ USD/);
    db.update(orders).set({ holdExpiresAt: new Date(Date.now() - 60_000) }).where(eq(orders.id, order.id)).run();
    const sweep = await runNode(["app/cli/cli.ts", "payments", "sweep"], { env: { DATABASE_PATH: dbPath, ...stripe.env } });
    expect(sweep.code).toBe(0);
    expect(orderByPublicId(order.publicId).status).toBe("awaiting_payment");
    expect(product("pencil-bundle").stock).toBe(mug.stock - 3);
  });

  it("answers 503 while the database is locked, so Stripe retries; the retry applies it", async () => {
    const { order } = await checkout();
    const completed = eventJson("checkout.session.completed", stripe.pay(order.paymentReference!));
    db.$client.exec("BEGIN IMMEDIATE");
    let busy;
    try {
      busy = await postWebhook(completed);
    } finally {
      db.$client.exec("ROLLBACK");
    }
    expect(busy.status).toBe(503);
    expect(orderByPublicId(order.publicId).status).toBe("awaiting_payment");
    expect((await postWebhook(completed)).status).toBe(200);
    expect(orderByPublicId(order.publicId).status).toBe("paid");
  }, 20_000);

  it("takes a body up to its own cap (above the form limit) and refuses a larger one with 413", async () => {
    const big = eventJson("customer.updated", { id: "cus_2", object: "customer", note: "x".repeat(100_000) });
    expect((await postWebhook(big)).status).toBe(200);
    const huge = eventJson("customer.updated", { id: "cus_3", object: "customer", note: "x".repeat(300_000) });
    expect((await postWebhook(huge)).status).toBe(413);
  });
});

describe("the sweeper", () => {
  it("expires a run-out hold at Stripe first, then cancels it and returns the stock once; a paid one becomes paid", async () => {
    const abandoned = await checkout();
    const paidLate = await checkout();
    stripe.pay(paidLate.order.paymentReference!); // paid at Stripe; its webhook was lost
    const fresh = await checkout();
    const past = new Date(Date.now() - 60_000);
    for (const o of [abandoned.order, paidLate.order]) db.update(orders).set({ holdExpiresAt: past }).where(eq(orders.id, o.id)).run();

    const sweep = await runNode(["app/cli/cli.ts", "payments", "sweep"], { env: { DATABASE_PATH: dbPath, ...stripe.env } });
    expect(sweep.output).toContain("payments sweep: 1 cancelled, 1 paid, 0 still waiting, 0 not checked");
    expect(sweep.code).toBe(0);
    expect(stripe.sessions.get(abandoned.order.paymentReference!)!.status).toBe("expired");
    expect(orderByPublicId(abandoned.publicId).status).toBe("cancelled");
    expect(orderByPublicId(paidLate.publicId).status).toBe("paid");
    expect(orderByPublicId(fresh.publicId).status).toBe("awaiting_payment");
    // Stripe's own expiry webhook for the abandoned session arrives too; and a second sweep.
    await expect.poll(() => stripe.delivered.filter((d) => d.type === "checkout.session.expired").length).toBeGreaterThan(1);
    const again = await runNode(["app/cli/cli.ts", "payments", "sweep"], { env: { DATABASE_PATH: dbPath, ...stripe.env } });
    expect(again.output).toContain("payments sweep: 0 cancelled, 0 paid");
    expect(returned(abandoned.order.id).map((m) => m.delta).sort()).toEqual([2, 3]);
    expect(returned(paidLate.order.id)).toEqual([]);
    // 3 bundles each: the abandoned ones back, paidLate's and fresh's still out.
    expect(product("pencil-bundle").stock).toBe(abandoned.mug.stock - 3 * 2);
    expect(ledgerDrift(db)).toEqual([]);
  });
});

describe("refunds", () => {
  it("the owner refunds a paid order once, on a confirmation page; the stock comes back; staff cannot", async () => {
    await staffAccount(db, "owner@example.com", "owner");
    await staffAccount(db, "clerk@example.com", "staff");
    const owner = browser(server.url);
    await owner.signIn("owner@example.com");
    const clerk = browser(server.url);
    await clerk.signIn("clerk@example.com");

    const { order, mug, pen, publicId, total } = await checkout();
    await fetch(`${stripe.url}/pay/${order.paymentReference}/complete`, { method: "POST", redirect: "manual" });
    expect(orderByPublicId(publicId).status).toBe("paid");
    const url = `/admin/orders/${order.id}/refund`;

    expect(text((await owner.get(`/admin/orders/${order.id}`)).html)).toContain("Refund…");
    expect(text((await clerk.get(`/admin/orders/${order.id}`)).html)).not.toContain("Refund…");
    expect((await clerk.get(url)).status).toBe(403);
    expect((await clerk.post(url, { status: "paid" })).status).toBe(403);
    const confirm = text((await owner.get(url)).html);
    expect(confirm).toContain(`Stripe will return $${(total / 100).toFixed(2)}`);
    expect(confirm).toContain("its items go back in stock");

    // Stripe unreachable: nothing refunded, the order unchanged, a message.
    stripe.fail(2);
    const down = await owner.post(url, { status: "paid" });
    expect(down.status).toBe(503);
    expect(text(down.html)).toContain("Stripe could not be reached, so nothing was refunded.");
    expect(orderByPublicId(publicId).status).toBe("paid");

    const done = await owner.post(url, { status: "paid" });
    expect([done.status, done.location]).toEqual([302, `/admin/orders/${order.id}`]);
    expect(text((await owner.get(done.location!)).html)).toContain(`Order ${order.number} is refunded; its items are back in stock.`);
    expect(stripe.refunds).toContainEqual(expect.objectContaining({ payment_intent: orderByPublicId(publicId).paymentIntent, amount: total }));
    expect(stripe.requests.filter((r) => r.path === "/v1/refunds").map((r) => r.idempotencyKey)).toContain(`refund-${publicId}`);
    expect(orderByPublicId(publicId).status).toBe("refunded");
    expect(product("pencil-bundle").stock).toBe(mug.stock);
    expect(product("paper-clips-tin").stock).toBe(pen.stock);

    // A second press from the old page: a 409, no second refund.
    const refundsBefore = stripe.refunds.length;
    expect((await owner.post(url, { status: "paid" })).status).toBe(409);
    expect(stripe.refunds.length).toBe(refundsBefore);
    // Stripe's charge.refunded webhook for it changes nothing more.
    const charge = { id: "ch_1", object: "charge", payment_intent: orderByPublicId(publicId).paymentIntent, amount_refunded: total, refunded: true };
    expect((await postWebhook(eventJson("charge.refunded", charge))).status).toBe(200);
    expect(returned(order.id).map((m) => m.delta).sort()).toEqual([2, 3]);
    expect(ledgerDrift(db)).toEqual([]);
  });

  it("a refund made in Stripe's Dashboard is recorded from its webhook, stock back if not shipped", async () => {
    const { order, publicId, total } = await checkout();
    await fetch(`${stripe.url}/pay/${order.paymentReference}/complete`, { method: "POST", redirect: "manual" });
    const intent = orderByPublicId(publicId).paymentIntent;
    const charge = { id: "ch_2", object: "charge", payment_intent: intent, amount_refunded: total, refunded: true };
    expect((await postWebhook(eventJson("charge.refunded", charge))).status).toBe(200);
    expect(orderByPublicId(publicId).status).toBe("refunded");
    expect(returned(order.id).map((m) => m.delta).sort()).toEqual([2, 3]);
  });
});

describe("a flagged payment", () => {
  it("the owner accepts it after a look, on a confirmation page: paid, the issue cleared, recorded, the confirmation queued; staff cannot", async () => {
    await staffAccount(db, "accepting-owner@example.com", "owner");
    await staffAccount(db, "accepting-clerk@example.com", "staff");
    const owner = browser(server.url);
    await owner.signIn("accepting-owner@example.com");
    const clerk = browser(server.url);
    await clerk.signIn("accepting-clerk@example.com");

    const { order, total, mug, pen, publicId } = await checkout();
    stripe.chargeInstead({ amount: total - 250 });
    await fetch(`${stripe.url}/pay/${order.paymentReference}/complete`, { method: "POST", redirect: "manual" });
    const flagged = orderByPublicId(publicId);
    const session = stripe.sessions.get(order.paymentReference!)!;
    expect(flagged).toMatchObject({ status: "awaiting_payment", paymentIntent: session.payment_intent });
    const issue = flagged.paymentIssue!;
    expect(issue).toContain(`Stripe took $${((total - 250) / 100).toFixed(2)} USD`);
    const page = `/admin/orders/${order.id}`;
    const url = `${page}/accept-payment`;

    // Staff see the note but not the button, and cannot use the page.
    expect(text((await clerk.get(page)).html)).toContain("Payment needs a look");
    expect(text((await clerk.get(page)).html)).not.toContain("Mark paid…");
    expect((await clerk.get(url)).status).toBe(403);
    expect((await clerk.post(url, { issue })).status).toBe(403);
    expect(orderByPublicId(publicId).status).toBe("awaiting_payment");

    expect(text((await owner.get(page)).html)).toContain("Mark paid…");
    const confirm = text((await owner.get(url)).html);
    expect(confirm).toContain(issue);
    expect(confirm).toContain(`the order ($${(total / 100).toFixed(2)}) becomes paid`);
    expect(confirm).toContain("Nothing is charged or refunded");

    // A page that showed another note, or none: nothing changes.
    const stale = await owner.post(url, { issue: "Stripe took something else." });
    expect(stale.status).toBe(409);
    expect(text(stale.html)).toContain("Nothing changed");
    expect((await owner.post(url, {})).status).toBe(400);
    expect(orderByPublicId(publicId)).toMatchObject({ status: "awaiting_payment", paymentIssue: issue });
    expect(emails(order.id)).toEqual([]);

    const done = await owner.post(url, { issue });
    expect([done.status, done.location]).toEqual([302, page]);
    const after = text((await owner.get(page)).html);
    expect(after).toContain(`Order ${order.number} is marked paid: it can be shipped.`);
    expect(after).not.toContain("Payment needs a look");
    expect(after).not.toContain("Mark paid…");
    expect(after).toContain("Mark shipped");
    const paid = orderByPublicId(publicId);
    expect(paid).toMatchObject({ status: "paid", paymentIssue: null, holdExpiresAt: null, paymentIntent: session.payment_intent });
    expect(paid.paidAt).toBeInstanceOf(Date);
    // Recorded beside Stripe's events: who accepted what.
    const recorded = db.select().from(paymentEvents).where(eq(paymentEvents.orderId, order.id)).all();
    expect(recorded.filter((e) => e.type === "staff.payment_accepted").map((e) => [e.id, e.outcome])).toEqual([
      [`staff-accept-${order.id}`, `paid: accepted by accepting-owner@example.com (was: ${issue})`],
    ]);
    // The shopper's confirmation goes out now, once; the stock stays taken.
    expect(emails(order.id)).toEqual(["order_placed"]);
    expect(product("pencil-bundle").stock).toBe(mug.stock - 3);
    expect(product("paper-clips-tin").stock).toBe(pen.stock - 2);
    expect(returned(order.id)).toEqual([]);

    // A second press: a 409, and nothing more.
    expect((await owner.post(url, { issue })).status).toBe(409);
    expect(emails(order.id)).toEqual(["order_placed"]);
    expect(text((await owner.get(url)).html)).toContain("Only a Stripe order whose payment was flagged");
    expect(ledgerDrift(db)).toEqual([]);
  });
});

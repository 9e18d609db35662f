// Kill -9 at each step of paying with Stripe (issue 19), against the
// production server and the Stripe double: after the order commits but
// before its Checkout Session exists; after the session is created; while
// webhooks are being applied. A restart on the same file, Stripe's
// redeliveries and the sweeper must finish the work: every order ends paid
// or cancelled, none paid twice, none held past its window, and the stock
// ledger still explains the stock.
//
// The hold is at least 30 minutes (Stripe's shortest session), so instead of
// waiting, each test moves the remaining holds into the past, which is what
// the sweeper sees once the clock has passed them.
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { orderItems, orders, paymentEvents, products } from "#app/db/schema.ts";
import { ledgerDrift } from "#app/store/inventory.server.ts";
import { tempDir } from "#tests/helpers/db.ts";
import { runNode, startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { shopper, text } from "#tests/helpers/shopper.ts";
import { eventJson, signWebhook, startStripeDouble, type StripeDouble } from "#tests/helpers/stripe-double.ts";

const servers: ServerProcess[] = [];
const doubles: StripeDouble[] = [];
const databases: AppDatabase[] = [];
afterEach(async () => {
  for (const d of doubles) d.deliverTo(undefined);
  await Promise.all(servers.splice(0).map((s) => stopServer(s, "SIGKILL")));
  await Promise.all(doubles.splice(0).map((d) => d.stop()));
  for (const db of databases.splice(0)) closeDatabase(db);
});

const SLUGS = ["pencil-bundle", "paper-clips-tin", "pocket-notebook-set"] as const;

async function setUp() {
  const stripe = await startStripeDouble();
  doubles.push(stripe);
  const path = join(tempDir("store-paycrash-"), "store.db");
  const server = await store(path, stripe);
  const db = openDatabase(path);
  databases.push(db);
  const catalog = SLUGS.map((slug) => db.select().from(products).where(eq(products.slug, slug)).get()!);
  return { stripe, path, server, db, catalog, initial: catalog.map((p) => p.stock) };
}

async function store(path: string, stripe: StripeDouble, env: Record<string, string> = {}) {
  const server = await startServer({ env: { DATABASE_PATH: path, SEED_DEMO_DATA: "true", ...stripe.env, ...env } });
  servers.push(server);
  stripe.deliverTo(`${server.url}/webhooks/stripe`);
  return server;
}

async function kill(server: ServerProcess, stripe: StripeDouble) {
  // Stripe's webhooks to a dead store fail; it retries them later (below).
  stripe.deliverTo(undefined);
  server.child.kill("SIGKILL");
  expect(await server.exited).toBeNull();
}

/** Shopper `i` puts three products in the cart, quantities 2–4 and distinct per shopper, and checks out. */
async function startCheckout(url: string, db: AppDatabase, catalog: { id: number; slug: string }[], i: number) {
  const me = shopper(url);
  const quantities = [2 + (i % 3), 2 + ((i + 1) % 3), 2 + ((i + 2) % 3)];
  for (const [n, product] of catalog.entries()) await me.addToCart(product, quantities[n]!);
  const token = await me.checkoutToken();
  const reply = me.checkout(token, { email: `shopper${i}@example.com` });
  return { me, token, quantities, reply, order: () => db.select().from(orders).where(eq(orders.checkoutToken, token)).get() };
}

/** The same browser (its cookie) talking to the restarted server, which listens on a new port. */
function sameShopper(me: ReturnType<typeof shopper>, url: string) {
  const again = shopper(url);
  again.setCookie(me.cookie());
  return again;
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Posts a signed event as Stripe does, retrying while the store answers 503 (Stripe retries for days). */
async function deliver(url: string, payload: string) {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${url}/webhooks/stripe`, {
      method: "POST",
      body: payload,
      headers: { "Content-Type": "application/json", "Stripe-Signature": signWebhook(payload) },
    });
    if (response.status !== 503 || attempt === 20) return response.status;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The clock moves past every hold still running. */
function holdsRunOut(db: AppDatabase) {
  db.$client.prepare("UPDATE orders SET hold_expires_at = unixepoch() - 60 WHERE status = 'awaiting_payment'").run();
}

async function sweep(path: string, stripe: StripeDouble) {
  const run = await runNode(["app/cli/cli.ts", "payments", "sweep"], { env: { DATABASE_PATH: path, ...stripe.env } });
  expect(run.code, run.output).toBe(0);
  return run.output;
}

/**
 * What must hold after any crash once the work is finished: each order paid
 * or cancelled; paid exactly when Stripe holds a paid session for it, with
 * that session's payment; one session per order at Stripe that could be
 * paid; each webhook event applied once; the stock is what the paid orders
 * took, and the ledger explains it.
 */
function expectSettled(db: AppDatabase, stripe: StripeDouble, catalog: { id: number }[], initial: number[]) {
  const all = db.select().from(orders).all();
  const now = Date.now();
  for (const order of all) {
    expect(["paid", "cancelled"], `order ${order.id}`).toContain(order.status);
    expect(order.paymentIssue, `order ${order.id}`).toBeNull();
    if (order.holdExpiresAt) expect(order.status === "awaiting_payment" && order.holdExpiresAt.getTime() < now).toBe(false);
    const sessions = [...stripe.sessions.values()].filter((s) => s.metadata.order_id === String(order.id));
    const paid = sessions.filter((s) => s.payment_status === "paid");
    expect(paid.length, `paid sessions of order ${order.id}`).toBeLessThanOrEqual(1);
    if (order.status === "paid") {
      expect(paid.map((s) => [s.id, s.payment_intent])).toEqual([[order.paymentReference, order.paymentIntent]]);
    } else {
      expect(paid, `order ${order.id} is cancelled but was paid at Stripe`).toEqual([]);
      // Its session, if it has one, can no longer be paid.
      for (const s of sessions) if (s.id === order.paymentReference) expect(s.status).toBe("expired");
    }
  }
  expect(db.select().from(orders).where(eq(orders.status, "awaiting_payment")).all()).toEqual([]);
  // Each webhook that paid an order is one row, and no order was paid by two of them.
  const paidBy = db.select().from(paymentEvents).where(eq(paymentEvents.outcome, "paid")).all();
  expect(new Set(paidBy.map((e) => e.orderId)).size).toBe(paidBy.length);
  for (const event of paidBy) expect(all.find((o) => o.id === event.orderId)!.status).toBe("paid");
  expect(stripe.refunds).toEqual([]);
  // The stock is what the paid orders took, and the ledger agrees.
  const sold = catalog.map((product) =>
    db
      .select({ quantity: orderItems.quantity, status: orders.status })
      .from(orderItems)
      .innerJoin(orders, eq(orders.id, orderItems.orderId))
      .where(eq(orderItems.productId, product.id))
      .all()
      .filter((line) => line.status === "paid")
      .reduce((sum, line) => sum + line.quantity, 0),
  );
  const stock = catalog.map((product) => db.select().from(products).where(eq(products.id, product.id)).get()!.stock);
  expect(stock).toEqual(initial.map((s, n) => s - sold[n]!));
  expect(ledgerDrift(db)).toEqual([]);
  return all;
}

describe("kill -9 while paying with Stripe", () => {
  it("after the order commits, before its session exists: the sweeper cancels it; a shopper who tries again pays once", async () => {
    const started = Date.now();
    const { stripe, path, server, db, catalog, initial } = await setUp();
    stripe.hang(); // Stripe takes the create call and never answers it
    const shoppers = await Promise.all(Array.from({ length: 6 }, (_, i) => startCheckout(server.url, db, catalog, i)));
    const replies = shoppers.map((s) => s.reply.catch((error: unknown) => error));
    await until(() => stripe.requests.filter((r) => r.path === "/v1/checkout/sessions").length === 6, "the six create calls");
    await kill(server, stripe);
    expect((await Promise.all(replies)).every((r) => r instanceof Error)).toBe(true);

    // Committed and holding stock, with no session anywhere.
    const held = shoppers.map((s) => s.order()!);
    expect(held.map((o) => [o.status, o.paymentReference])).toEqual(Array(6).fill(["awaiting_payment", null]));
    expect(stripe.sessions.size).toBe(0);
    expect(ledgerDrift(db)).toEqual([]);

    stripe.hang(false);
    const restarted = await store(path, stripe);
    // One shopper comes back and tries again: the same order, one session, paid.
    const back = shoppers[1]!;
    const again = await sameShopper(back.me, restarted.url).post(`/orders/${held[1]!.publicId}/pay`, { intent: "pay" });
    expect(again.status).toBe(303);
    const session = [...stripe.sessions.values()].find((s) => s.metadata.order_id === String(held[1]!.id))!;
    expect(again.location).toBe(session.url);
    expect(session.line_items.map((l) => l.quantity)).toEqual(back.quantities);
    const paid = await fetch(`${stripe.url}/pay/${session.id}/complete`, { method: "POST", redirect: "manual" });
    expect(paid.status).toBe(303);
    expect(stripe.delivered).toEqual([{ type: "checkout.session.completed", status: 200 }]);

    holdsRunOut(db);
    expect(await sweep(path, stripe)).toContain("payments sweep: 5 cancelled, 0 paid, 0 still waiting, 0 not checked");
    const settled = expectSettled(db, stripe, catalog, initial);
    expect(held.map((o) => settled.find((s) => s.id === o.id)!.status)).toEqual(["cancelled", "paid", "cancelled", "cancelled", "cancelled", "cancelled"]);
    expect(stripe.sessions.size).toBe(1);
    // A second sweep finds nothing.
    expect(await sweep(path, stripe)).toContain("payments sweep: 0 cancelled, 0 paid, 0 still waiting");
    expect(await stopServer(restarted)).toBe(0);
    console.log(`kill -9 before the session: 6 orders (18 lines), 1 paid after a retry, 5 cancelled by the sweeper, ${Date.now() - started} ms`);
  });

  it("after the session is created: redelivered webhooks, the way back and the sweeper settle each order once", async () => {
    const started = Date.now();
    const { stripe, path, server, db, catalog, initial } = await setUp();
    const shoppers = await Promise.all(Array.from({ length: 7 }, (_, i) => startCheckout(server.url, db, catalog, i)));
    const replies = await Promise.all(shoppers.map((s) => s.reply));
    expect(replies.map((r) => r.status)).toEqual(Array(7).fill(303));
    await kill(server, stripe);
    const held = shoppers.map((s) => s.order()!);
    const sessionOf = (n: number) => stripe.sessions.get(held[n]!.paymentReference!)!;
    expect(held.map((o, n) => replies[n]!.location === sessionOf(n).url && o.status === "awaiting_payment")).toEqual(Array(7).fill(true));

    // While the store is down, shoppers 0–4 pay on Stripe's page; 5 and 6 walk away.
    const completed = [0, 1, 2, 3, 4].map((n) => eventJson("checkout.session.completed", stripe.pay(held[n]!.paymentReference!), `evt_crash_paid_${n}`));

    const restarted = await store(path, stripe);
    // Stripe retries 0–2's webhooks, each twice at once; 3's never comes, but
    // its shopper opens the order page; 4's is lost and only the sweeper finds it.
    const statuses = await Promise.all([0, 1, 2].flatMap((n) => [deliver(restarted.url, completed[n]!), deliver(restarted.url, completed[n]!)]));
    expect(statuses).toEqual(Array(6).fill(200));
    expect(text((await sameShopper(shoppers[3]!.me, restarted.url).get(`/orders/${held[3]!.publicId}`)).html)).toContain("Payment received");

    holdsRunOut(db);
    expect(await sweep(path, stripe)).toContain("payments sweep: 2 cancelled, 1 paid, 0 still waiting, 0 not checked");
    // Stripe's expiry webhooks for 5 and 6 arrive too, and change nothing more.
    await until(() => stripe.delivered.filter((d) => d.type === "checkout.session.expired").length === 2, "the expiry webhooks");
    expect(stripe.delivered.every((d) => d.status === 200)).toBe(true);

    const settled = expectSettled(db, stripe, catalog, initial);
    expect(held.map((o) => settled.find((s) => s.id === o.id)!.status)).toEqual(["paid", "paid", "paid", "paid", "paid", "cancelled", "cancelled"]);
    const events = db.select().from(paymentEvents).all();
    expect(events.filter((e) => e.type === "session.completed").map((e) => [e.id, e.outcome])).toEqual(
      [0, 1, 2].map((n) => [`evt_crash_paid_${n}`, "paid"]),
    );
    // Whichever came first, the sweeper or Stripe's expiry webhook, cancelled each once.
    const expired = events.filter((e) => e.type === "session.expired");
    expect(expired.map((e) => e.orderId).sort()).toEqual([held[5]!.id, held[6]!.id].sort());
    for (const e of expired) expect(["cancelled", "ignored: order is cancelled"]).toContain(e.outcome);
    // One session per order: nothing opened a second one.
    expect(stripe.requests.filter((r) => r.method === "POST" && r.path === "/v1/checkout/sessions")).toHaveLength(7);
    expect(await stopServer(restarted)).toBe(0);
    console.log(`kill -9 after the session: 7 orders (21 lines), 5 paid (3 by redelivered webhooks, 1 on the way back, 1 by the sweeper), 2 cancelled, ${Date.now() - started} ms`);
  });

  it("mid-webhook: Stripe's retries apply each event once, and the server's own sweeper settles the rest", async () => {
    const started = Date.now();
    const { stripe, path, server, db, catalog, initial } = await setUp();
    const shoppers = await Promise.all(Array.from({ length: 8 }, (_, i) => startCheckout(server.url, db, catalog, i)));
    expect((await Promise.all(shoppers.map((s) => s.reply))).map((r) => r.status)).toEqual(Array(8).fill(303));
    const held = shoppers.map((s) => s.order()!);
    // 0–5 pay; 0–4's webhooks come, three copies of each at once; 5's is lost; 6 and 7 walk away.
    const completed = [0, 1, 2, 3, 4].map((n) => eventJson("checkout.session.completed", stripe.pay(held[n]!.paymentReference!), `evt_crash_paid_${n}`));
    stripe.pay(held[5]!.paymentReference!);
    // Stripe delivers them in parallel, three streams per event, retrying
    // each, until the store dies right after its first answer.
    let answered = 0;
    let dead = false;
    const streams = completed.flatMap((payload) =>
      [1, 2, 3].map(async () => {
        while (!dead) {
          const status = await deliver(server.url, payload).catch(() => null);
          if (status === null) return;
          if (answered++ === 0) server.child.kill("SIGKILL");
        }
      }),
    );
    await until(() => answered > 0, "the first webhook answer");
    dead = true;
    await kill(server, stripe);
    await Promise.all(streams);
    const beforeRestart = db.select().from(orders).all().filter((o) => o.status === "paid").length;
    expect(ledgerDrift(db)).toEqual([]);

    // The restarted store sweeps every second on its own.
    const restarted = await store(path, stripe, { PAYMENT_SWEEP_SECONDS: "1" });
    const statuses = await Promise.all(completed.flatMap((payload) => [deliver(restarted.url, payload), deliver(restarted.url, payload)]));
    expect(statuses).toEqual(Array(10).fill(200));
    holdsRunOut(db);
    await until(() => db.select().from(orders).where(eq(orders.status, "awaiting_payment")).all().length === 0, "the server's sweep");
    await until(() => stripe.delivered.filter((d) => d.type === "checkout.session.expired").length === 2, "the expiry webhooks");
    expect(restarted.output()).toMatch(/payments: sweep cancelled=2 paid=1 waiting=0 unreachable=0/);

    const settled = expectSettled(db, stripe, catalog, initial);
    expect(held.map((o) => settled.find((s) => s.id === o.id)!.status)).toEqual(["paid", "paid", "paid", "paid", "paid", "paid", "cancelled", "cancelled"]);
    const events = db.select().from(paymentEvents).all();
    expect(events.filter((e) => e.type === "session.completed").map((e) => [e.id, e.orderId, e.outcome]).sort()).toEqual(
      [0, 1, 2, 3, 4].map((n) => [`evt_crash_paid_${n}`, held[n]!.id, "paid"]),
    );
    expect(await stopServer(restarted)).toBe(0);
    console.log(
      `kill -9 mid-webhook: 8 orders (24 lines), ${answered} deliveries answered and ${beforeRestart} of 5 orders paid before the kill; after: 6 paid (5 by webhooks, 1 by the sweeper), 2 cancelled, ${Date.now() - started} ms`,
    );
  });
});

// The outbox and the sender against a real SMTP server (smtp-server on
// 127.0.0.1) and real SQLite files: a message exists exactly when its order
// does, it arrives with the order's facts, and the sender survives what SMTP
// servers do: refuse for now, refuse for good, answer slowly, hang up.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { createElement } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, closeDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { outboxMessages, products, staff } from "#app/db/schema.ts";
import { parseEnv } from "#app/core/env.server.ts";
import { renderBoth, renderMessage } from "#app/store/mail/messages/render.server.tsx";
import { OrderMessage } from "#app/store/mail/messages/order.tsx";
import { enqueueMessage, failedMessages, orderMessages, outboxCounts, retryMessage } from "#app/store/mail/outbox.server.ts";
import { backoffMs, startSender, type Sender, type SenderOptions } from "#app/store/mail/sender.server.ts";
import { fileTransport, smtpTransport } from "#app/store/mail/transport.server.ts";
import { transitionOrder } from "#app/staff/order-admin.server.ts";
import { messageFor, moveOrder } from "#app/store/order-states.server.ts";
import { newToken, placeOrder, type CheckoutDetails } from "#app/shop/orders.server.ts";
import { createStaff, issueSignInLink } from "#app/staff/staff.server.ts";
import { freshDatabase, productBySlug, seededDatabase, tempDir, ORDER_LIMITS } from "#tests/helpers/db.ts";
import { startSmtpSink, type SmtpSink } from "#tests/helpers/smtp.ts";

// The settings as the store would read them from this environment.
const config = parseEnv(process.env);

const details: CheckoutDetails = {
  email: "ada@example.com",
  customerName: "Ada Lovelace",
  addressLine1: "12 St James's Square",
  addressLine2: "Flat 3",
  city: "London",
  postalCode: "SW1Y 4JH",
  country: "United Kingdom",
  phone: "",
};

const running: { senders: Sender[]; sinks: SmtpSink[] } = { senders: [], sinks: [] };
afterEach(async () => {
  for (const sender of running.senders.splice(0)) await sender.stop();
  for (const sink of running.sinks.splice(0)) await sink.close();
});

async function sink(plan: Parameters<typeof startSmtpSink>[0] = {}) {
  const started = await startSmtpSink(plan);
  running.sinks.push(started);
  return started;
}

function sender(db: AppDatabase, smtp: SmtpSink, options: Partial<SenderOptions> & { timeoutMs?: number } = {}) {
  const lines: string[] = [];
  const started = startSender(db, {
    transport: smtpTransport(smtp.url, options.timeoutMs ?? 5_000),
    render: (database, subject) => renderMessage(database, subject, { origin: config.PUBLIC_URL, name: config.STORE_NAME }),
    from: "Corner Store <orders@shop.example>",
    pollMs: 20,
    retryBaseMs: 20,
    retryMaxMs: 100,
    giveUpAfterMs: 60_000,
    leaseMs: 60_000,
    log: (line) => lines.push(line),
    ...options,
  });
  running.senders.push(started);
  return { sender: started, lines };
}

function order(db: AppDatabase, who: Partial<CheckoutDetails> = {}) {
  const mug = productBySlug(db, "stoneware-mug");
  const pen = productBySlug(db, "brass-pen");
  const result = placeOrder(db, {
    checkoutToken: newToken(),
    details: { ...details, ...who },
    cart: [
      { productId: mug.id, quantity: 3 },
      { productId: pen.id, quantity: 2 },
    ],
  }, ORDER_LIMITS);
  if (result.status !== "placed") throw new Error(`not placed: ${JSON.stringify(result)}`);
  return { ...result, mug, pen };
}

const rows = (db: AppDatabase) => db.select().from(outboxMessages).orderBy(outboxMessages.id).all();

async function until(check: () => boolean, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("the outbox", () => {
  it("gets one row with the order, in its transaction, and none for a checkout that fails", () => {
    const db = seededDatabase();
    const placed = order(db);
    const mug = productBySlug(db, "stoneware-mug");
    db.update(products).set({ stock: 1 }).where(eq(products.id, mug.id)).run();
    const refused = placeOrder(db, { checkoutToken: newToken(), details, cart: [{ productId: mug.id, quantity: 2 }] }, ORDER_LIMITS);
    expect(refused.status).toBe("rejected");
    const all = rows(db);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ kind: "order_placed", status: "queued", attempts: 0, staffId: null, link: null });
    expect(all[0]!.messageId).toMatch(/^<[0-9a-f]{32}@[^>]+>$/);
    const id = db.$client.prepare("SELECT id FROM orders WHERE public_id = ?").pluck().get(placed.publicId);
    expect(all[0]!.orderId).toBe(id);
  });

  it("refuses to queue outside a transaction, and a rolled-back transaction keeps no message", () => {
    const db = seededDatabase();
    const { publicId } = order(db);
    const orderId = db.$client.prepare("SELECT id FROM orders WHERE public_id = ?").pluck().get(publicId) as number;
    expect(() => enqueueMessage(db, { kind: "order_shipped", orderId })).toThrow(/inside the transaction/);
    expect(() =>
      db.transaction(() => {
        enqueueMessage(db, { kind: "order_shipped", orderId });
        throw new Error("the change failed");
      }),
    ).toThrow("the change failed");
    expect(rows(db).map((r) => r.kind)).toEqual(["order_placed"]);
  });

  it("queues paid, shipped and cancelled with the status change, and nothing for a refused one", () => {
    const db = seededDatabase();
    const owner = createStaff(db, { email: "owner@example.com", role: "owner" });
    const first = order(db);
    const second = order(db, { email: "grace@example.com" });
    const idOf = (publicId: string) => db.$client.prepare("SELECT id FROM orders WHERE public_id = ?").pluck().get(publicId) as number;
    const move = (publicId: string, intent: "pay" | "ship" | "cancel", expected: "placed" | "paid") =>
      transitionOrder(db, { orderId: idOf(publicId), intent, expected, staffId: owner.id }).status;
    expect(move(first.publicId, "pay", "placed")).toBe("done");
    expect(move(first.publicId, "ship", "paid")).toBe("done");
    expect(move(second.publicId, "cancel", "placed")).toBe("done");
    // Out of date: already shipped, so nothing changes and nothing is queued.
    expect(move(first.publicId, "cancel", "placed")).toBe("conflict");
    expect(orderMessages(db, idOf(first.publicId)).map((m) => m.kind)).toEqual(["order_placed", "order_paid", "order_shipped"]);
    expect(orderMessages(db, idOf(second.publicId)).map((m) => m.kind)).toEqual(["order_placed", "order_cancelled"]);
  });

  it("confirms an order paid online when it is paid, never one whose payment did not come, and says when it is refunded", () => {
    const db = seededDatabase();
    const idOf = (publicId: string) => db.$client.prepare("SELECT id FROM orders WHERE public_id = ?").pluck().get(publicId) as number;
    // Two orders as online payment leaves them: awaiting payment, no confirmation yet.
    const [paying, abandoned] = [order(db), order(db, { email: "grace@example.com" })].map((o) => idOf(o.publicId));
    db.delete(outboxMessages).run();
    db.$client
      .prepare("UPDATE orders SET status = 'awaiting_payment', hold_expires_at = unixepoch() + 1800 WHERE id IN (?, ?)")
      .run(paying, abandoned);
    expect(moveOrder(db, paying!, ["awaiting_payment"], "paid").status).toBe("moved");
    expect(moveOrder(db, abandoned!, ["awaiting_payment"], "cancelled").status).toBe("moved");
    expect(moveOrder(db, paying!, ["paid"], "refunded").status).toBe("moved");
    expect(orderMessages(db, paying!).map((m) => m.kind)).toEqual(["order_placed", "order_refunded"]);
    expect(orderMessages(db, abandoned!)).toEqual([]);
    expect(messageFor("placed", "paid")).toBe("order_paid");
  });
});

describe("the messages", () => {
  it("carry the store's name, the number, every line, the total, the address and the order's link, in HTML and text", () => {
    const db = seededDatabase();
    const placed = order(db);
    const row = rows(db)[0]!;
    const message = renderMessage(db, row, { origin: config.PUBLIC_URL, name: config.STORE_NAME });
    const url = `${config.PUBLIC_URL}/orders/${placed.publicId}`;
    expect(message.to).toBe("ada@example.com");
    expect(message.subject).toBe(`Your order ${placed.number}`);
    for (const body of [message.text, message.html]) {
      expect(body).toContain("Corner Store");
      expect(body).toContain(placed.number);
      expect(body).toContain("London");
      expect(body).toContain("SW1Y 4JH");
      expect(body).toContain(url);
    }
    const price = (cents: number) => `$${(cents / 100).toFixed(2)}`;
    expect(message.text).toContain(`3 × ${placed.mug.name} at ${price(placed.mug.priceCents)}: ${price(3 * placed.mug.priceCents)}`);
    expect(message.text).toContain(`2 × ${placed.pen.name} at ${price(placed.pen.priceCents)}: ${price(2 * placed.pen.priceCents)}`);
    expect(message.text).toContain(`Total: ${price(placed.totalCents)}`);
    expect(placed.totalCents).toBe(3 * placed.mug.priceCents + 2 * placed.pen.priceCents);
    expect(message.html).toContain(`href="${url}"`);
    expect(message.html).toContain(price(placed.totalCents));
    // The number on one line in a mail client too; the text as written.
    expect(message.html).toContain(`Order <span style="white-space:nowrap">${placed.number}</span>. We have your order`);
    expect(message.text).toContain(`Order ${placed.number}. We have your order`);
    expect(message.text).toContain("12 St James's Square\nFlat 3\nSW1Y 4JH London\nUnited Kingdom");
  });

  it("escape what shoppers typed in the HTML and keep it as typed in the text", () => {
    const hostile = `<script>alert("x")</script> & <b>bold</b>`;
    const { html, text } = renderBoth(
      createElement(OrderMessage, {
        kind: "order_placed",
        order: {
          number: "ABCD-EFGH",
          totalCents: 1234,
          currency: "usd",
          url: "https://shop.example/orders/x",
          items: [{ productName: `Mug "${hostile}"`, unitPriceCents: 617, quantity: 2 }],
          customerName: hostile,
          addressLine1: "1 <img src=x onerror=alert(1)> Road",
          addressLine2: "",
          city: "Town",
          postalCode: "1",
          country: "X",
        },
      }),
      config.STORE_NAME,
    );
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<b>bold");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;");
    expect(text).toContain(hostile);
    expect(text).toContain("1 <img src=x onerror=alert(1)> Road");
    expect(text).not.toContain("&amp;");
  });
});

describe("the sender", () => {
  it("delivers the order confirmation with the row's Message-ID and marks it sent", async () => {
    const db = seededDatabase();
    const smtp = await sink();
    const first = order(db);
    const second = order(db, { email: "grace@example.com", customerName: "Grace Hopper" });
    const { lines } = sender(db, smtp, { replyTo: "hello@shop.example" });
    const [a, b] = await smtp.waitFor(2);
    await until(() => rows(db).every((r) => r.status === "sent"));
    const byTo = new Map([a!, b!].map((m) => [m.to[0], m]));
    const ada = byTo.get("ada@example.com")!;
    const grace = byTo.get("grace@example.com")!;
    expect(ada.headers.subject).toBe(`Your order ${first.number}`);
    expect(grace.headers.subject).toBe(`Your order ${second.number}`);
    expect(grace.text).toContain("Grace Hopper");
    expect(grace.text).not.toContain("Ada Lovelace");
    expect(ada.headers.from).toBe("Corner Store <orders@shop.example>");
    expect(ada.headers["reply-to"]).toBe("hello@shop.example");
    expect(ada.text).toContain(`${config.PUBLIC_URL}/orders/${first.publicId}`);
    expect(new Set([ada.headers["message-id"], grace.headers["message-id"]])).toEqual(new Set(rows(db).map((r) => r.messageId)));
    for (const row of rows(db)) expect(row).toMatchObject({ status: "sent", attempts: 1, leaseOwner: null, lastError: null });
    // The log names rows and kinds, never an address or a line of the message.
    expect(lines.join("\n")).not.toMatch(/@example\.com|Ada|Grace|London/);
    expect(lines.filter((l) => / sent$/.test(l))).toHaveLength(2);
  });

  it("retries a temporary failure (451) with the same Message-ID, then delivers", async () => {
    const db = seededDatabase();
    const smtp = await sink({ plan: ["temporary", "temporary"] });
    order(db);
    const { lines } = sender(db, smtp);
    const [mail] = await smtp.waitFor(1);
    await until(() => rows(db)[0]!.status === "sent");
    expect(smtp.attempts()).toBe(3);
    expect(rows(db)[0]).toMatchObject({ status: "sent", attempts: 3, lastError: null });
    expect(mail!.headers["message-id"]).toBe(rows(db)[0]!.messageId);
    expect(lines.filter((l) => /attempt \d failed, next in/.test(l))).toHaveLength(2);
  });

  it("marks a permanent failure (550) failed at once without the address, and Send again delivers it", async () => {
    const db = seededDatabase();
    const smtp = await sink({ plan: ["permanent"] });
    order(db);
    const { lines } = sender(db, smtp);
    await until(() => rows(db)[0]!.status === "failed");
    const failed = rows(db)[0]!;
    expect(failed).toMatchObject({ attempts: 1, leaseOwner: null });
    expect(failed.lastError).toContain("550");
    expect(failed.lastError).toContain("<address>");
    expect(failed.lastError).not.toContain("ada@example.com");
    expect(lines.join("\n")).not.toContain("@example.com");
    expect(smtp.received).toHaveLength(0);
    expect(outboxCounts(db)).toMatchObject({ queued: 0, failed: 1 });
    expect(failedMessages(db).map((m) => m.id)).toEqual([failed.id]);

    expect(retryMessage(db, failed.id)).toBe("queued");
    expect(retryMessage(db, failed.id)).toBe("not-failed");
    await smtp.waitFor(1);
    await until(() => rows(db)[0]!.status === "sent");
    expect(smtp.received[0]!.headers["message-id"]).toBe(failed.messageId);
  });

  it("gives a temporary failure up after MAIL_GIVE_UP_AFTER_MS and marks it failed", async () => {
    const db = seededDatabase();
    const smtp = await sink({ plan: Array(100).fill("temporary") });
    order(db);
    sender(db, smtp, { giveUpAfterMs: 300 });
    await until(() => rows(db)[0]!.status === "failed");
    const row = rows(db)[0]!;
    expect(row.attempts).toBeGreaterThan(1);
    expect(row.lastError).toContain("451");
    expect(smtp.received).toHaveLength(0);
  });

  it("waits for a slow server that answers within the timeout", async () => {
    const db = seededDatabase();
    const smtp = await sink({ plan: [{ delayMs: 800 }] });
    order(db);
    sender(db, smtp, { timeoutMs: 3_000 });
    await smtp.waitFor(1);
    await until(() => rows(db)[0]!.status === "sent");
    expect(rows(db)[0]!.attempts).toBe(1);
    expect(smtp.attempts()).toBe(1);
  });

  it("retries a server slower than the timeout; a copy it accepted late has the same Message-ID", async () => {
    const db = seededDatabase();
    const smtp = await sink({ plan: [{ delayMs: 1_500 }] });
    order(db);
    sender(db, smtp, { timeoutMs: 400 });
    await until(() => rows(db)[0]!.status === "sent");
    expect(rows(db)[0]!.attempts).toBeGreaterThanOrEqual(2);
    await smtp.waitFor(2, 5_000);
    // The server kept the slow copy after the sender gave up on it: the one
    // duplicate SMTP allows, which the shared Message-ID folds.
    expect(new Set(smtp.received.map((m) => m.headers["message-id"]))).toEqual(new Set([rows(db)[0]!.messageId]));
  });

  it("retries a connection dropped in the middle of DATA and delivers once", async () => {
    const db = seededDatabase();
    const smtp = await sink({ plan: ["drop-mid-data"] });
    order(db);
    sender(db, smtp);
    await until(() => rows(db)[0]!.status === "sent");
    expect(smtp.attempts()).toBe(2);
    expect(smtp.received).toHaveLength(1);
    expect(rows(db)[0]!.attempts).toBe(2);
  });

  it("sends each message once when two senders share one database file", async () => {
    const { path } = freshDatabase();
    const one = openDatabase(path);
    const two = openDatabase(path);
    try {
      const { seedDemoProducts } = await import("#app/db/seed.server.ts");
      seedDemoProducts(one);
      one.update(products).set({ stock: 1_000 }).run();
      for (let i = 0; i < 40; i++) order(one, { email: `shopper${i}@example.com` });
      const smtp = await sink({ plan: Array(40).fill({ delayMs: 5 }) });
      sender(one, smtp);
      sender(two, smtp);
      await smtp.waitFor(40);
      await until(() => rows(one).every((r) => r.status === "sent"));
      await new Promise((r) => setTimeout(r, 200));
      expect(smtp.received).toHaveLength(40);
      expect(new Set(smtp.received.map((m) => m.headers["message-id"])).size).toBe(40);
      expect(new Set(smtp.received.map((m) => m.to[0])).size).toBe(40);
    } finally {
      for (const s of running.senders.splice(0)) await s.stop();
      closeDatabase(one);
      closeDatabase(two);
    }
  });

  it("stops by finishing and marking the sends under way, holding no lease afterwards", async () => {
    const db = seededDatabase();
    const smtp = await sink({ plan: [{ delayMs: 400 }, { delayMs: 400 }] });
    order(db);
    order(db, { email: "grace@example.com" });
    const { sender: s } = sender(db, smtp);
    await until(() => smtp.attempts() === 2);
    await s.stop();
    running.senders.splice(running.senders.indexOf(s), 1);
    expect(rows(db).map((r) => r.status)).toEqual(["sent", "sent"]);
    expect(rows(db).every((r) => r.leaseOwner === null && r.leaseUntilMs === null)).toBe(true);
    expect(smtp.received).toHaveLength(2);
  });

  it("lets another process take a row whose holder died, once its lease has run out", async () => {
    const db = seededDatabase();
    order(db);
    // A process claimed it and was killed: its lease is still in the row.
    db.update(outboxMessages).set({ leaseOwner: "dead:1:x", leaseUntilMs: Date.now() + 300 }).run();
    const smtp = await sink();
    sender(db, smtp);
    await new Promise((r) => setTimeout(r, 150));
    expect(smtp.received).toHaveLength(0);
    await smtp.waitFor(1);
    await until(() => rows(db)[0]!.status === "sent");
  });

  it("backs off exponentially with jitter, up to the cap", () => {
    expect(backoffMs(1, 1_000, 60_000, () => 0)).toBe(500);
    expect(backoffMs(1, 1_000, 60_000, () => 1)).toBe(1_000);
    expect(backoffMs(4, 1_000, 60_000, () => 1)).toBe(8_000);
    expect(backoffMs(20, 1_000, 60_000, () => 0.5)).toBe(45_000);
  });
});

describe("staff links by email", () => {
  it("queues the invitation with its link, sends it, then keeps no copy of the link", async () => {
    const db = seededDatabase();
    const account = createStaff(db, { email: "clerk@example.com", role: "staff" });
    const token = issueSignInLink(db, account.id, new Date(), { kind: "staff_invitation", config });
    const smtp = await sink();
    sender(db, smtp);
    const [mail] = await smtp.waitFor(1);
    expect(mail!.to).toEqual(["clerk@example.com"]);
    expect(mail!.text).toContain(`${config.PUBLIC_URL}/admin/welcome/${token}`);
    await until(() => rows(db)[0]!.status === "sent");
    expect(rows(db)[0]!.link).toBeNull();
    expect(db.select().from(staff).where(eq(staff.id, account.id)).get()).toBeDefined();
  });

  it("a newer link replaces a queued one, which is marked failed and loses its link", () => {
    const db = seededDatabase();
    const account = createStaff(db, { email: "clerk@example.com", role: "staff" });
    issueSignInLink(db, account.id, new Date(), { kind: "staff_invitation", config });
    issueSignInLink(db, account.id, new Date(), { kind: "staff_sign_in_link", config });
    const [old, fresh] = rows(db);
    expect(old).toMatchObject({ status: "failed", link: null, lastError: "Replaced by a newer link." });
    expect(fresh).toMatchObject({ status: "queued", kind: "staff_sign_in_link" });
    expect(retryMessage(db, old!.id)).toBe("no-link");
  });
});

describe("development without SMTP_URL", () => {
  it("writes each message to an .eml file and logs the file, not the address", async () => {
    const db = seededDatabase();
    const placed = order(db);
    const folder = join(tempDir(), "mail");
    const lines: string[] = [];
    const s = startSender(db, {
      transport: fileTransport(folder),
      render: (database, subject) => renderMessage(database, subject, { origin: config.PUBLIC_URL, name: config.STORE_NAME }),
      from: "Corner Store <store@localhost>",
      pollMs: 20,
      retryBaseMs: 20,
      retryMaxMs: 100,
      giveUpAfterMs: 60_000,
      leaseMs: 60_000,
      log: (line) => lines.push(line),
    });
    running.senders.push(s);
    await until(() => rows(db)[0]!.status === "sent");
    const files = readdirSync(folder);
    expect(files).toEqual([`${String(rows(db)[0]!.id).padStart(6, "0")}-order_placed.eml`]);
    const eml = readFileSync(join(folder, files[0]!), "utf8");
    expect(eml).toContain(`Message-ID: ${rows(db)[0]!.messageId}`);
    expect(eml).toContain("To: ada@example.com");
    expect(eml).toContain(placed.number);
    const log = lines.join("\n");
    expect(log).toContain(files[0]);
    expect(log).not.toContain("ada@example.com");
  });
});

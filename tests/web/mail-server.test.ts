// Email through the real production server (build/server/server.js) and a
// real SMTP server: the confirmation a shopper gets and the link in it; a
// kill -9 in the middle of checkouts and sends; two servers on one file.
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { outboxMessages, products } from "#app/db/schema.ts";
import { startServer, stopServer, TEST_PUBLIC_URL, type ServerProcess } from "#tests/helpers/server.ts";
import { shopper, text } from "#tests/helpers/shopper.ts";
import { startSmtpSink, type ReceivedMail, type SmtpSink } from "#tests/helpers/smtp.ts";
import { tempDir } from "#tests/helpers/db.ts";

const servers: ServerProcess[] = [];
const sinks: SmtpSink[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => stopServer(s, "SIGKILL")));
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

async function store(path: string, smtp: SmtpSink, env: Record<string, string> = {}) {
  const server = await startServer({
    env: {
      DATABASE_PATH: path,
      SEED_DEMO_DATA: "true",
      SMTP_URL: smtp.url,
      MAIL_FROM: "Corner Store <orders@shop.example>",
      MAIL_POLL_MS: "50",
      MAIL_RETRY_BASE_MS: "50",
      // A killed server's leases run out after 10 × this.
      MAIL_SMTP_TIMEOUT_MS: "300",
      ...env,
    },
  });
  servers.push(server);
  return server;
}

async function sink(plan: Parameters<typeof startSmtpSink>[0] = {}) {
  const started = await startSmtpSink(plan);
  sinks.push(started);
  return started;
}

function catalog(path: string) {
  const db = openDatabase(path);
  try {
    db.update(products).set({ stock: 10_000 }).run();
    return db.select({ id: products.id, slug: products.slug }).from(products).limit(3).all();
  } finally {
    closeDatabase(db);
  }
}

async function buy(url: string, items: { id: number; slug: string }[], email: string) {
  const me = shopper(url);
  await me.addToCart(items[0]!, 2);
  await me.addToCart(items[1]!, 3);
  const reply = await me.checkout(await me.checkoutToken(), { email });
  return reply;
}

function outbox(path: string) {
  const db = openDatabase(path);
  try {
    return {
      rows: db.select().from(outboxMessages).all(),
      orders: db.$client.prepare("SELECT id, number, email FROM orders").all() as { id: number; number: string; email: string }[],
    };
  } finally {
    closeDatabase(db);
  }
}

async function until(check: () => boolean, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("the production server sends", () => {
  it("the confirmation to the shopper, whose link opens the order", async () => {
    const path = join(tempDir(), "store.db");
    const smtp = await sink();
    const server = await store(path, smtp);
    const items = catalog(path);
    const reply = await buy(server.url, items, "grace@example.com");
    expect(reply.status).toBe(302);
    const [mail] = await smtp.waitFor(1);
    expect(mail!.to).toEqual(["grace@example.com"]);
    const link = /https?:\/\/\S+\/orders\/[\w-]{22}/.exec(mail!.text)?.[0];
    expect(link).toBe(`${TEST_PUBLIC_URL}${reply.location}`);
    // The link is on PUBLIC_URL; the same path on this server opens the order.
    const page = await shopper(server.url).get(new URL(link!).pathname);
    expect(page.status).toBe(200);
    const number = /Your order (\S+)/.exec(mail!.headers.subject!)![1]!;
    expect(text(page.html)).toContain(`Order ${number}`);
    expect(mail!.text).toMatch(/2 × .+\n3 × .+\nTotal: \$/);
    // Nothing about the shopper in the server's log.
    expect(server.output()).not.toContain("grace@example.com");
    expect(server.output()).toMatch(/mail: message \d+ \(order_placed\) sent/);
    expect(await stopServer(server)).toBe(0);
  });
});

describe("kill -9 under checkouts", () => {
  it("every committed order has its message, sent at most twice with one Message-ID; no message without an order", async () => {
    const path = join(tempDir(), "store.db");
    const smtp = await sink({ plan: Array(400).fill({ delayMs: 15 }) });
    const first = await store(path, smtp);
    const items = catalog(path);
    // Shoppers keep checking out until the kill; some checkouts die with it.
    let killed = false;
    const attempts: Promise<unknown>[] = [];
    for (let i = 0; i < 6; i++) {
      attempts.push(
        (async () => {
          for (let n = 0; !killed; n++) await buy(first.url, items, `shopper${i}-${n}@example.com`).catch(() => undefined);
        })(),
      );
    }
    await until(() => smtp.received.length >= 15, 60_000);
    first.child.kill("SIGKILL");
    killed = true;
    await first.exited;
    await Promise.all(attempts);
    const beforeRestart = outbox(path);
    expect(beforeRestart.orders.length).toBeGreaterThan(15);

    // The next server (a restart) sends what is left, once the dead one's leases run out.
    const second = await store(path, smtp);
    await until(() => outbox(path).rows.every((r) => r.status === "sent"), 60_000);
    await stopServer(second);
    const { rows, orders } = outbox(path);
    expect(orders.length).toBe(beforeRestart.orders.length);
    // One message per committed order, and none for anything else.
    expect(rows.map((r) => r.orderId).sort()).toEqual(orders.map((o) => o.id).sort());
    const byMessageId = new Map<string, ReceivedMail[]>();
    for (const mail of smtp.received) byMessageId.set(mail.headers["message-id"]!, [...(byMessageId.get(mail.headers["message-id"]!) ?? []), mail]);
    for (const row of rows) {
      const copies = byMessageId.get(row.messageId) ?? [];
      expect(copies.length, `message ${row.id}`).toBeGreaterThanOrEqual(1);
      expect(copies.length, `message ${row.id}`).toBeLessThanOrEqual(2);
      const order = orders.find((o) => o.id === row.orderId)!;
      for (const copy of copies) expect(copy.to).toEqual([order.email]);
    }
    expect([...byMessageId.keys()].every((id) => rows.some((r) => r.messageId === id))).toBe(true);
    const twice = [...byMessageId.values()].filter((c) => c.length === 2).length;
    console.log(`kill -9: ${orders.length} orders committed, ${smtp.received.length} emails received, ${twice} sent twice (the crash window), ${smtp.resets()} SMTP connections reset by the kill`);
  });
});

describe("two server processes on one database file", () => {
  it("send each message exactly once", async () => {
    const path = join(tempDir(), "store.db");
    const smtp = await sink({ plan: Array(40).fill({ delayMs: 10 }) });
    const one = await store(path, smtp);
    const two = await store(path, smtp);
    const items = catalog(path);
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => buy((i % 2 ? one : two).url, items, `shopper${i}@example.com`)),
    );
    expect(replies.every((r) => r.status === 302)).toBe(true);
    await smtp.waitFor(40);
    await until(() => outbox(path).rows.every((r) => r.status === "sent"));
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.received).toHaveLength(40);
    expect(new Set(smtp.received.map((m) => m.headers["message-id"])).size).toBe(40);
    // Both did some of the sending.
    const sentBy = [one, two].map((s) => (s.output().match(/\(order_placed\) sent/g) ?? []).length);
    expect(sentBy[0]! + sentBy[1]!).toBe(40);
    expect(await stopServer(one)).toBe(0);
    expect(await stopServer(two)).toBe(0);
  });
});

// What staff see of the store's email, over HTTP against the production
// server, as a browser without JavaScript: each order's messages and their
// state, the dashboard's failed messages with "Send again", and the warning
// when production has no SMTP_URL and keeps everything queued.
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { outboxMessages } from "#app/db/schema.ts";
import { tempDir } from "#tests/helpers/db.ts";
import { startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { shopper, text } from "#tests/helpers/shopper.ts";
import { startSmtpSink, type SmtpSink } from "#tests/helpers/smtp.ts";
import { browser, staffAccount } from "#tests/helpers/staff.ts";

const servers: ServerProcess[] = [];
const sinks: SmtpSink[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => stopServer(s)));
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

async function storeWithOrders(env: Record<string, string>) {
  const path = join(tempDir(), "store.db");
  const server = await startServer({ env: { DATABASE_PATH: path, SEED_DEMO_DATA: "true", ...env } });
  servers.push(server);
  const db = openDatabase(path);
  await staffAccount(db, "clerk@example.org", "staff");
  const orderIds: number[] = [];
  for (const email of ["ada@example.com", "grace@example.com"]) {
    const me = shopper(server.url);
    await me.addToCart({ id: 1, slug: "stoneware-mug" }, 2);
    const placed = await me.checkout(await me.checkoutToken(), { email });
    expect(placed.status).toBe(302);
    orderIds.push(db.$client.prepare("SELECT max(id) FROM orders").pluck().get() as number);
  }
  const staff = browser(server.url);
  await staff.signIn("clerk@example.org");
  return { server, db, staff, orderIds, close: () => closeDatabase(db) };
}

async function until(check: () => boolean, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("staff and email", () => {
  it("see each order's messages, the failed ones on the dashboard, and send one again", async () => {
    // The first confirmation is refused for good (550); the second goes through.
    const smtp = await startSmtpSink({ plan: ["permanent"] });
    sinks.push(smtp);
    const { db, staff, orderIds, close } = await storeWithOrders({ SMTP_URL: smtp.url, MAIL_FROM: "Shop <shop@example.com>" });
    try {
      const states = () => db.select({ status: outboxMessages.status }).from(outboxMessages).all().map((r) => r.status).sort();
      await until(() => states().join() === "failed,sent");
      const failedOrder = db.$client
        .prepare("SELECT order_id FROM outbox_messages WHERE status = 'failed'")
        .pluck()
        .get() as number;
      const sentOrder = orderIds.find((id) => id !== failedOrder)!;

      const sentPage = text((await staff.get(`/admin/orders/${sentOrder}`)).html);
      expect(sentPage).toMatch(/Emails to the customer\s*Order confirmation: sent/);
      const failedPage = text((await staff.get(`/admin/orders/${failedOrder}`)).html);
      expect(failedPage).toMatch(/Order confirmation: failed after 1 attempt \(550 .*address.*\); the dashboard can send it again/);

      const dashboard = await staff.get("/admin");
      expect(text(dashboard.html)).toMatch(/Failed \(1\)\s*Order confirmation, order [A-Z0-9]{4}-[A-Z0-9]{4}/);
      const messageId = /name="messageId" value="(\d+)"/.exec(dashboard.html)![1]!;

      // A tampered or stale form: a clear 4xx and nothing changes.
      expect((await staff.post("/admin", { intent: "resend", messageId: "abc" })).status).toBe(400);
      expect(states()).toEqual(["failed", "sent"]);

      const resent = await staff.post("/admin", { intent: "resend", messageId });
      expect([resent.status, resent.location]).toEqual([302, "/admin"]);
      expect(text((await staff.get("/admin")).html)).toContain("The message is queued and goes out in a moment.");
      await until(() => states().join() === "sent,sent");
      expect(smtp.received.map((m) => m.to[0]).sort()).toEqual(["ada@example.com", "grace@example.com"]);

      // Pressed again from the old page: already sent, so 409 and nothing is queued.
      const again = await staff.post("/admin", { intent: "resend", messageId });
      expect(again.status).toBe(409);
      expect(text(again.html)).toContain("nothing changed");
      expect(text((await staff.get("/admin")).html)).toContain("No failed messages.");
    } finally {
      close();
    }
  });

  it("are told when production has no SMTP_URL: every message waits, none is lost", async () => {
    const { staff, db, close } = await storeWithOrders({});
    try {
      const page = text((await staff.get("/admin")).html);
      expect(page).toContain("Email is not set up: 2 messages are waiting.");
      expect(db.$client.prepare("SELECT count(*) FROM outbox_messages WHERE status = 'queued'").pluck().get()).toBe(2);

      // A message that failed while SMTP_URL was still set: Send again queues it,
      // and the notice says it waits for SMTP_URL rather than promising it goes out.
      const failed = db.$client.prepare("SELECT min(id) FROM outbox_messages").pluck().get() as number;
      db.$client.prepare("UPDATE outbox_messages SET status = 'failed', last_error = '550 <address>: no such user' WHERE id = ?").run(failed);
      const resent = await staff.post("/admin", { intent: "resend", messageId: String(failed) });
      expect([resent.status, resent.location]).toEqual([302, "/admin"]);
      const after = text((await staff.get("/admin")).html);
      expect(after).toContain("The message is queued. Email is not set up, so it waits until SMTP_URL is set.");
      expect(after).not.toContain("goes out in a moment");
      expect(after).toContain("Email is not set up: 2 messages are waiting.");
    } finally {
      close();
    }
  });
});

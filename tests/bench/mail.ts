// What email costs (docs/email.md): `npm run bench:mail`, never part of
// `npm test`. On a fresh database file with the demo catalog:
//
//  1. checkout: placeOrder with its outbox row (what runs in production),
//     and the row alone: enqueueMessage in a write transaction, beside an
//     empty write transaction (the baseline), interleaved A B A B;
//  2. the sender: messages per second from the outbox to a local SMTP server
//     (smtp-server on 127.0.0.1, in this process), beside the transport alone
//     sending the same rendered message without the outbox (the baseline).
//
// The message templates are .tsx: loaded through Vite, as `npm run dev` does.
import { join } from "node:path";
import { createServer } from "vite";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { migrate, MIGRATIONS_FOLDER } from "#app/db/migrator.server.ts";
import { outboxMessages, products } from "#app/db/schema.ts";
import { seedDemoProducts } from "#app/db/seed.server.ts";
import { placeOrder, newToken } from "#app/shop/orders.server.ts";
import { orderLimits } from "#app/shop/cart.server.ts";
import { parseEnv } from "#app/core/env.server.ts";

// The settings as the store reads them from this environment.
const config = parseEnv(process.env);
import { enqueueMessage } from "#app/store/mail/outbox.server.ts";
import { startSender } from "#app/store/mail/sender.server.ts";
import { smtpTransport } from "#app/store/mail/transport.server.ts";
import type { renderMessage as RenderMessage } from "#app/store/mail/messages/render.server.tsx";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { startSmtpSink } from "#tests/helpers/smtp.ts";

const ROOT = join(import.meta.dirname, "..", "..");
// React's production build, as the built server runs it (its development
// build renders several times slower); links on a public address.
process.env.NODE_ENV = "production";
process.env.PUBLIC_URL ??= "https://shop.example";
const ORDERS = Number(process.env.BENCH_MAIL_ORDERS ?? 2_000);
const MESSAGES = Number(process.env.BENCH_MAIL_MESSAGES ?? 2_000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;
const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;

const dir = mkdtempSync(join(tmpdir(), "store-bench-mail-"));
const db = openDatabase(join(dir, "store.db"));
migrate(db.$client, { migrationsFolder: MIGRATIONS_FOLDER });
seedDemoProducts(db);
db.update(products).set({ stock: 1_000_000 }).run();
const [a, b] = db.select({ id: products.id }).from(products).limit(2).all();
const details = {
  email: "ada@example.com",
  customerName: "Ada Lovelace",
  addressLine1: "12 St James's Square",
  addressLine2: "",
  city: "London",
  postalCode: "SW1Y 4JH",
  country: "United Kingdom",
};

// --- 1. checkout ------------------------------------------------------------------
const place = () => {
  const t = performance.now();
  const result = placeOrder(db, {
    checkoutToken: newToken(),
    details,
    cart: [
      { productId: a!.id, quantity: 2 },
      { productId: b!.id, quantity: 3 },
    ],
  }, orderLimits(config), config.PUBLIC_URL);
  if (result.status !== "placed") throw new Error("not placed");
  return performance.now() - t;
};
for (let i = 0; i < 200; i++) place(); // warm-up: statements prepared, pages cached
const orderId = db.$client.prepare("SELECT max(id) FROM orders").pluck().get() as number;
const placeTimes: number[] = [];
const rowTimes: number[] = [];
const emptyTimes: number[] = [];
for (let i = 0; i < ORDERS; i++) {
  placeTimes.push(place());
  let t = performance.now();
  db.transaction(() => enqueueMessage(db, { kind: "order_shipped", orderId }), { behavior: "immediate" });
  rowTimes.push(performance.now() - t);
  t = performance.now();
  db.transaction(() => undefined, { behavior: "immediate" });
  emptyTimes.push(performance.now() - t);
}
console.log(`placeOrder (2 lines, with its outbox row), ${ORDERS} orders: median ${us(median(placeTimes))}, p99 ${us(p99(placeTimes))}`);
console.log(
  `outbox row alone: a write transaction with enqueueMessage, median ${us(median(rowTimes))}; ` +
    `an empty write transaction (baseline) ${us(median(emptyTimes))}; the row: ${us(median(rowTimes) - median(emptyTimes))}`,
);

// --- 2. the sender ------------------------------------------------------------------
const vite = await createServer({ root: ROOT, configFile: false, logLevel: "error", server: { middlewareMode: true }, appType: "custom" });
const { renderMessage } = (await vite.ssrLoadModule("/app/store/mail/messages/render.server.tsx")) as { renderMessage: typeof RenderMessage };
const smtp = await startSmtpSink();

// Baseline: the transport alone, the same rendered message, as many in flight as the sender allows.
db.delete(outboxMessages).run();
const sample = renderMessage(db, { kind: "order_placed", orderId, staffId: null, link: null }, { origin: config.PUBLIC_URL, name: config.STORE_NAME });
const renderTimes = Array.from({ length: 500 }, () => {
  const t = performance.now();
  renderMessage(db, { kind: "order_placed", orderId, staffId: null, link: null }, { origin: config.PUBLIC_URL, name: config.STORE_NAME });
  return performance.now() - t;
});
console.log(`rendering one confirmation (2 queries, HTML and text): median ${us(median(renderTimes))}`);
const transport = smtpTransport(smtp.url, 30_000);
let next = 0;
let started = performance.now();
await Promise.all(
  Array.from({ length: 6 }, async () => {
    while (next < MESSAGES) {
      const id = next++;
      await transport.send({ id, kind: "order_placed", from: "Shop <shop@example.com>", messageId: `<${id}@bench>`, ...sample });
    }
  }),
);
const transportRate = MESSAGES / ((performance.now() - started) / 1000);
transport.close();

// The sender: MESSAGES queued rows, rendered, sent and marked.
const ids = db.$client.prepare("SELECT id FROM orders ORDER BY id DESC LIMIT ?").pluck().all(MESSAGES) as number[];
db.transaction(() => ids.forEach((id) => enqueueMessage(db, { kind: "order_placed", orderId: id })), { behavior: "immediate" });
const before = smtp.received.length;
started = performance.now();
const sender = startSender(db, {
  transport: smtpTransport(smtp.url, 30_000),
  render: (database, subject) => renderMessage(database, subject, { origin: config.PUBLIC_URL, name: config.STORE_NAME }),
  from: "Shop <shop@example.com>",
  pollMs: 1_000,
  retryBaseMs: 1_000,
  retryMaxMs: 60_000,
  giveUpAfterMs: 86_400_000,
  leaseMs: 300_000,
  log: () => undefined,
});
while (db.$client.prepare("SELECT count(*) FROM outbox_messages WHERE status = 'queued'").pluck().get() !== 0) {
  await new Promise((r) => setTimeout(r, 5));
}
const senderRate = MESSAGES / ((performance.now() - started) / 1000);
await sender.stop();
if (smtp.received.length - before !== MESSAGES) throw new Error(`expected ${MESSAGES} messages, the server got ${smtp.received.length - before}`);
const { loadavg } = await import("node:os");
console.log(
  `load average during the run: ${loadavg().map((l) => l.toFixed(1)).join(" ")} (2 cores shared; figures from a loaded machine vary)\n` +
  `sender: ${MESSAGES} messages from the outbox (rendered, sent, marked) at ${senderRate.toFixed(0)} messages/s; ` +
    `the transport alone (baseline, one rendered message, same pool) ${transportRate.toFixed(0)} messages/s`,
);

await smtp.close();
await vite.close();
closeDatabase(db);
rmSync(dir, { recursive: true, force: true });

// The outbox: an email is a row written in the same transaction as the change
// that causes it, so it exists exactly when that change committed (docs/email.md).
// The row holds what the message is about, not its text: one small insert
// keeps the write lock short (docs/decisions/036-outbox.md).
//
// Imports carry .ts extensions: checkout's worker processes in the tests run
// this module with plain Node.
import { randomBytes } from "node:crypto";
import { and, asc, desc, eq, inArray, isNotNull, sql } from "drizzle-orm";
import { perConnection, type AppDatabase } from "#app/db/connection.server.ts";
import { orders, outboxMessages, staff, type OutboxKind, type OutboxStatus } from "#app/db/schema.ts";
import { mailConfigured } from "#app/core/env.server.ts";
import { wakeSenders } from "#app/store/mail/wake.server.ts";

export type OrderMessageKind = Extract<OutboxKind, `order_${string}`>;
export type StaffMessageKind = Extract<OutboxKind, `staff_${string}`>;

export type NewMessage =
  | { kind: OrderMessageKind; orderId: number }
  | { kind: StaffMessageKind; staffId: number; link: string };

/** What staff see of a message: never its text or its address. */
export const outboxKindLabels: Record<OutboxKind, string> = {
  order_placed: "Order confirmation",
  order_paid: "Payment received",
  order_shipped: "Order shipped",
  order_cancelled: "Order cancelled",
  order_refunded: "Order refunded",
  staff_invitation: "Staff invitation",
  staff_sign_in_link: "Sign-in link",
};

export { mailConfigured };

/**
 * A Message-ID for a new row: random, on the store's own host name. Sent
 * unchanged on every attempt, so a copy resent after a crash (the window
 * between the SMTP server's "250 OK" and our mark) folds into one message.
 */
export function newMessageId(origin: string | undefined): string {
  const host = origin ? new URL(origin).hostname : "localhost";
  return `<${randomBytes(16).toString("hex")}@${host}>`;
}

const prepared = perConnection((db: AppDatabase) => {
  const param = sql.placeholder;
  return {
    insert: db
      .insert(outboxMessages)
      .values({
        kind: param("kind"),
        orderId: param("orderId"),
        staffId: param("staffId"),
        link: param("link"),
        messageId: param("messageId"),
        dueAtMs: param("now"),
        createdAtMs: param("now"),
        queuedAtMs: param("now"),
      })
      .prepare(),
  };
});

/**
 * Queues a message. Call it inside the write transaction of the change that
 * causes the message (db.transaction(…, { behavior: "immediate" })): that is
 * the whole point, so it refuses to run outside one. `origin` (PUBLIC_URL)
 * names the host of its Message-ID.
 */
export function enqueueMessage(
  db: AppDatabase,
  message: NewMessage,
  { origin, now = Date.now() }: { origin?: string; now?: number } = {},
): void {
  if (!db.$client.inTransaction) {
    throw new Error("enqueueMessage must run inside the transaction of the change that causes the message");
  }
  const staffMessage = "staffId" in message;
  if (staffMessage) {
    // An account has one working link (issueSignInLink deletes the others):
    // the link in an older message is dead, and no copy of it is kept.
    db.update(outboxMessages)
      .set({
        status: sql`CASE WHEN ${outboxMessages.status} = 'queued' THEN 'failed' ELSE ${outboxMessages.status} END`,
        lastError: sql`CASE WHEN ${outboxMessages.status} = 'queued' THEN 'Replaced by a newer link.' ELSE ${outboxMessages.lastError} END`,
        link: null,
      })
      .where(and(eq(outboxMessages.staffId, message.staffId), isNotNull(outboxMessages.link)))
      .run();
  }
  prepared(db).insert.run({
    kind: message.kind,
    orderId: staffMessage ? null : message.orderId,
    staffId: staffMessage ? message.staffId : null,
    link: staffMessage ? message.link : null,
    messageId: newMessageId(origin),
    now,
  });
  // The transaction is synchronous: by the time a sender in this process
  // looks, it has committed (or rolled back, and there is nothing to find).
  wakeSenders();
}

export type MessageState = {
  id: number;
  kind: OutboxKind;
  label: string;
  status: OutboxStatus;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
  dueAt: Date;
};

const stateColumns = {
  id: outboxMessages.id,
  kind: outboxMessages.kind,
  status: outboxMessages.status,
  attempts: outboxMessages.attempts,
  lastError: outboxMessages.lastError,
  createdAtMs: outboxMessages.createdAtMs,
  sentAtMs: outboxMessages.sentAtMs,
  dueAtMs: outboxMessages.dueAtMs,
};

function toState(row: {
  id: number;
  kind: OutboxKind;
  status: OutboxStatus;
  attempts: number;
  lastError: string | null;
  createdAtMs: number;
  sentAtMs: number | null;
  dueAtMs: number;
}): MessageState {
  return {
    id: row.id,
    kind: row.kind,
    label: outboxKindLabels[row.kind],
    status: row.status,
    attempts: row.attempts,
    lastError: row.lastError,
    createdAt: new Date(row.createdAtMs),
    sentAt: row.sentAtMs === null ? null : new Date(row.sentAtMs),
    dueAt: new Date(row.dueAtMs),
  };
}

/** An order's messages, oldest first, for its staff page. */
export function orderMessages(db: AppDatabase, orderId: number): MessageState[] {
  return db
    .select(stateColumns)
    .from(outboxMessages)
    .where(eq(outboxMessages.orderId, orderId))
    .orderBy(asc(outboxMessages.id))
    .all()
    .map(toState);
}

/** Messages the sender gave up on, newest first, with the order or account they were for. */
export function failedMessages(db: AppDatabase, limit = 20) {
  return db
    .select({ ...stateColumns, orderId: outboxMessages.orderId, orderNumber: orders.number, staffEmail: staff.email })
    .from(outboxMessages)
    .leftJoin(orders, eq(orders.id, outboxMessages.orderId))
    .leftJoin(staff, eq(staff.id, outboxMessages.staffId))
    .where(eq(outboxMessages.status, "failed"))
    .orderBy(desc(outboxMessages.id))
    .limit(limit)
    .all()
    .map((row) => ({ ...toState(row), orderId: row.orderId, orderNumber: row.orderNumber, staffEmail: row.staffEmail }));
}

/** How many messages are waiting and how many failed: the dashboard's and db:status's numbers. */
export function outboxCounts(db: AppDatabase): { queued: number; failed: number; oldestQueuedAt: Date | null } {
  const row = db
    .select({
      queued: sql<number>`count(*) FILTER (WHERE ${outboxMessages.status} = 'queued')`,
      failed: sql<number>`count(*) FILTER (WHERE ${outboxMessages.status} = 'failed')`,
      oldest: sql<number | null>`min(${outboxMessages.createdAtMs}) FILTER (WHERE ${outboxMessages.status} = 'queued')`,
    })
    .from(outboxMessages)
    .where(inArray(outboxMessages.status, ["queued", "failed"]))
    .get()!;
  return { queued: row.queued, failed: row.failed, oldestQueuedAt: row.oldest === null ? null : new Date(row.oldest) };
}

/**
 * Staff's "Send again" for a failed message: queued now, with a fresh round
 * of attempts. A staff message whose link was replaced has nothing to send.
 * Returns false when the message is not (or no longer) failed.
 */
export function retryMessage(db: AppDatabase, id: number, now = Date.now()): "queued" | "missing" | "not-failed" | "no-link" {
  return db.transaction(
    () => {
      const row = db
        .select({ status: outboxMessages.status, staffId: outboxMessages.staffId, link: outboxMessages.link })
        .from(outboxMessages)
        .where(eq(outboxMessages.id, id))
        .get();
      if (!row) return "missing" as const;
      if (row.status !== "failed") return "not-failed" as const;
      if (row.staffId !== null && row.link === null) return "no-link" as const;
      db.update(outboxMessages)
        .set({ status: "queued", attempts: 0, dueAtMs: now, queuedAtMs: now, leaseOwner: null, leaseUntilMs: null })
        .where(eq(outboxMessages.id, id))
        .run();
      wakeSenders();
      return "queued" as const;
    },
    { behavior: "immediate" },
  );
}

// The sender: inside the server process, never inside a request, it claims
// due outbox rows with a lease (so several processes on one file never send
// a row at once), sends them and marks them. Temporary failures are retried
// with backoff, permanent ones (5xx) fail at once, and a crash between the
// SMTP server's 250 and the mark resends with the same Message-ID
// (docs/email.md). Logs never hold an address or a body.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { AppDatabase } from "#app/db/connection.server.ts";
import type { OutboxKind } from "#app/db/schema.ts";
import { errorMessage } from "#app/core/errors.ts";
import type { MessageSubject, RenderedMessage } from "#app/store/mail/messages/render.server.tsx";
import type { MailTransport } from "#app/store/mail/transport.server.ts";
import { onWake } from "#app/store/mail/wake.server.ts";

export type SenderOptions = {
  transport: MailTransport;
  render: (db: AppDatabase, subject: MessageSubject) => RenderedMessage | Promise<RenderedMessage>;
  from: string;
  replyTo?: string;
  /** How often to look for due rows when nothing wakes the sender. */
  pollMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  giveUpAfterMs: number;
  /** How long a claim holds a row: longer than any one send can take. */
  leaseMs: number;
  /** Messages in flight at once. */
  concurrency?: number;
  log: (line: string) => void;
  /** For tests: the clock and the dice. */
  now?: () => number;
  random?: () => number;
};

export type Sender = {
  /** Look for due rows now. */
  wake(): void;
  /** Claim nothing more, finish and mark the sends under way, release leases. */
  stop(): Promise<void>;
};

type Claimed = {
  id: number;
  kind: OutboxKind;
  order_id: number | null;
  staff_id: number | null;
  link: string | null;
  message_id: string;
  attempts: number;
  queued_at_ms: number;
};

/** Whether a failure may go away by itself (retry) or will not (mark failed). */
export function isPermanent(error: unknown): boolean {
  const e = error as { responseCode?: unknown; code?: unknown } | null;
  // A wrong password or a TLS problem is the store's configuration, not the
  // message: retried (and logged) until someone fixes it or time runs out.
  if (e?.code === "EAUTH" || e?.code === "ETLS" || e?.code === "EREQUIRETLS") return false;
  return typeof e?.responseCode === "number" && e.responseCode >= 500 && e.responseCode < 600;
}

/** A failure as staff may read it: one line, no addresses, not too long. */
export function describeFailure(error: unknown): string {
  const e = error as { responseCode?: unknown; response?: unknown } | null;
  const text = typeof e?.response === "string" ? e.response : errorMessage(error);
  return text
    .replace(/<?[^\s<>"'(),;:]+@[^\s<>"'(),;:]+>?/g, "<address>")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 300);
}

/** The delay before attempt n+1 after n failures: base·2ⁿ⁻¹ capped, then "equal jitter" (half fixed, half random). */
export function backoffMs(failures: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

export function startSender(db: AppDatabase, options: SenderOptions): Sender {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const concurrency = options.concurrency ?? 6;
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  const log = (line: string) => options.log(`mail: ${line}`);

  const sql = db.$client;
  const claim = sql.prepare<{ owner: string; now: number; until: number; limit: number }, Claimed>(
    `UPDATE outbox_messages SET lease_owner = @owner, lease_until_ms = @until
     WHERE id IN (
       SELECT id FROM outbox_messages
       WHERE status = 'queued' AND due_at_ms <= @now AND (lease_until_ms IS NULL OR lease_until_ms <= @now)
       ORDER BY due_at_ms LIMIT @limit)
     RETURNING id, kind, order_id, staff_id, link, message_id, attempts, queued_at_ms`,
  );
  // Every mark names the lease owner: a row this process no longer holds
  // (its lease ran out and another process took it) is left alone.
  const markSent = sql.prepare<{ id: number; owner: string; now: number }>(
    `UPDATE outbox_messages SET status = 'sent', sent_at_ms = @now, attempts = attempts + 1, link = NULL,
       last_error = NULL, lease_owner = NULL, lease_until_ms = NULL
     WHERE id = @id AND lease_owner = @owner`,
  );
  const markFailed = sql.prepare<{ id: number; owner: string; error: string }>(
    `UPDATE outbox_messages SET status = 'failed', attempts = attempts + 1, last_error = @error,
       lease_owner = NULL, lease_until_ms = NULL
     WHERE id = @id AND lease_owner = @owner`,
  );
  const markRetry = sql.prepare<{ id: number; owner: string; error: string; due: number }>(
    `UPDATE outbox_messages SET attempts = attempts + 1, last_error = @error, due_at_ms = @due,
       lease_owner = NULL, lease_until_ms = NULL
     WHERE id = @id AND lease_owner = @owner`,
  );
  const release = sql.prepare<{ owner: string }>(
    `UPDATE outbox_messages SET lease_owner = NULL, lease_until_ms = NULL WHERE lease_owner = @owner AND status = 'queued'`,
  );
  const nextDue = sql.prepare<[], { due: number | null }>(
    `SELECT min(due_at_ms) AS due FROM outbox_messages WHERE status = 'queued'`,
  );

  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  let ticking = false;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  function schedule(ms: number) {
    if (stopping) return;
    clearTimeout(timer);
    timer = setTimeout(() => void tick(), Math.max(0, ms));
  }

  async function sendOne(row: Claimed) {
    const label = `message ${row.id} (${row.kind})`;
    let rendered: RenderedMessage;
    try {
      rendered = await options.render(db, { kind: row.kind, orderId: row.order_id, staffId: row.staff_id, link: row.link });
    } catch (error) {
      markFailed.run({ id: row.id, owner, error: describeFailure(error) });
      log(`${label} cannot be made, marked failed: ${describeFailure(error)}`);
      return;
    }
    try {
      const result = await options.transport.send({
        id: row.id,
        kind: row.kind,
        from: options.from,
        replyTo: options.replyTo,
        messageId: row.message_id,
        ...rendered,
      });
      markSent.run({ id: row.id, owner, now: now() });
      log(`${label} sent${result.file ? `: wrote ${result.file}` : ""}`);
    } catch (error) {
      const reason = describeFailure(error);
      const attempt = row.attempts + 1;
      if (isPermanent(error) || now() - row.queued_at_ms >= options.giveUpAfterMs) {
        markFailed.run({ id: row.id, owner, error: reason });
        log(`${label} failed after ${attempt} attempt(s), staff can send it again: ${reason}`);
      } else {
        const delay = backoffMs(attempt, options.retryBaseMs, options.retryMaxMs, random);
        markRetry.run({ id: row.id, owner, error: reason, due: now() + delay });
        log(`${label} attempt ${attempt} failed, next in ${(delay / 1000).toFixed(1)} s: ${reason}`);
      }
    }
  }

  async function tick() {
    if (stopping) return;
    if (ticking) {
      again = true;
      return;
    }
    ticking = true;
    let wait = options.pollMs;
    try {
      do {
        again = false;
        const free = concurrency - inFlight.size;
        if (free <= 0) break;
        const t = now();
        const rows = claim.all({ owner, now: t, until: t + options.leaseMs, limit: free });
        for (const row of rows) {
          const sending: Promise<void> = sendOne(row)
            .catch((error: unknown) => log(`message ${row.id}: ${errorMessage(error)}`))
            .finally(() => {
              inFlight.delete(sending);
              schedule(0);
            });
          inFlight.add(sending);
        }
        if (rows.length === free) again = true;
      } while (again && !stopping);
      // Sleep until the soonest retry is due, or the poll interval, whichever is sooner.
      const due = nextDue.get()?.due;
      if (due != null) wait = Math.min(wait, Math.max(0, due - now()));
      if (inFlight.size >= concurrency) wait = options.pollMs;
    } catch (error) {
      // SQLITE_BUSY under a long write elsewhere, a full disk: try again later.
      log(`cannot read the outbox: ${errorMessage(error)}`);
    } finally {
      ticking = false;
    }
    schedule(wait);
  }

  const unsubscribe = onWake(() => schedule(0));
  schedule(0);
  log(`sending with ${options.transport.name}`);

  return {
    wake: () => schedule(0),
    async stop() {
      stopping = true;
      clearTimeout(timer);
      unsubscribe();
      await Promise.allSettled([...inFlight]);
      try {
        release.run({ owner });
      } catch (error) {
        log(`cannot release leases (they run out by themselves): ${errorMessage(error)}`);
      }
      options.transport.close();
    },
  };
}

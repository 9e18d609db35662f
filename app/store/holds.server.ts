// No stock is held forever. An order awaiting payment whose hold has run out
// and whose webhook never came (the shopper left, Stripe's expiry event was
// lost, the store was down) is settled here: its session is closed at Stripe
// first, then the order is cancelled and its stock returns, once. If Stripe
// says the session was paid after all, the order is paid instead. Runs in
// the server on a timer and as `npm run payments:sweep` (app/cli/cli.ts).
import { and, asc, eq, isNull, lt, sql } from "drizzle-orm";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { orders } from "#app/db/schema.ts";
import { moveOrder } from "#app/store/order-states.server.ts";
import { prunePaymentEvents, settleSession } from "#app/store/payment-events.server.ts";
import { ProviderUnavailable, type PaymentProvider } from "#app/store/payments.server.ts";

export type SweepReport = { cancelled: number; paid: number; waiting: number; unreachable: number; pruned: number };

/**
 * Settles up to `limit` orders whose hold ended before `now`; then, given
 * `keepEventsDays`, deletes a batch of the webhook rows older than that
 * (prunePaymentEvents: an indexed DELETE, which finds nothing on most turns).
 */
export async function sweepHolds(
  db: AppDatabase,
  provider: PaymentProvider | null,
  options: { now?: Date; limit?: number; keepEventsDays?: number } = {},
): Promise<SweepReport> {
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const report: SweepReport = { cancelled: 0, paid: 0, waiting: 0, unreachable: 0, pruned: 0 };
  const due = db
    .select({ id: orders.id, reference: orders.paymentReference })
    .from(orders)
    .where(
      and(
        eq(orders.status, "awaiting_payment"),
        lt(orders.holdExpiresAt, sql`${now}`),
        // Money and order disagree: staff decide, not a timer.
        isNull(orders.paymentIssue),
      ),
    )
    .orderBy(asc(orders.holdExpiresAt))
    .limit(options.limit ?? 100)
    .all();
  for (const order of due) {
    if (order.reference === null) {
      // The store stopped between committing the order and opening its
      // session: no session holds its id, nobody can pay it.
      const moved = moveOrder(db, order.id, ["awaiting_payment"], "cancelled", { note: "hold expired before payment started" });
      if (moved.status === "moved") report.cancelled++;
      continue;
    }
    if (!provider) {
      // Switched to manual payment with Stripe orders still held: only
      // Stripe can say whether they were paid.
      report.unreachable++;
      continue;
    }
    try {
      const session = await provider.expireSession(order.reference);
      settleSession(db, session, "hold expired");
      // Counted by where the order ended up: Stripe's own expiry webhook,
      // sent when the session closed, may have cancelled it first.
      const now = db.select({ status: orders.status }).from(orders).where(eq(orders.id, order.id)).get()!.status;
      if (now === "paid") report.paid++;
      else if (now === "cancelled") report.cancelled++;
      else report.waiting++;
    } catch (error) {
      if (!(error instanceof ProviderUnavailable)) throw error;
      report.unreachable++;
    }
  }
  if (options.keepEventsDays !== undefined) report.pruned = prunePaymentEvents(db, options.keepEventsDays, { now: options.now });
  return report;
}

/**
 * The server's sweeper: every `intervalMs`, one sweep at a time. Its timer
 * is unref'd, so it never keeps a stopping process alive, and stop() waits
 * for a sweep under way (a few provider calls) before the database closes.
 */
export function startSweeper(run: () => Promise<SweepReport>, log: (line: string) => void, intervalMs = 60_000) {
  let running: Promise<unknown> | undefined;
  const tick = () => {
    if (running) return;
    running = run()
      .then((report) => {
        if (report.cancelled + report.paid + report.unreachable + report.pruned > 0) {
          log(
            `payments: sweep cancelled=${report.cancelled} paid=${report.paid} waiting=${report.waiting} unreachable=${report.unreachable} pruned=${report.pruned}`,
          );
        }
      })
      .catch((error: unknown) => log(`payments: sweep failed: ${error instanceof Error ? error.name : "error"}`))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    tick,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

// Webhook rows do not pile up forever (docs/payments.md): `payments prune`
// and every sweep delete the payment_events rows older than
// PAYMENT_EVENTS_KEEP_DAYS (30 by default, at least 4, since Stripe
// redelivers for up to 3 days), and keep the owner's acceptances of flagged
// payments. The CLI on a real SQLite file: the first run as the operator runs
// it (a process), the rest in-process (runCli, the same code).
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { parseEnv } from "#app/core/env.server.ts";
import { closeDatabase } from "#app/db/connection.server.ts";
import { freshDatabase } from "#tests/helpers/db.ts";
import { runCliInProcess } from "#tests/helpers/cli.ts";
import { runNode } from "#tests/helpers/server.ts";

const DAY = 86_400;

/** A store with webhook rows 1, 3, 5, 29 and 40 days old, and an acceptance 100 days old. */
function storeWithEvents() {
  const { db, path } = freshDatabase();
  const now = Math.floor(Date.now() / 1000);
  const insert = db.$client.prepare("INSERT INTO payment_events (id, type, order_id, outcome, created_at) VALUES (?, ?, NULL, ?, ?)");
  for (const days of [1, 3, 5, 29, 40]) insert.run(`evt_${days}d`, "session.completed", "ignored: no such order", now - days * DAY);
  insert.run("staff-accept-7", "staff.payment_accepted", "paid: accepted by owner@example.com", now - 100 * DAY);
  closeDatabase(db);
  return path;
}

function ids(path: string) {
  const db = new Database(path, { readonly: true });
  const rows = db.prepare("SELECT id FROM payment_events ORDER BY created_at ASC").pluck().all() as string[];
  db.close();
  return rows;
}

describe("pruning payment_events", () => {
  it("payments prune deletes the rows older than --days (or PAYMENT_EVENTS_KEEP_DAYS), keeping the owner's acceptances", async () => {
    const path = storeWithEvents();
    const byDefault = await runNode(["app/cli/cli.ts", "payments", "prune"], { env: { DATABASE_PATH: path } });
    expect(byDefault).toMatchObject({ code: 0 });
    expect(byDefault.output).toContain("payments prune: 1 webhook rows older than 30 days deleted");
    expect(ids(path)).toEqual(["staff-accept-7", "evt_29d", "evt_5d", "evt_3d", "evt_1d"]);

    const setting = await runCliInProcess(["payments", "prune"], { env: { DATABASE_PATH: path, PAYMENT_EVENTS_KEEP_DAYS: "10" } });
    expect(setting.output).toContain("payments prune: 1 webhook rows older than 10 days deleted");
    expect(ids(path)).toEqual(["staff-accept-7", "evt_5d", "evt_3d", "evt_1d"]);

    const flag = await runCliInProcess(["payments", "prune", "--days", "4"], { env: { DATABASE_PATH: path } });
    expect(flag.output).toContain("payments prune: 1 webhook rows older than 4 days deleted");
    // What Stripe may still redeliver (up to 3 days) stays.
    expect(ids(path)).toEqual(["staff-accept-7", "evt_3d", "evt_1d"]);
  });

  it("refuses to keep less than Stripe's 3 days of redeliveries", async () => {
    const path = storeWithEvents();
    const short = await runCliInProcess(["payments", "prune", "--days", "3"], { env: { DATABASE_PATH: path } });
    expect(short.code).toBe(2);
    expect(short.output).toContain("--days must be a whole number ≥ 4");
    expect(ids(path)).toHaveLength(6);
    expect(() => parseEnv({ PAYMENT_EVENTS_KEEP_DAYS: "3" })).toThrow("PAYMENT_EVENTS_KEEP_DAYS");
    expect(parseEnv({}).PAYMENT_EVENTS_KEEP_DAYS).toBe(30);
  });

  it("every sweep prunes too, and says so", async () => {
    const path = storeWithEvents();
    const sweep = await runCliInProcess(["payments", "sweep"], { env: { DATABASE_PATH: path, PAYMENT_EVENTS_KEEP_DAYS: "4" } });
    expect(sweep).toMatchObject({ code: 0 });
    expect(sweep.output).toContain("0 cancelled, 0 paid, 0 still waiting, 0 not checked (provider unreachable or not configured), 3 old webhook rows deleted");
    expect(ids(path)).toEqual(["staff-accept-7", "evt_3d", "evt_1d"]);
  });
});

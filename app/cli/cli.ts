// The store's one command line. Every command works in the production image
// (no drizzle-kit, no Vite), where it runs as `node app/cli/cli.ts <command>`;
// in a checkout, `npm run db:<command>` runs the same thing with .env loaded.
// Run with no command for the list.
import { existsSync, readdirSync } from "node:fs";
import { parseArgs } from "node:util";
import { applyMigrations } from "#app/db/apply-migrations.server.ts";
import { backfillSkus, BackfillError } from "#app/ops/backfill-skus.server.ts";
import { backupDatabase, defaultBackupPath, integrityProblem, restoreDatabase } from "#app/db/backup.server.ts";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { formatFinding, lintMigrations } from "#app/ops/migration-lint.server.ts";
import { MIGRATIONS_FOLDER, migrationState } from "#app/db/migrator.server.ts";
import { seedDemoProducts } from "#app/db/seed.server.ts";
import { migrationStatus } from "#app/ops/status.server.ts";
import { mailConfigured, parseEnv, type Env } from "#app/core/env.server.ts";
import { errorMessage, KnownError, UsageError } from "#app/core/errors.ts";

/**
 * What a command gets from this entry point: the settings, parsed from the
 * environment once, and the database at DATABASE_PATH, opened once. Both on
 * first use, so `lint` needs neither and `check` never opens a connection.
 */
export type CliContext = { config: () => Env; db: () => AppDatabase };

type Command = {
  usage: string;
  summary: string;
  options?: Record<string, { type: "string"; default?: string } | { type: "boolean" }>;
  run: (
    args: { positionals: string[]; values: Record<string, string | boolean | undefined> },
    context: CliContext,
  ) => void | Promise<void>;
};

function text(value: string | boolean | undefined) {
  return typeof value === "string" ? value : undefined;
}

function wholeNumber(value: string | boolean | undefined, name: string, min: number): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) throw new UsageError(`--${name} must be a whole number ≥ ${min}`);
  return number;
}

const commands: Record<string, Command> = {
  migrate: {
    usage: "migrate",
    summary: "apply pending migrations, then exit (a release step)",
    run(_args, { config: settings, db }) {
      const config = settings();
      applyMigrations(db(), {
        databasePath: config.DATABASE_PATH,
        lockTimeoutMs: config.MIGRATION_LOCK_TIMEOUT_MS,
        keepSnapshots: config.BACKUP_KEEP,
        log: console.log,
      });
    },
  },
  status: {
    usage: "status",
    summary: "applied and pending migrations (exit 1 on a problem)",
    run(_args, { config }) {
      const status = migrationStatus(config().DATABASE_PATH, MIGRATIONS_FOLDER, { mailConfigured: mailConfigured(config()) });
      console.log(status.text);
      if (status.problems.length > 0) process.exitCode = 1;
    },
  },
  check: {
    usage: "check",
    summary: "read every page of the database: PRAGMA integrity_check (exit 1 if damaged)",
    run(_args, { config }) {
      const path = config().DATABASE_PATH;
      if (!existsSync(path)) throw new KnownError(`no database at ${path}`);
      const started = performance.now();
      const problem = integrityProblem(path);
      const ms = (performance.now() - started).toFixed(0);
      if (problem) throw new KnownError(`${path} is damaged: ${problem} (checked in ${ms} ms). Restore the newest backup (docs/operations.md#restore)`);
      console.log(`${path}: integrity_check ok (${ms} ms)`);
    },
  },
  seed: {
    usage: "seed",
    summary: "fill an empty catalog with the demo products",
    run(_args, { config, db }) {
      const path = config().DATABASE_PATH;
      // Opening would create an empty file, and seeding it fails on a
      // missing table: say what to run instead, and leave nothing behind.
      if (!existsSync(path)) throw new KnownError(`no database at ${path}: run db:migrate first (the server migrates when it starts)`);
      const pending = migrationState(db().$client, MIGRATIONS_FOLDER).pending.length;
      if (pending > 0) throw new KnownError(`${pending} migration(s) pending on ${path}: run db:migrate first`);
      const inserted = seedDemoProducts(db());
      console.log(inserted > 0 ? `seeded ${inserted} demo products` : "catalog not empty: nothing seeded");
    },
  },
  backup: {
    usage: "backup [file]",
    summary: "consistent online backup, safe while the store serves",
    run({ positionals: [target] }, { config }) {
      const source = config().DATABASE_PATH;
      const result = backupDatabase(source, target ?? defaultBackupPath(source));
      console.log(
        `backup written to ${result.path} (${(result.bytes / 1024).toFixed(0)} KiB, ${result.ms.toFixed(0)} ms), integrity ok`,
      );
    },
  },
  restore: {
    usage: "restore <file>",
    summary: "put a backup in place of the database (server stopped)",
    run({ positionals: [file] }, { config }) {
      if (!file) throw new UsageError("restore needs the backup file to restore");
      const { replaced } = restoreDatabase(file, config().DATABASE_PATH);
      if (replaced) console.log(`previous database kept at ${replaced}`);
      console.log(`restored ${file}; pending migrations (if any) apply on the next start or db:migrate`);
    },
  },
  "backfill-skus": {
    usage: "backfill-skus [--batch-size 2000] [--pause-ms 10]",
    summary: "give products without a SKU one, in small batches, while the store runs",
    options: { "batch-size": { type: "string", default: "2000" }, "pause-ms": { type: "string", default: "10" } },
    run({ values }, { config, db }) {
      const batchSize = wholeNumber(values["batch-size"], "batch-size", 1);
      const pauseMs = wholeNumber(values["pause-ms"], "pause-ms", 0);
      const path = config().DATABASE_PATH;
      // Opening would create an empty file; a backfill needs the real one.
      if (!existsSync(path)) throw new BackfillError(`no database at ${path}`);
      let last = performance.now();
      const result = backfillSkus(db().$client, {
        batchSize,
        pauseMs,
        onBatch(batch) {
          if (performance.now() - last < 1000) return;
          last = performance.now();
          console.log(`backfill-skus: ids up to ${batch.toId} done`);
        },
      });
      const longest = Math.max(0, ...result.lockMs);
      console.log(
        `backfill-skus: ${result.updated} products given a SKU in ${result.batches} batches ` +
          `(${result.ms.toFixed(0)} ms; longest lock hold ${longest.toFixed(1)} ms)`,
      );
    },
  },
  // Staff accounts and the stock ledger (docs/admin.md). Their code is
  // loaded only when they run: the tutorial's sandbox copies app/db alone.
  staff: {
    usage: "staff create|link|list|disable|enable  (--email, --role, --password-stdin)",
    summary: "staff accounts: create one (prints a one-time sign-in link on PUBLIC_URL), new link, list, disable",
    options: {
      email: { type: "string" },
      role: { type: "string" },
      "password-stdin": { type: "boolean" },
    },
    async run({ positionals, values }, context) {
      const { staffCommand } = await import("#app/cli/staff-cli.server.ts");
      await staffCommand(positionals, values, context);
    },
  },
  inventory: {
    usage: "inventory check|reconcile [--note <why>]",
    summary: "check that every product's stock equals the sum of its stock movements",
    options: { note: { type: "string" } },
    async run({ positionals, values }, context) {
      const { inventoryCommand } = await import("#app/cli/staff-cli.server.ts");
      inventoryCommand(positionals, { note: text(values.note) }, context);
    },
  },
  images: {
    usage: "images variants | images prune [--days <n>] [--dry-run]",
    summary: "make the variants of images uploaded before they existed; delete images no product uses, untouched for --days (7)",
    options: { days: { type: "string", default: "7" }, "dry-run": { type: "boolean" } },
    async run({ positionals, values }, context) {
      const { imagesCommand } = await import("#app/cli/staff-cli.server.ts");
      await imagesCommand(positionals, { days: wholeNumber(values.days, "days", 0), dryRun: values["dry-run"] === true }, context);
    },
  },
  // Off-site replication with Litestream (docs/operations.md#off-site-replication).
  // Loaded only when run, like staff and inventory.
  replica: {
    usage: "replica config|drill [--max-lag <seconds>]",
    summary: "config: check the LITESTREAM_* settings, print Litestream's file; drill: restore the replica and compare",
    options: { "max-lag": { type: "string", default: "60" } },
    async run({ positionals: [action], values }, { config }) {
      const { replicaCommand } = await import("#app/cli/replica-cli.server.ts");
      replicaCommand(action, { maxLagSeconds: wholeNumber(values["max-lag"], "max-lag", 0) }, { config: config(), environment: process.env });
    },
  },
  // Held orders whose hold ran out, and old webhook rows (docs/payments.md).
  // The server does both every PAYMENT_SWEEP_SECONDS; this is for a cron
  // job, or after an outage.
  payments: {
    usage: "payments sweep | payments prune [--days N]",
    summary:
      "sweep: settle held orders whose hold ran out (ask Stripe, then mark them paid or cancel them, stock back) and prune old webhook rows; prune: only delete webhook rows older than N days (PAYMENT_EVENTS_KEEP_DAYS, at least 4)",
    options: { days: { type: "string" } },
    async run({ positionals: [action], values }, { config, db }) {
      const keepEventsDays = values.days === undefined ? config().PAYMENT_EVENTS_KEEP_DAYS : wholeNumber(values.days, "days", 4);
      if (action === "prune") {
        const { prunePaymentEvents } = await import("#app/store/payment-events.server.ts");
        // Batch by batch, each its own short transaction: a running store
        // writes between them.
        let deleted = 0;
        let batch: number;
        do {
          batch = prunePaymentEvents(db(), keepEventsDays);
          deleted += batch;
        } while (batch > 0);
        console.log(`payments prune: ${deleted} webhook rows older than ${keepEventsDays} days deleted`);
        return;
      }
      if (action !== "sweep") throw new UsageError('payments needs "sweep" or "prune"');
      const { onlinePayments } = await import("#app/store/payments.server.ts");
      const { sweepHolds } = await import("#app/store/holds.server.ts");
      const report = await sweepHolds(db(), await onlinePayments(config()), { keepEventsDays });
      console.log(
        `payments sweep: ${report.cancelled} cancelled, ${report.paid} paid, ${report.waiting} still waiting, ${report.unreachable} not checked (provider unreachable or not configured), ${report.pruned} old webhook rows deleted`,
      );
      if (report.unreachable > 0) process.exitCode = 1;
    },
  },
  lint: {
    usage: "lint [migrations folder]",
    summary: "check drizzle/ for migrations that would fail or lose data",
    run({ positionals: [folder = MIGRATIONS_FOLDER] }) {
      const findings = lintMigrations(folder);
      for (const finding of findings) console.error(formatFinding(finding));
      const count = readdirSync(folder).filter((f) => f.endsWith(".sql")).length;
      if (findings.length > 0) {
        console.error(`db:lint: ${findings.length} problem${findings.length === 1 ? "" : "s"} in ${count} migrations`);
        process.exitCode = 1;
      } else {
        console.log(`db:lint: ${count} migrations, no problems`);
      }
    },
  },
};

function usage() {
  const width = Math.max(...Object.values(commands).map((c) => c.usage.length));
  return [
    "usage: node app/cli/cli.ts <command>   (npm run db:<command> in a checkout)",
    "",
    ...Object.values(commands).map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
  ].join("\n");
}

// Backups and a database this creates are for the store's user only (as in server.ts).
process.umask(0o077);

const [name = "", ...rest] = process.argv.slice(2);
const command = commands[name];
if (!command) {
  console.error(name ? `unknown command "${name}"\n\n${usage()}` : usage());
  process.exit(2);
}
let config: Env | undefined;
let db: AppDatabase | undefined;
const context: CliContext = {
  config: () => (config ??= parseEnv(process.env)),
  db: () => (db ??= openDatabase(context.config().DATABASE_PATH)),
};
try {
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs explains the mistake ("Unknown option '--x'") in its message.
    throw new UsageError((error as Error).message);
  }
  await command.run({ positionals: parsed.positionals, values: parsed.values as Record<string, string | boolean | undefined> }, context);
  if (db) closeDatabase(db);
} catch (error) {
  if (db) closeDatabase(db);
  console.error(`${name} failed: ${errorMessage(error)}`);
  if (error instanceof UsageError) console.error(`usage: node app/cli/cli.ts ${command.usage}`);
  process.exit(error instanceof UsageError ? 2 : 1);
}

// The store's one command line, as a function: `app/cli/cli.ts` calls it
// with the process's argv, environment and streams, and tests call it
// in-process on their own database files (docs/architecture.md#the-cli).
// Every command works in the production image (no drizzle-kit, no Vite).
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

/** Where a run reads and writes: the process's own in `cli.ts`, a test's buffers in-process. */
export type CliIo = {
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Read for `--password-stdin`; a terminal (isTTY, setRawMode) is prompted without echo. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
};

/**
 * What a command gets from this entry point: the settings, parsed from the
 * environment once, and the database at DATABASE_PATH, opened once. Both on
 * first use, so `lint` needs neither and `check` never opens a connection.
 * `log` and `error` are console.log and console.error on the run's streams.
 */
export type CliContext = {
  config: () => Env;
  db: () => AppDatabase;
  log: (line: string) => void;
  error: (line: string) => void;
  io: CliIo;
};

type Command = {
  usage: string;
  summary: string;
  options?: Record<string, { type: "string"; default?: string } | { type: "boolean" }>;
  run: (
    args: { positionals: string[]; values: Record<string, string | boolean | undefined> },
    context: CliContext,
  ) => ExitCode | Promise<ExitCode>;
};

/** What a command returns: 1 when it ran but found a problem, nothing when all is well. */
type ExitCode = void | 0 | 1;

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
    run(_args, { config: settings, db, log }) {
      const config = settings();
      applyMigrations(db(), {
        databasePath: config.DATABASE_PATH,
        lockTimeoutMs: config.MIGRATION_LOCK_TIMEOUT_MS,
        keepSnapshots: config.BACKUP_KEEP,
        log,
      });
    },
  },
  status: {
    usage: "status",
    summary: "applied and pending migrations (exit 1 on a problem)",
    run(_args, { config, log }) {
      const status = migrationStatus(config().DATABASE_PATH, MIGRATIONS_FOLDER, { mailConfigured: mailConfigured(config()) });
      log(status.text);
      if (status.problems.length > 0) return 1;
    },
  },
  check: {
    usage: "check",
    summary: "read every page of the database: PRAGMA integrity_check (exit 1 if damaged)",
    run(_args, { config, log }) {
      const path = config().DATABASE_PATH;
      if (!existsSync(path)) throw new KnownError(`no database at ${path}`);
      const started = performance.now();
      const problem = integrityProblem(path);
      const ms = (performance.now() - started).toFixed(0);
      if (problem) throw new KnownError(`${path} is damaged: ${problem} (checked in ${ms} ms). Restore the newest backup (docs/operations.md#restore)`);
      log(`${path}: integrity_check ok (${ms} ms)`);
    },
  },
  seed: {
    usage: "seed",
    summary: "fill an empty catalog with the demo products",
    run(_args, { config, db, log }) {
      const path = config().DATABASE_PATH;
      // Opening would create an empty file, and seeding it fails on a
      // missing table: say what to run instead, and leave nothing behind.
      if (!existsSync(path)) throw new KnownError(`no database at ${path}: run db:migrate first (the server migrates when it starts)`);
      const pending = migrationState(db().$client, MIGRATIONS_FOLDER).pending.length;
      if (pending > 0) throw new KnownError(`${pending} migration(s) pending on ${path}: run db:migrate first`);
      const inserted = seedDemoProducts(db());
      log(inserted > 0 ? `seeded ${inserted} demo products` : "catalog not empty: nothing seeded");
    },
  },
  backup: {
    usage: "backup [file]",
    summary: "consistent online backup, safe while the store serves",
    run({ positionals: [target] }, { config, log }) {
      const source = config().DATABASE_PATH;
      const result = backupDatabase(source, target ?? defaultBackupPath(source));
      log(
        `backup written to ${result.path} (${(result.bytes / 1024).toFixed(0)} KiB, ${result.ms.toFixed(0)} ms), integrity ok`,
      );
    },
  },
  restore: {
    usage: "restore <file>",
    summary: "put a backup in place of the database (server stopped)",
    run({ positionals: [file] }, { config, log }) {
      if (!file) throw new UsageError("restore needs the backup file to restore");
      const { replaced } = restoreDatabase(file, config().DATABASE_PATH);
      if (replaced) log(`previous database kept at ${replaced}`);
      log(`restored ${file}; pending migrations (if any) apply on the next start or db:migrate`);
    },
  },
  "backfill-skus": {
    usage: "backfill-skus [--batch-size 2000] [--pause-ms 10]",
    summary: "give products without a SKU one, in small batches, while the store runs",
    options: { "batch-size": { type: "string", default: "2000" }, "pause-ms": { type: "string", default: "10" } },
    run({ values }, { config, db, log }) {
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
          log(`backfill-skus: ids up to ${batch.toId} done`);
        },
      });
      const longest = Math.max(0, ...result.lockMs);
      log(
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
      return inventoryCommand(positionals, { note: text(values.note) }, context);
    },
  },
  images: {
    usage: "images variants | images prune [--days <n>] [--dry-run]",
    summary: "make the variants of images uploaded before they existed; delete images no product uses, untouched for --days (7)",
    options: { days: { type: "string", default: "7" }, "dry-run": { type: "boolean" } },
    async run({ positionals, values }, context) {
      const { imagesCommand } = await import("#app/cli/staff-cli.server.ts");
      return imagesCommand(positionals, { days: wholeNumber(values.days, "days", 0), dryRun: values["dry-run"] === true }, context);
    },
  },
  // Off-site replication with Litestream (docs/operations.md#off-site-replication).
  // Loaded only when run, like staff and inventory.
  replica: {
    usage: "replica config|drill [--max-lag <seconds>]",
    summary: "config: check the LITESTREAM_* settings, print Litestream's file; drill: restore the replica and compare",
    options: { "max-lag": { type: "string", default: "60" } },
    async run({ positionals: [action], values }, context) {
      const { replicaCommand } = await import("#app/cli/replica-cli.server.ts");
      replicaCommand(action, { maxLagSeconds: wholeNumber(values["max-lag"], "max-lag", 0) }, context);
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
    async run({ positionals: [action], values }, { config, db, log }) {
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
        log(`payments prune: ${deleted} webhook rows older than ${keepEventsDays} days deleted`);
        return;
      }
      if (action !== "sweep") throw new UsageError('payments needs "sweep" or "prune"');
      const { onlinePayments } = await import("#app/store/payments.server.ts");
      const { sweepHolds } = await import("#app/store/holds.server.ts");
      const report = await sweepHolds(db(), await onlinePayments(config()), { keepEventsDays });
      log(
        `payments sweep: ${report.cancelled} cancelled, ${report.paid} paid, ${report.waiting} still waiting, ${report.unreachable} not checked (provider unreachable or not configured), ${report.pruned} old webhook rows deleted`,
      );
      if (report.unreachable > 0) return 1;
    },
  },
  lint: {
    usage: "lint [migrations folder]",
    summary: "check drizzle/ for migrations that would fail or lose data",
    run({ positionals: [folder = MIGRATIONS_FOLDER] }, { log, error }) {
      const findings = lintMigrations(folder);
      for (const finding of findings) error(formatFinding(finding));
      const count = readdirSync(folder).filter((f) => f.endsWith(".sql")).length;
      if (findings.length > 0) {
        error(`db:lint: ${findings.length} problem${findings.length === 1 ? "" : "s"} in ${count} migrations`);
        return 1;
      }
      log(`db:lint: ${count} migrations, no problems`);
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

/**
 * Runs one command line (argv without node and the script) and resolves to
 * its exit code: 0, 1 when the command failed or found a problem, 2 for a
 * usage mistake. The messages are the same whoever calls it.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const log = (line: string) => void io.stdout.write(`${line}\n`);
  const error = (line: string) => void io.stderr.write(`${line}\n`);
  const [name = "", ...rest] = argv;
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    error(name ? `unknown command "${name}"\n\n${usage()}` : usage());
    return 2;
  }
  let config: Env | undefined;
  let db: AppDatabase | undefined;
  const context: CliContext = {
    config: () => (config ??= parseEnv(io.env)),
    db: () => (db ??= openDatabase(context.config().DATABASE_PATH)),
    log,
    error,
    io,
  };
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true });
    } catch (error) {
      // parseArgs explains the mistake ("Unknown option '--x'") in its message.
      throw new UsageError((error as Error).message);
    }
    const code = await command.run({ positionals: parsed.positionals, values: parsed.values as Record<string, string | boolean | undefined> }, context);
    return code ?? 0;
  } catch (failure) {
    error(`${name} failed: ${errorMessage(failure)}`);
    if (failure instanceof UsageError) error(`usage: node app/cli/cli.ts ${command.usage}`);
    return failure instanceof UsageError ? 2 : 1;
  } finally {
    if (db) closeDatabase(db);
  }
}

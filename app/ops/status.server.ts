// `npm run db:status`: which migrations the database at DATABASE_PATH has,
// and which are still to come. Needs only drizzle-orm and better-sqlite3
// (production dependencies), so it works in the production image.
import { existsSync } from "node:fs";
import { relative } from "node:path";
import Database from "better-sqlite3";
import { migrationState, readMigrations, type Migration } from "#app/db/migrator.server.ts";

export type MigrationStatus = {
  text: string;
  /** Things that need a person: edited applied files, unknown rows, refused files. */
  problems: string[];
  applied: string[];
  pending: string[];
};

const time = (ms: number) => `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;

/** The outbox's numbers, when it exists (0013_add_outbox applied). */
function outboxLines(sqlite: Database.Database, mailConfigured: boolean): string[] {
  const table = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox_messages'").get();
  if (!table) return [];
  const { queued, failed } = sqlite
    .prepare(
      "SELECT count(*) FILTER (WHERE status = 'queued') AS queued, count(*) FILTER (WHERE status = 'failed') AS failed FROM outbox_messages",
    )
    .get() as { queued: number; failed: number };
  const lines = [`email: ${queued} queued, ${failed} failed (staff can send failed ones again from the dashboard).`];
  if (!mailConfigured && queued > 0) {
    lines.push("email: SMTP_URL is not set, so these stay queued until it is and the store restarts (docs/email.md).");
  }
  return lines;
}

export function migrationStatus(databasePath: string, migrationsFolder: string, options: { mailConfigured?: boolean } = {}): MigrationStatus {
  const migrations = readMigrations(migrationsFolder);
  const width = Math.max(0, ...migrations.map((m) => m.tag.length));
  const row = (status: string, m: Migration, note = "") =>
    `  ${status.padEnd(8)} ${m.tag.padEnd(width)}  ${time(m.when)}${note ? `  ${note}` : ""}`;
  const lines = [
    `database:   ${databasePath}`,
    `migrations: ${relative(process.cwd(), migrationsFolder) || "."} (${migrations.length} files)`,
    "",
    `  ${"status".padEnd(8)} ${"migration".padEnd(width)}  generated`,
  ];

  if (!existsSync(databasePath)) {
    lines.push(...migrations.map((m) => row("pending", m)), "");
    lines.push(`No database yet: the server's first start (or npm run db:migrate) creates it and applies all ${migrations.length}.`);
    return { text: lines.join("\n"), problems: [], applied: [], pending: migrations.map((m) => m.tag) };
  }

  // Read-write but only reading: a read-only connection would leave empty
  // -wal/-shm files behind when it closes.
  const sqlite = new Database(databasePath, { fileMustExist: true });
  let state: ReturnType<typeof migrationState>;
  let mail: string[];
  try {
    state = migrationState(sqlite, migrationsFolder);
    mail = outboxLines(sqlite, options.mailConfigured ?? true);
  } finally {
    sqlite.close();
  }
  const problems: string[] = [];
  const stale = new Set(state.stale.map((m) => m.tag));
  const applied = new Set(state.applied.map((m) => m.tag));
  for (const m of migrations) {
    if (applied.has(m.tag)) {
      const edited = state.applied.find((a) => a.tag === m.tag)!.modified;
      lines.push(row("applied", m, edited ? "FILE CHANGED since it was applied" : ""));
      if (edited) {
        problems.push(
          `${m.tag} was applied, then its file changed. The database has the old version; the change will never run. ` +
            "Put the file back as it was and make the change in a new migration.",
        );
      }
    } else if (stale.has(m.tag)) {
      lines.push(row("pending", m, "OLDER than an applied migration: the runner refuses it"));
      problems.push(`${m.tag} is pending but older than an applied migration (merged branch?): regenerate it so it comes last.`);
    } else {
      lines.push(row("pending", m));
    }
  }
  for (const u of state.unknown) {
    lines.push(`  applied  (no file)${" ".repeat(Math.max(1, width - 8))}  ${time(u.when)}  hash ${u.hash.slice(0, 12)}…`);
    problems.push(
      `the database has a migration from ${time(u.when)} that no file here matches: it was migrated by newer code ` +
        "than this (an older image or checkout?).",
    );
  }
  lines.push(
    "",
    `${state.applied.length} applied, ${state.pending.length} pending.`,
    ...mail,
    "Times are each migration's journal timestamp (when drizzle-kit generated it): __drizzle_migrations stores",
    "that as created_at and nothing records when a migration ran; the server logs that as it applies one.",
    ...problems.map((p) => `problem: ${p}`),
  );
  return { text: lines.join("\n"), problems, applied: state.applied.map((m) => m.tag), pending: state.pending.map((m) => m.tag) };
}

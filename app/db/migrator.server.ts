import type Database from "better-sqlite3";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { isBusy } from "#app/db/connection.server.ts";
import { errorMessage, KnownError } from "#app/core/errors.ts";
import { projectRoot } from "#app/core/paths.server.ts";

// The project's migration runner. It applies the SQL files drizzle-kit
// generates in ./drizzle and records them in __drizzle_migrations exactly as
// drizzle-orm's migrate() does (same table, same hash, same created_at), so
// drizzle-kit and this runner agree on what is applied. It exists because
// migrate() alone is not safe in production (see docs/decisions/002-own-migration-runner.md):
//
// 1. Concurrency: migrate() reads the last applied migration *before* its
//    plain BEGIN, so two processes starting together can both apply the same
//    file. Here the write lock is taken first (BEGIN IMMEDIATE) and what is
//    applied is read again under it: one runner applies, the others wait,
//    then find nothing left to do.
// 2. Table rebuilds: `PRAGMA foreign_keys=OFF` is a no-op inside a
//    transaction, so drizzle-kit's rebuild (DROP TABLE + RENAME) fails on a
//    foreign key or cascades deletes into child tables. Here, when a pending
//    migration asks for it (drizzle-kit writes it exactly when it rebuilds),
//    foreign keys go off on the connection before BEGIN and
//    `PRAGMA foreign_key_check` must come back empty before COMMIT. Otherwise
//    they stay on: no whole-database scan holding the lock (docs/tutorial).
// 3. Silent skips: migrate() skips a file whose timestamp is older than the
//    last applied one (a merged branch). Here that is an error.
//
// Every pending migration runs in one transaction: if any statement fails,
// the database is left exactly as it was.

export const MIGRATIONS_TABLE = "__drizzle_migrations";

/** ./drizzle at the project root (or /app/drizzle in the image). */
export const MIGRATIONS_FOLDER = join(projectRoot(), "drizzle");

export type Migration = {
  /** File name without .sql, e.g. 0002_add_sku_to_products. */
  tag: string;
  /** The journal's `when` (ms); stored as created_at once applied. */
  when: number;
  /** sha256 of the file, as drizzle-orm computes it. */
  hash: string;
  /** The file split on `--> statement-breakpoint`. */
  statements: string[];
};

export type MigrationState = {
  applied: (Migration & { appliedAt: Date; modified: boolean })[];
  pending: Migration[];
  /**
   * Pending migrations older than the newest applied one (a merged branch).
   * drizzle-orm's migrate() skips these without a word; this runner refuses.
   */
  stale: Migration[];
  /** Rows in __drizzle_migrations that no file in the folder matches. */
  unknown: { hash: string; when: number }[];
};

export type MigrationResult = {
  applied: { tag: string; ms: number }[];
  ms: number;
};

export class MigrationError extends KnownError {
  override name = "MigrationError";
  readonly migration: string | undefined;
  constructor(message: string, options?: { migration?: string; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.migration = options?.migration;
  }
}

export type JournalEntry = { idx: number; when: number; tag: string; version: string; breakpoints: boolean };
export type Journal = { version: string; dialect: string; entries: JournalEntry[] };

/** drizzle-kit's list of migrations, in order: <folder>/meta/_journal.json. */
export function journalPath(migrationsFolder: string) {
  return join(migrationsFolder, "meta", "_journal.json");
}

/** The journal, and its text. Throws what readFileSync or JSON.parse throw. */
export function readJournal(migrationsFolder: string): { text: string; journal: Journal } {
  const text = readFileSync(journalPath(migrationsFolder), "utf8");
  return { text, journal: JSON.parse(text) as Journal };
}

/** Reads the journal and the SQL files it lists, in order. */
export function readMigrations(migrationsFolder: string): Migration[] {
  let entries: JournalEntry[];
  let files: ReturnType<typeof readMigrationFiles>;
  try {
    entries = readJournal(migrationsFolder).journal.entries;
    files = readMigrationFiles({ migrationsFolder });
  } catch (error) {
    throw new MigrationError(`cannot read migrations in ${migrationsFolder}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  return entries.map((entry, i) => ({
    tag: entry.tag,
    when: entry.when,
    hash: files[i]!.hash,
    statements: files[i]!.sql,
  }));
}

type AppliedRow = { hash: string; created_at: number };

function appliedRows(sqlite: Database.Database): AppliedRow[] {
  const table = sqlite
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
    .get(MIGRATIONS_TABLE);
  if (!table) return [];
  return sqlite
    .prepare(`SELECT hash, CAST(created_at AS INTEGER) AS created_at FROM "${MIGRATIONS_TABLE}"`)
    .all() as AppliedRow[];
}

function stateOf(rows: AppliedRow[], migrations: Migration[]): MigrationState {
  const byWhen = new Map(rows.map((row) => [row.created_at, row]));
  const known = new Set(migrations.map((m) => m.when));
  const state: MigrationState = { applied: [], pending: [], stale: [], unknown: [] };
  for (const m of migrations) {
    const row = byWhen.get(m.when);
    if (row) {
      state.applied.push({
        ...m,
        // created_at is the file's timestamp, not when it ran; drizzle keeps
        // nothing else, so this is the best "applied" time there is.
        appliedAt: new Date(row.created_at),
        modified: row.hash !== m.hash,
      });
    } else {
      state.pending.push(m);
    }
  }
  for (const row of rows) {
    if (!known.has(row.created_at)) state.unknown.push({ hash: row.hash, when: row.created_at });
  }
  const newestApplied = Math.max(0, ...state.applied.map((m) => m.when));
  state.stale = state.pending.filter((m) => m.when < newestApplied);
  return state;
}

/** What is applied and what is pending, without taking any lock. */
export function migrationState(sqlite: Database.Database, migrationsFolder: string): MigrationState {
  return stateOf(appliedRows(sqlite), readMigrations(migrationsFolder));
}

export type MigrateOptions = {
  migrationsFolder: string;
  /** How long to wait for another writer (usually another runner) to finish. */
  lockTimeoutMs?: number;
  /** Apply pending migrations up to and including this tag only. */
  to?: string;
  /**
   * Called under the write lock, after pending migrations are known and before
   * any is applied: the database is exactly as it was before this run.
   */
  beforeApply?: (pending: Migration[], state: MigrationState) => void;
};

/** Applies pending migrations under SQLite's write lock. Throws MigrationError. */
export function migrate(sqlite: Database.Database, options: MigrateOptions): MigrationResult {
  const started = performance.now();
  const migrations = readMigrations(options.migrationsFolder);
  const selected = selectUpTo(migrations, options.to);

  // Fast path, no lock: nothing to do is the common case on every restart.
  const pendingNow = pendingOf(stateOf(appliedRows(sqlite), selected));
  if (pendingNow.length === 0) {
    return { applied: [], ms: performance.now() - started };
  }

  const foreignKeys = sqlite.pragma("foreign_keys", { simple: true }) as number;
  // Decided before the lock from what is pending now; under the lock the
  // pending list can only shrink (another runner finished), never grow.
  const foreignKeysOff = pendingNow.some(asksForForeignKeysOff);
  // Whenever SQLite did not check each statement, check everything at the end.
  const checkForeignKeys = foreignKeysOff || !foreignKeys;
  const busyTimeout = sqlite.pragma("busy_timeout", { simple: true }) as number;
  const applied: MigrationResult["applied"] = [];
  let current: string | undefined;
  // Must be set outside a transaction to have any effect (see header).
  if (foreignKeysOff) sqlite.pragma("foreign_keys = OFF");
  sqlite.pragma(`busy_timeout = ${Math.trunc(options.lockTimeoutMs ?? 30_000)}`);
  try {
    try {
      sqlite.prepare("BEGIN IMMEDIATE").run();
    } catch (error) {
      if (isBusy(error)) {
        throw new MigrationError(
          `timed out after ${options.lockTimeoutMs ?? 30_000} ms waiting for the database write lock ` +
            "(another process is migrating or holding a long write); nothing was applied",
          { cause: error },
        );
      }
      throw error;
    }
    try {
      sqlite
        .prepare(
          `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
        )
        .run();
      // Read again under the lock: another runner may have finished meanwhile.
      const state = stateOf(appliedRows(sqlite), selected);
      const pending = pendingOf(state);
      if (pending.length > 0) options.beforeApply?.(pending, state);
      const record = sqlite.prepare(
        `INSERT INTO "${MIGRATIONS_TABLE}" ("hash", "created_at") VALUES (?, ?)`,
      );
      for (const m of pending) {
        current = m.tag;
        const t0 = performance.now();
        for (const statement of m.statements) sqlite.prepare(statement).run();
        record.run(m.hash, m.when);
        applied.push({ tag: m.tag, ms: performance.now() - t0 });
      }
      current = undefined;
      const violations = (checkForeignKeys ? sqlite.pragma("foreign_key_check") : []) as { table: string; parent: string }[];
      if (violations.length > 0) {
        const first = violations[0]!;
        throw new MigrationError(
          `foreign key check failed after migrating: ${violations.length} row(s) in ` +
            `${first.table} point at missing rows in ${first.parent}; rolled back`,
          { migration: applied.at(-1)?.tag },
        );
      }
      sqlite.prepare("COMMIT").run();
    } catch (error) {
      if (sqlite.inTransaction) sqlite.prepare("ROLLBACK").run();
      if (error instanceof MigrationError) throw error;
      throw new MigrationError(
        current ? `${current} failed: ${errorMessage(error)}; rolled back, nothing was applied` : errorMessage(error),
        { migration: current, cause: error },
      );
    }
  } finally {
    sqlite.pragma(`foreign_keys = ${foreignKeys ? "ON" : "OFF"}`);
    sqlite.pragma(`busy_timeout = ${busyTimeout}`);
  }
  return { applied, ms: performance.now() - started };
}

function asksForForeignKeysOff(m: Migration): boolean {
  return m.statements.some((statement) => /^\s*PRAGMA\s+foreign_keys\s*=\s*(OFF|0|false|no)\b/im.test(statement));
}

function selectUpTo(migrations: Migration[], to: string | undefined): Migration[] {
  if (to === undefined) return migrations;
  const index = migrations.findIndex((m) => m.tag === to);
  if (index === -1) throw new MigrationError(`no migration named ${to}`);
  return migrations.slice(0, index + 1);
}

/** Pending migrations, refusing any that is older than an applied one. */
function pendingOf(state: MigrationState): Migration[] {
  const stale = state.stale[0];
  if (stale) {
    throw new MigrationError(
      `${stale.tag} is pending but older than the newest applied migration; drizzle-orm's ` +
        "migrate() would skip it silently. Regenerate it so it sorts last (see docs/tutorial)",
      { migration: stale.tag },
    );
  }
  return state.pending;
}

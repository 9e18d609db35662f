// Checks the migrations in drizzle/ for the traps docs/tutorial teaches,
// before they reach a database with data in it:
//
//   npm run db:lint [-- <migrations folder>]   (node app/cli/cli.ts lint)
//
// Prints `file:line: rule: explanation` for each problem and exits 1 if there
// is any. Part of `npm test`. Two kinds of check:
// - reading the SQL: ADD COLUMN NOT NULL without a default, DROP TABLE and
//   DROP COLUMN without an acknowledgement, table rebuilds (acknowledged, and
//   with drizzle-kit's PRAGMA foreign_keys=OFF, which tells the runner to turn
//   foreign keys off), other PRAGMAs, parts of a file with no statement, and a
//   journal whose timestamps go backwards;
// - replaying every migration on an empty in-memory database, which knows
//   what SQL alone cannot: which tables reference a rebuilt table, which
//   triggers and indexes a rebuild lost, whether it reset an AUTOINCREMENT
//   counter, and whether a statement fails outright.
//
// A destructive statement passes once its author has reviewed it and says so
// in the file, with a reason:
//   -- reviewed rebuild <table>: <why it is safe>
//   -- reviewed drop-table <table>: <why nothing is lost>
//   -- reviewed drop-column <table>.<column>: <why nothing is lost>
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import Database from "better-sqlite3";

import { journalPath, readJournal, type JournalEntry } from "#app/db/migrator.server.ts";
import { errorMessage } from "#app/core/errors.ts";

export type Finding = { file: string; line: number; rule: string; message: string };

const BREAKPOINT = "--> statement-breakpoint";
const NAME = "(`[^`]+`|\"[^\"]+\"|\\[[^\\]]+\\]|[\\w$]+)";
const ACK = /^\s*--\s*reviewed\s+(rebuild|drop-table|drop-column)\s+([^\s:]+)\s*:(.*)$/i;
// Far above any id a test database reaches, so a reset counter is obvious.
const COUNTER_MARK = 987_654_321;

const unquote = (name: string) => name.replace(/^[`"[]|[`"\]]$/g, "");

/**
 * The file with comments blanked out and string contents replaced by spaces
 * (quotes kept), same length and same line breaks: patterns can be matched on
 * it without tripping over comments or strings, and offsets still map to
 * lines of the real file.
 */
export function maskSql(text: string): string {
  let out = "";
  let i = 0;
  const blank = (s: string) => s.replace(/[^\n]/g, " ");
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === "-" && next === "-") {
      const end = text.indexOf("\n", i);
      const stop = end === -1 ? text.length : end;
      out += blank(text.slice(i, stop));
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end === -1 ? text.length : end + 2;
      out += blank(text.slice(i, stop));
      i = stop;
    } else if (c === "'") {
      let j = i + 1;
      while (j < text.length && !(text[j] === "'" && text[j + 1] !== "'")) j += text[j] === "'" ? 2 : 1;
      out += `'${blank(text.slice(i + 1, j))}${j < text.length ? "'" : ""}`;
      i = j + 1;
    } else if (c === "`" || c === '"' || c === "[") {
      const close = c === "[" ? "]" : c;
      const end = text.indexOf(close, i + 1);
      const stop = end === -1 ? text.length : end + 1;
      out += text.slice(i, stop);
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const lineAt = (text: string, offset: number) => text.slice(0, offset).split("\n").length;

type Chunk = { sql: string; line: number; empty: boolean };

/** The file split the way drizzle-orm's migrator splits it, with line numbers. */
function chunksOf(text: string): Chunk[] {
  const chunks: Chunk[] = [];
  let offset = 0;
  for (const sql of text.split(BREAKPOINT)) {
    const masked = maskSql(sql);
    const first = masked.search(/\S/);
    chunks.push({ sql, line: lineAt(text, offset + (first === -1 ? 0 : first)), empty: first === -1 });
    offset += sql.length + BREAKPOINT.length;
  }
  return chunks;
}

type SchemaObjects = {
  tables: Set<string>;
  /** trigger or index name → its table; indexes SQLite makes itself are left out. */
  attached: Map<string, { type: "trigger" | "index"; table: string }>;
  autoincrement: string[];
  /** table → "child.column" of every foreign key pointing at it. */
  referencedBy: Map<string, string[]>;
};

function schemaObjects(db: Database.Database): SchemaObjects {
  const rows = db
    .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
    .all() as { type: string; name: string; tbl_name: string; sql: string | null }[];
  const objects: SchemaObjects = { tables: new Set(), attached: new Map(), autoincrement: [], referencedBy: new Map() };
  for (const row of rows) {
    if (row.type === "table") {
      objects.tables.add(row.name);
      if (/\bAUTOINCREMENT\b/i.test(row.sql ?? "")) objects.autoincrement.push(row.name);
      if (row.sql?.startsWith("CREATE VIRTUAL TABLE")) continue;
      const keys = db.pragma(`foreign_key_list("${row.name}")`) as { table: string; from: string }[];
      for (const key of keys) {
        if (key.table === row.name) continue;
        objects.referencedBy.set(key.table, [...(objects.referencedBy.get(key.table) ?? []), `${row.name}.${key.from}`]);
      }
    } else if ((row.type === "trigger" || row.type === "index") && row.sql) {
      objects.attached.set(row.name, { type: row.type, table: row.tbl_name });
    }
  }
  return objects;
}

function checkJournal(folder: string, display: (path: string) => string, findings: Finding[]) {
  const path = journalPath(folder);
  let text: string;
  let entries: JournalEntry[];
  try {
    ({ text, journal: { entries } } = readJournal(folder));
  } catch (error) {
    findings.push({ file: display(path), line: 1, rule: "journal", message: `cannot read the journal: ${errorMessage(error)}` });
    return [];
  }
  // drizzle-kit writes one "when" per entry, in order: the n-th is entry n's.
  const whenLines = text.split("\n").flatMap((line, i) => (/"when"\s*:/.test(line) ? [i + 1] : []));
  const seenNumbers = new Map<string, string>();
  entries.forEach((entry, i) => {
    const line = whenLines[i] ?? 1;
    const previous = entries[i - 1];
    if (previous && !(entry.when > previous.when)) {
      findings.push({
        file: display(path),
        line,
        rule: "journal-order",
        message:
          `${entry.tag} has "when" ${entry.when}, not after ${previous.tag} (${previous.when}). drizzle-orm's ` +
          `migrate() only applies migrations newer than the last one applied, so a database that already has ` +
          `${previous.tag} would skip ${entry.tag} without a word (the usual result of merging two branches ` +
          "that each generated a migration). Delete this migration's file, snapshot and journal entry and " +
          "generate it again on top of the merged folder.",
      });
    }
    const number = entry.tag.slice(0, 4);
    const twin = seenNumbers.get(number);
    if (twin) {
      findings.push({
        file: display(path),
        line,
        rule: "journal-order",
        message: `${entry.tag} and ${twin} share the number ${number}: two branches generated migrations independently. Regenerate the later one on top of the merged folder.`,
      });
    }
    seenNumbers.set(number, entry.tag);
  });
  const tags = new Set(entries.map((e) => e.tag));
  for (const file of readdirSync(folder).filter((f) => f.endsWith(".sql")).sort()) {
    if (!tags.has(file.slice(0, -4))) {
      findings.push({
        file: display(join(folder, file)),
        line: 1,
        rule: "journal-file",
        message: "not listed in meta/_journal.json, so no migrator will ever apply it. Create migrations with `npm run db:generate` (use --custom for hand-written SQL).",
      });
    }
  }
  return entries;
}

type Rebuild = { table: string; line: number };

export function lintMigrations(folder: string, options: { displayRoot?: string } = {}): Finding[] {
  const root = options.displayRoot ?? process.cwd();
  const display = (path: string) => relative(root, resolve(path)) || path;
  const findings: Finding[] = [];
  const entries = checkJournal(folder, display, findings);

  const replay = new Database(":memory:");
  // As the project's runner does: a rebuild's DROP TABLE must not cascade.
  replay.pragma("foreign_keys = OFF");
  let replayBroken = false;

  for (const entry of entries) {
    const path = join(folder, `${entry.tag}.sql`);
    const file = display(path);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      findings.push({ file: display(journalPath(folder)), line: 1, rule: "journal-file", message: `${entry.tag} is in the journal but ${file} does not exist.` });
      continue;
    }
    const masked = maskSql(text);
    const add = (offset: number, rule: string, message: string) =>
      findings.push({ file, line: lineAt(text, offset), rule, message });
    const chunks = chunksOf(text);

    for (const chunk of chunks) {
      if (!chunk.empty) continue;
      findings.push({
        file,
        line: chunk.line,
        rule: "no-statements",
        message:
          "this part of the file (between `--> statement-breakpoint` markers, or the whole file) has no SQL statement. " +
          "The migrator runs each part as one statement and fails: \"The supplied SQL string contains no statements\". " +
          "Causes: an untouched --custom file, SQL appended to its comment line (the file has no final newline), a trailing breakpoint.",
      });
    }

    // Acknowledgements, and which of them something in the file uses.
    const acks = new Map<string, { line: number; used: boolean }>();
    text.split("\n").forEach((lineText, i) => {
      const match = ACK.exec(lineText);
      if (!match) return;
      const key = `${match[1]!.toLowerCase()} ${match[2]}`;
      acks.set(key, { line: i + 1, used: false });
      if (match[3]!.trim().length < 10) {
        findings.push({ file, line: i + 1, rule: "acknowledgement", message: `"-- reviewed ${key}:" needs a reason after the colon: say why it is safe.` });
      }
    });
    const acknowledged = (key: string) => {
      const ack = acks.get(key);
      if (ack) ack.used = true;
      return Boolean(ack);
    };

    // Rebuilds: DROP TABLE x together with ALTER TABLE __new_x RENAME TO x.
    const renamed = new Set<string>();
    for (const m of masked.matchAll(new RegExp(`\\bALTER\\s+TABLE\\s+${NAME}\\s+RENAME\\s+TO\\s+${NAME}`, "gi"))) {
      const from = unquote(m[1]!);
      const to = unquote(m[2]!);
      if (from === `__new_${to}`) renamed.add(to);
    }
    const rebuilds: Rebuild[] = [];
    for (const m of masked.matchAll(new RegExp(`\\bDROP\\s+TABLE\\s+(?:IF\\s+EXISTS\\s+)?${NAME}`, "gi"))) {
      const table = unquote(m[1]!);
      if (renamed.has(table)) {
        rebuilds.push({ table, line: lineAt(text, m.index) });
      } else if (!acknowledged(`drop-table ${table}`)) {
        add(
          m.index,
          "drop-table",
          `DROP TABLE ${table} deletes the table and every row in it. If that is the intent, say so in this file: ` +
            `-- reviewed drop-table ${table}: <why nothing is lost>`,
        );
      }
    }
    for (const m of masked.matchAll(new RegExp(`\\bALTER\\s+TABLE\\s+${NAME}\\s+DROP\\s+(?:COLUMN\\s+)?${NAME}`, "gi"))) {
      const target = `${unquote(m[1]!)}.${unquote(m[2]!)}`;
      if (acknowledged(`drop-column ${target}`)) continue;
      add(
        m.index,
        "drop-column",
        `DROP COLUMN ${target} deletes that column's data for good. If that is the intent, say so in this file: ` +
          `-- reviewed drop-column ${target}: <why nothing is lost>`,
      );
    }

    for (const m of masked.matchAll(new RegExp(`\\bALTER\\s+TABLE\\s+${NAME}\\s+ADD\\s+(?:COLUMN\\s+)?${NAME}([^;]*)`, "gi"))) {
      const column = `${unquote(m[1]!)}.${unquote(m[2]!)}`;
      const definition = m[3]!;
      const defaultValue = /\bDEFAULT\s+(\(|CURRENT_TIME\b|CURRENT_DATE\b|CURRENT_TIMESTAMP\b|NULL\b)?/i.exec(definition);
      if (/\bNOT\s+NULL\b/i.test(definition) && (!defaultValue || /^NULL$/i.test(defaultValue[1] ?? ""))) {
        add(
          m.index,
          "not-null-without-default",
          `ADD COLUMN ${column} NOT NULL without a DEFAULT: SQLite refuses it on a table that has rows ` +
            '("Cannot add a NOT NULL column with default value NULL"), though it works on an empty development ' +
            "database. Add the column with a default (phase 1), backfill it, then tighten it in a later migration (docs/tutorial).",
        );
      } else if (defaultValue?.[1] && !/^NULL$/i.test(defaultValue[1])) {
        add(
          m.index,
          "non-constant-default",
          `ADD COLUMN ${column} with a non-constant DEFAULT: SQLite refuses it on a table that has rows ` +
            '("Cannot add a column with non-constant default"). Add the column with a constant default or none, ' +
            "backfill it, then change the default in a later migration.",
        );
      }
    }

    for (const m of masked.matchAll(/\bPRAGMA\s+(?:[\w$]+\.)?([\w$]+)/gi)) {
      const name = m[1]!.toLowerCase();
      // The PRAGMA foreign_keys=OFF/ON around drizzle-kit's rebuild: part of
      // the rebuild finding below (it does nothing inside the transaction).
      if (name === "foreign_keys" && rebuilds.length > 0) continue;
      add(
        m.index,
        "pragma",
        `PRAGMA ${name} in a migration: migrations run inside a transaction, where settings such as journal_mode ` +
          "and foreign_keys cannot change (the statement silently does nothing), and a setting that does change " +
          "stays on the server's connection afterwards. Connection settings belong in app/db/connection.server.ts.",
      );
    }

    // Replay on the empty database, learning what the SQL text cannot say.
    const before = replayBroken ? undefined : schemaObjects(replay);
    if (before && !replayBroken) {
      // sqlite_sequence exists once any AUTOINCREMENT table does.
      for (const table of before.autoincrement) {
        replay.prepare("DELETE FROM sqlite_sequence WHERE name = ?").run(table);
        replay.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)").run(table, COUNTER_MARK);
      }
      replay.prepare("BEGIN").run();
      for (const chunk of chunks) {
        if (chunk.empty) continue;
        try {
          replay.prepare(chunk.sql).run();
        } catch (error) {
          findings.push({
            file,
            line: chunk.line,
            rule: "fails",
            message: `fails even on an empty database: ${errorMessage(error)}. (Later migrations were not replayed.)`,
          });
          replayBroken = true;
          break;
        }
      }
      replay.prepare(replayBroken ? "ROLLBACK" : "COMMIT").run();
    }
    const after = replayBroken ? undefined : schemaObjects(replay);

    const asksForForeignKeysOff = /^\s*PRAGMA\s+foreign_keys\s*=\s*(OFF|0|false|no)\b/im.test(masked);
    for (const rebuild of rebuilds) {
      const refs = before?.referencedBy.get(rebuild.table) ?? [];
      if (!asksForForeignKeysOff) {
        findings.push({
          file,
          line: rebuild.line,
          rule: "rebuild-foreign-keys",
          message:
            `table rebuild of ${rebuild.table} without PRAGMA foreign_keys=OFF in the file. The project's runner turns ` +
            "foreign keys off for a run only when a migration asks with that line (drizzle-kit writes it for every " +
            "rebuild); without it the DROP TABLE runs with foreign keys on and fails, or deletes referencing rows. " +
            "Keep drizzle-kit's PRAGMA foreign_keys=OFF.",
        });
      }
      if (!acknowledged(`rebuild ${rebuild.table}`)) {
        const what = `table rebuild of ${rebuild.table} (create __new_${rebuild.table}, copy, DROP TABLE, rename)`;
        const review =
          "Review the copy (it has no COALESCE: a NULL in a column that becomes NOT NULL aborts it), then acknowledge: " +
          `-- reviewed rebuild ${rebuild.table}: <why it is safe>`;
        findings.push({
          file,
          line: rebuild.line,
          rule: refs.length > 0 ? "rebuild-referenced-table" : "rebuild",
          message:
            refs.length > 0
              ? `${what}, and ${refs.join(", ")} reference${refs.length === 1 ? "s" : ""} ${rebuild.table}. Inside a ` +
                "migration's transaction PRAGMA foreign_keys=OFF does nothing, so drizzle-orm's migrate() fails on the " +
                "DROP TABLE, or with ON DELETE CASCADE / SET NULL changes the referencing rows while reporting success. " +
                `Apply it only with the project's runner (app/db/migrator.server.ts). ${review}`
              : `${what}. ${review}`,
        });
      }
    }

    if (before && after) {
      const rebuildLine = (table: string) => rebuilds.find((r) => r.table === table)?.line ?? 1;
      const lost = new Map<string, { type: string; table: string; names: string[] }>();
      for (const [name, { type, table }] of before.attached) {
        if (after.attached.has(name) || !after.tables.has(table)) continue;
        if (new RegExp(`\\bDROP\\s+${type}\\s+(?:IF\\s+EXISTS\\s+)?[\`"[]?${name}\\b`, "i").test(masked)) continue;
        const group = lost.get(`${type} ${table}`) ?? { type, table, names: [] };
        group.names.push(name);
        lost.set(`${type} ${table}`, group);
      }
      for (const { type, table, names } of lost.values()) {
        findings.push({
          file,
          line: rebuildLine(table),
          rule: `lost-${type}`,
          message:
            `${type}${names.length > 1 ? "s" : ""} ${names.join(", ")} on ${table} exist${names.length > 1 ? "" : "s"} before ` +
            `this migration and not after: DROP TABLE ${table} removed ${names.length > 1 ? "them" : "it"} (drizzle-kit ` +
            "does not know about objects written in custom SQL). Recreate them after the rename, in this file, or " +
            `DROP ${type.toUpperCase()} them explicitly if that is the intent.`,
        });
      }
      const counters = new Map(
        before.autoincrement.length === 0
          ? []
          : (replay.prepare("SELECT name, seq FROM sqlite_sequence").all() as { name: string; seq: number }[]).map((r) => [r.name, r.seq]),
      );
      for (const table of before.autoincrement) {
        if (!after.tables.has(table) || (counters.get(table) ?? 0) >= COUNTER_MARK) continue;
        findings.push({
          file,
          line: rebuildLine(table),
          rule: "autoincrement-reset",
          message:
            `this resets the AUTOINCREMENT counter of ${table} to the highest id copied, so the ids of deleted rows would ` +
            `be handed out again. Right after the copy, move the old counter to the new table: DELETE FROM ` +
            `sqlite_sequence WHERE name = '__new_${table}'; UPDATE sqlite_sequence SET name = '__new_${table}' WHERE name = '${table}';`,
        });
      }
    }

    for (const [key, ack] of acks) {
      if (ack.used) continue;
      findings.push({
        file,
        line: ack.line,
        rule: "acknowledgement",
        message: `"-- reviewed ${key}" but this file has no such statement: remove the stale acknowledgement.`,
      });
    }
  }
  replay.close();
  return findings.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
}

export function formatFinding(f: Finding): string {
  return `${f.file}:${f.line}: ${f.rule}: ${f.message}`;
}

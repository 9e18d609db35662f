import { createHash } from "node:crypto";
import { cpSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { journalPath, MIGRATIONS_FOLDER, readJournal } from "#app/db/migrator.server.ts";
import { tempDir } from "#tests/helpers/db.ts";

/**
 * Adds a migration at the end of the migrations folder `folder`, as the next
 * release would carry it: the file plus a journal entry dated after the last.
 * Returns a function that takes it out again.
 */
export function appendMigration(folder: string, tag: string, sql: string, when?: number): () => void {
  const { text: original, journal } = readJournal(folder);
  const last = journal.entries.at(-1)!;
  journal.entries.push({ ...last, idx: last.idx + 1, when: when ?? last.when + 1000, tag });
  writeFileSync(journalPath(folder), JSON.stringify(journal, null, 2));
  writeFileSync(join(folder, `${tag}.sql`), sql);
  return () => {
    writeFileSync(journalPath(folder), original);
    rmSync(join(folder, `${tag}.sql`));
  };
}

/** Removes every migration after `tag` from `folder`: its SQL, snapshot and journal entry. */
export function truncateMigrations(folder: string, tag: string) {
  const { journal } = readJournal(folder);
  const end = journal.entries.findIndex((e) => e.tag === tag);
  if (end === -1) throw new Error(`no migration ${tag} in ${folder}`);
  for (const entry of journal.entries.slice(end + 1)) {
    rmSync(join(folder, `${entry.tag}.sql`));
    rmSync(join(folder, "meta", `${entry.tag.slice(0, 4)}_snapshot.json`), { force: true });
  }
  journal.entries = journal.entries.slice(0, end + 1);
  writeFileSync(journalPath(folder), JSON.stringify(journal, null, 2));
}

/**
 * A copy of drizzle/ that ends at `tag` (later files, snapshots and journal
 * entries removed), optionally followed by extra migrations: what the folder
 * looked like at that point of history, or a variant of it.
 */
export function migrationsFolderUpTo(tag: string, ...extras: { tag: string; sql: string }[]): string {
  const folder = join(tempDir("store-migrations-"), "drizzle");
  cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
  truncateMigrations(folder, tag);
  for (const extra of extras) appendMigration(folder, extra.tag, extra.sql);
  return folder;
}

/**
 * A hash of everything in the file: the schema, and every row of every
 * table (the migrations table, sqlite_sequence and the search index's own
 * tables included). Equal fingerprints mean nothing changed.
 */
export function fingerprint(sqlite: Database.Database): string {
  const hash = createHash("sha256");
  const objects = sqlite
    .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
    .all() as { type: string; name: string; sql: string | null }[];
  hash.update(JSON.stringify(objects));
  for (const { type, name, sql } of objects) {
    if (type !== "table" || sql?.startsWith("CREATE VIRTUAL TABLE")) continue;
    const rows = sqlite.prepare(`SELECT * FROM "${name}" ORDER BY 1, 2`).raw().all();
    hash.update(`${name}:${JSON.stringify(rows)}`);
  }
  return hash.digest("hex");
}

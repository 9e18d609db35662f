// Walks docs/tutorial on sandboxes (npm run tutorial:sandbox), doing what a
// reader does: apply each schema edit shown, run each command shown, edit
// the generated files as shown. Every generated file must equal the SQL the
// pages quote and the file committed in drizzle/, every quoted output must be
// what the command printed, so the pages cannot drift from the code.
//
// The pages mark what is checked with `<!-- check: <id> -->` before a fenced
// block. The ids, and what this test does with each, are below.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { migrate, MIGRATIONS_FOLDER, readJournal } from "#app/db/migrator.server.ts";
import { PROJECT_ROOT, tempDir } from "#tests/helpers/db.ts";
import { run } from "#tests/helpers/drizzle-kit.ts";
import { fingerprint, migrationsFolderUpTo } from "#tests/helpers/migrations.ts";
import { fillStore } from "#tests/helpers/store-data.ts";
import { createSandbox } from "#tests/tutorial/sandbox.ts";

const TUTORIAL = join(PROJECT_ROOT, "docs", "tutorial");
const PHASE_1 = "0002_add_sku_to_products";
const BACKFILL = "0003_backfill_product_skus";
const PHASE_2 = "0004_require_product_sku";

type Block = { lang: string; text: string; page: string };

/** Every marked block in the tutorial's pages, by id. */
function tutorialBlocks(): Map<string, Block> {
  const blocks = new Map<string, Block>();
  for (const page of readdirSync(TUTORIAL).filter((f) => f.endsWith(".md")).sort()) {
    const text = readFileSync(join(TUTORIAL, page), "utf8");
    for (const m of text.matchAll(/<!-- check: (\S+) -->\n```(\w+)\n([\s\S]*?)^```$/gm)) {
      if (blocks.has(m[1]!)) throw new Error(`check block ${m[1]} appears twice`);
      blocks.set(m[1]!, { lang: m[2]!, text: m[3]!, page });
    }
    const markers = [...text.matchAll(/<!-- check: (\S+) -->/g)].length;
    const parsed = [...blocks.values()].filter((b) => b.page === page).length;
    if (markers !== parsed) throw new Error(`${page}: a check marker is not followed by a fenced block`);
  }
  return blocks;
}

const blocks = tutorialBlocks();
const used = new Set<string>();
function block(id: string, lang?: string): string {
  const found = blocks.get(id);
  if (!found) throw new Error(`docs/tutorial has no block marked ${id}`);
  if (lang) expect(found.lang, id).toBe(lang);
  used.add(id);
  return found.text;
}

/**
 * Applies a schema edit the way the pages show it: the block's first and
 * last lines are unchanged context that must be found in the file; what lies
 * between them is replaced by the block.
 */
function applyEdit(source: string, edit: string): string {
  const lines = source.split("\n");
  const want = edit.replace(/\n$/, "").split("\n");
  const start = lines.findIndex((l) => l === want[0]);
  expect(start, `context line not found: ${want[0]}`).toBeGreaterThan(-1);
  expect(lines.indexOf(want[0]!, start + 1), `context line not unique: ${want[0]}`).toBe(-1);
  const end = lines.findIndex((l, i) => i > start && l === want.at(-1));
  expect(end, `context line not found: ${want.at(-1)}`).toBeGreaterThan(start);
  lines.splice(start, end - start + 1, ...want);
  return lines.join("\n");
}

function editSchema(dir: string, id: string) {
  const path = join(dir, "app", "db", "schema.ts");
  writeFileSync(path, applyEdit(readFileSync(path, "utf8"), block(id, "ts")));
}

/** Runs a command block in the sandbox and checks its exit code. */
function runBlock(dir: string, id: string, code: number) {
  const result = run(dir, block(id, "sh"));
  expect(result.code, `${id}:\n${result.output}`).toBe(code);
  return result;
}

/** The lines of an output block must appear, consecutively, in what was printed. */
function expectOutput(printed: string, id: string) {
  const want = block(id, "text").replace(/\n$/, "");
  expect(printed.split("\n").filter((l) => l.trim() !== "").join("\n")).toContain(want);
}

const sqlFile = (dir: string, tag: string) => readFileSync(join(dir, "drizzle", `${tag}.sql`), "utf8");
const committed = (tag: string) => readFileSync(join(MIGRATIONS_FOLDER, `${tag}.sql`), "utf8");
/** A snapshot without its random ids: what the schema was after a migration. */
function snapshot(folder: string, tag: string) {
  const parsed = JSON.parse(readFileSync(join(folder, "meta", `${tag.slice(0, 4)}_snapshot.json`), "utf8"));
  delete parsed.id;
  delete parsed.prevId;
  return parsed;
}
function expectSameAsCommitted(dir: string, tag: string) {
  expect(sqlFile(dir, tag), tag).toBe(committed(tag));
  expect(snapshot(join(dir, "drizzle"), tag), `${tag} snapshot`).toEqual(snapshot(MIGRATIONS_FOLDER, tag));
}

const open: AppDatabase[] = [];
afterEach(() => {
  for (const db of open.splice(0)) closeDatabase(db);
});
function databaseFingerprint(path: string) {
  const db = openDatabase(path);
  try {
    return fingerprint(db.$client);
  } finally {
    closeDatabase(db);
  }
}

describe("docs/tutorial, walked on a sandbox", () => {
  it("page 2: NOT NULL without a default is generated as shown, caught by db:lint, and fails leaving the data alone", () => {
    const dir = join(tempDir("store-tutorial-"), "sku-broken");
    createSandbox(dir);
    const database = join(dir, "data", "store.db");
    const before = databaseFingerprint(database);

    editSchema(dir, "failing/schema");
    runBlock(dir, "failing/generate", 0);
    expect(sqlFile(dir, PHASE_1).trimEnd()).toBe(block("failing/sql", "sql").trimEnd());

    expectOutput(runBlock(dir, "failing/lint", 1).output, "failing/lint-output");
    expectOutput(runBlock(dir, "failing/migrate", 1).output, "failing/migrate-output");
    expect(databaseFingerprint(database)).toBe(before);
  });

  it("pages 2 to 4: every command gives the SQL the pages show and drizzle/ holds, and every check passes", () => {
    const dir = join(tempDir("store-tutorial-"), "sku-sandbox");
    createSandbox(dir);

    // Phase 1.
    editSchema(dir, "phase1/schema");
    runBlock(dir, "phase1/generate", 0);
    expect(sqlFile(dir, PHASE_1).trimEnd()).toBe(block("phase1/sql", "sql").trimEnd());
    expectSameAsCommitted(dir, PHASE_1);
    expect(runBlock(dir, "phase1/migrate", 0).output).toContain(`migrations: applied ${PHASE_1}`);

    // The backfill: what drizzle-kit writes, then the file as the page shows it.
    runBlock(dir, "backfill/generate", 0);
    expect(sqlFile(dir, BACKFILL)).toBe(block("backfill/skeleton", "sql").trimEnd()); // no final newline
    const backfill = block("backfill/sql", "sql");
    expect(backfill.startsWith(`${sqlFile(dir, BACKFILL)}\n`)).toBe(true); // written below the comment
    writeFileSync(join(dir, "drizzle", `${BACKFILL}.sql`), backfill);
    expectSameAsCommitted(dir, BACKFILL);
    expect(runBlock(dir, "backfill/migrate", 0).output).toContain(`migrations: applied ${BACKFILL}`);
    expectOutput(runBlock(dir, "backfill/verify", 0).output, "backfill/verify-output");

    // Phase 2: generated, linted, edited in three places, linted again.
    editSchema(dir, "phase2/schema");
    runBlock(dir, "phase2/generate", 0);
    const generated = sqlFile(dir, PHASE_2);
    expect(generated.trimEnd()).toBe(block("phase2/generated-sql", "sql").trimEnd());
    expectOutput(runBlock(dir, "phase2/lint", 1).output, "phase2/lint-output");

    const lines = generated.split("\n");
    const copy = lines.findIndex((l) => l.startsWith("INSERT INTO `__new_products`"));
    expect(copy).toBeGreaterThan(-1);
    lines.splice(copy + 1, 0, ...block("phase2/keep-counter", "sql").replace(/\n$/, "").split("\n"));
    const edited = `${block("phase2/header", "sql")}${lines.join("\n")}\n${block("phase2/triggers", "sql")}`;
    expect(edited).toBe(block("phase2/sql", "sql"));
    writeFileSync(join(dir, "drizzle", `${PHASE_2}.sql`), edited);
    expectSameAsCommitted(dir, PHASE_2);
    expect(runBlock(dir, "phase2/lint-again", 0).output).toContain("db:lint: 5 migrations, no problems");

    expect(runBlock(dir, "phase2/migrate", 0).output).toContain(`migrations: applied ${PHASE_2}`);
    expectOutput(runBlock(dir, "phase2/verify", 0).output, "phase2/verify-output");

    // The sandbox's journal now lists what drizzle/ lists, in the same order.
    const tags = (folder: string) =>
      readJournal(folder).journal.entries.map((e) => e.tag);
    expect(tags(join(dir, "drizzle"))).toEqual(tags(MIGRATIONS_FOLDER).slice(0, 5));
  });

  it("page 6: the roll-forward fix brings search back after a phase 2 that lost its triggers", () => {
    const withoutTriggers = committed(PHASE_2).replace(/--> statement-breakpoint\n-- Added by hand: DROP TABLE took[\s\S]*$/, "");
    expect(withoutTriggers).not.toBe(committed(PHASE_2));
    const folder = migrationsFolderUpTo(
      BACKFILL,
      { tag: PHASE_2, sql: withoutTriggers },
      { tag: "0005_restore_product_search_triggers", sql: block("fix/sql", "sql") },
    );
    const db = openDatabase(join(tempDir(), "store.db"));
    open.push(db);
    migrate(db.$client, { migrationsFolder: folder, to: "0001_add_product_search" });
    fillStore(db.$client, { products: 500, orders: 50 });
    migrate(db.$client, { migrationsFolder: folder, to: PHASE_2 });

    const search = (q: string) => db.$client.prepare("SELECT rowid FROM products_fts WHERE products_fts MATCH ?").pluck().all(q);
    const consistent = () => db.$client.prepare("INSERT INTO products_fts(products_fts, rank) VALUES ('integrity-check', 1)").run();
    db.$client.prepare("INSERT INTO products (slug, name, description, price_cents, image, sku) VALUES ('kettle', 'Whistling Kettle', 'k', 1, 'x', 'K-1')").run();
    db.$client.prepare("UPDATE products SET name = 'Renamed Thing' WHERE id = (SELECT min(id) FROM products)").run();
    expect(search("kettle")).toEqual([]);
    expect(consistent).toThrow();

    migrate(db.$client, { migrationsFolder: folder });
    consistent();
    expect(search("kettle")).toHaveLength(1);
    expect(search("renamed")).toHaveLength(1);
    db.$client.prepare("DELETE FROM products WHERE slug = 'kettle'").run();
    expect(search("kettle")).toEqual([]);
  });

  it("checks every marked block (a marker with a typo would otherwise go unchecked)", () => {
    expect([...blocks.keys()].filter((id) => !used.has(id))).toEqual([]);
  });
});

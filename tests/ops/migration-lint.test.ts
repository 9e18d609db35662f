// db:lint on the project's migrations (clean) and on fixture folders that
// each contain one trap the tutorial teaches.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { lintMigrations, maskSql, type Finding } from "#app/ops/migration-lint.server.ts";
import { MIGRATIONS_FOLDER, readJournal } from "#app/db/migrator.server.ts";
import { PROJECT_ROOT } from "#tests/helpers/db.ts";
import { appendMigration, migrationsFolderUpTo } from "#tests/helpers/migrations.ts";

const PHASE_2 = "0004_require_product_sku";
const LAST = "0004_require_product_sku";

function lint(folder: string) {
  return lintMigrations(folder, { displayRoot: dirname(folder) });
}
const brief = (findings: Finding[]) => findings.map((f) => `${f.file}:${f.line}: ${f.rule}`);

/** The project's migrations plus one more, and what db:lint says about it. */
function lintWith(sql: string, tag = "0005_trap") {
  return lint(migrationsFolderUpTo(LAST, { tag, sql }));
}

const committedPhase2 = readFileSync(join(MIGRATIONS_FOLDER, `${PHASE_2}.sql`), "utf8");
/** Phase 2 without one of the blocks added by hand after review. */
function phase2Without(block: RegExp) {
  const edited = committedPhase2.replace(block, "");
  expect(edited).not.toBe(committedPhase2);
  const findings = lint(migrationsFolderUpTo("0003_backfill_product_skus", { tag: PHASE_2, sql: edited }));
  // Rebuild findings point at the DROP TABLE.
  const dropLine = edited.split("\n").findIndex((l) => l.startsWith("DROP TABLE `products`")) + 1;
  return { findings, at: `drizzle/${PHASE_2}.sql:${dropLine}` };
}

describe("db:lint", () => {
  it("passes on the project's own migrations, from the command line too", () => {
    expect(lint(MIGRATIONS_FOLDER)).toEqual([]);
    const run = spawnSync(process.execPath, ["app/cli/cli.ts", "lint"], { cwd: PROJECT_ROOT, encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^db:lint: \d+ migrations, no problems\n$/);
  });

  it("fails from the command line with file:line and the explanation", () => {
    const folder = migrationsFolderUpTo(LAST, { tag: "0005_add_weight", sql: "ALTER TABLE `products` ADD `weight_grams` integer NOT NULL;" });
    const run = spawnSync(process.execPath, [join(PROJECT_ROOT, "app/cli/cli.ts"), "lint", "drizzle"], {
      cwd: dirname(folder),
      encoding: "utf8",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "drizzle/0005_add_weight.sql:1: not-null-without-default: ADD COLUMN products.weight_grams NOT NULL without a DEFAULT: " +
        'SQLite refuses it on a table that has rows ("Cannot add a NOT NULL column with default value NULL")',
    );
    expect(run.stderr).toMatch(/db:lint: 1 problem in \d+ migrations\n$/);
  });

  it("flags ADD COLUMN NOT NULL without a default, and accepts it with one", () => {
    expect(brief(lintWith("ALTER TABLE `products` ADD `weight` integer NOT NULL;"))).toEqual([
      "drizzle/0005_trap.sql:1: not-null-without-default",
    ]);
    expect(brief(lintWith("ALTER TABLE products ADD COLUMN weight integer DEFAULT NULL NOT NULL;"))).toEqual([
      "drizzle/0005_trap.sql:1: not-null-without-default",
    ]);
    expect(lintWith("ALTER TABLE `products` ADD `weight` integer DEFAULT 0 NOT NULL;")).toEqual([]);
    expect(lintWith("-- NOT NULL in a comment\nALTER TABLE `products` ADD `note` text DEFAULT 'NOT NULL';")).toEqual([]);
  });

  it("flags ADD COLUMN with a non-constant default", () => {
    expect(brief(lintWith("-- when it was paid\nALTER TABLE `orders` ADD `paid_at` integer DEFAULT (unixepoch()) NOT NULL;"))).toEqual([
      "drizzle/0005_trap.sql:2: non-constant-default",
    ]);
    expect(brief(lintWith("ALTER TABLE orders ADD paid_at text DEFAULT CURRENT_TIMESTAMP;"))).toEqual([
      "drizzle/0005_trap.sql:1: non-constant-default",
    ]);
  });

  it("flags DROP TABLE and DROP COLUMN unless a reviewed comment with a reason says they are intended", () => {
    const drop = "DROP TABLE `order_items`;--> statement-breakpoint\nALTER TABLE `orders` DROP COLUMN `address_line2`;";
    const findings = lintWith(drop);
    expect(brief(findings)).toEqual(["drizzle/0005_trap.sql:1: drop-table", "drizzle/0005_trap.sql:2: drop-column"]);
    expect(findings[0]!.message).toContain("-- reviewed drop-table order_items: <why nothing is lost>");
    expect(findings[1]!.message).toContain("-- reviewed drop-column orders.address_line2: <why nothing is lost>");

    const reviewed =
      "-- reviewed drop-table order_items: items moved to order_lines in 0004, which the app reads since v2\n" +
      "-- reviewed drop-column orders.address_line2: merged into address_line1 by 0004\n" +
      drop;
    expect(lintWith(reviewed)).toEqual([]);
    // An acknowledgement without a reason is itself a finding.
    expect(brief(lintWith(`-- reviewed drop-table order_items: ok\n${drop}`))).toEqual([
      "drizzle/0005_trap.sql:1: acknowledgement",
      "drizzle/0005_trap.sql:3: drop-column",
    ]);
    expect(brief(lintWith("-- reviewed drop-table orders: kept for an old report, no longer used\nSELECT 1;"))).toEqual([
      "drizzle/0005_trap.sql:1: acknowledgement",
    ]);
  });

  it("flags a rebuild of a table other tables reference until it is reviewed", () => {
    const { findings, at } = phase2Without(/^-- reviewed rebuild products:.*\n/m);
    expect(brief(findings)).toEqual([`${at}: rebuild-referenced-table`]);
    expect(findings[0]!.message).toContain("order_items.product_id references products");
    expect(findings[0]!.message).toContain("-- reviewed rebuild products: <why it is safe>");
  });

  it("flags a rebuild of an unreferenced table too, with its own explanation", () => {
    const notes = "CREATE TABLE `notes` (`id` integer PRIMARY KEY NOT NULL, `body` text);";
    const rebuild = [
      "PRAGMA foreign_keys=OFF;--> statement-breakpoint",
      "CREATE TABLE `__new_notes` (`id` integer PRIMARY KEY NOT NULL, `body` text NOT NULL);--> statement-breakpoint",
      'INSERT INTO `__new_notes`("id", "body") SELECT "id", "body" FROM `notes`;--> statement-breakpoint',
      "DROP TABLE `notes`;--> statement-breakpoint",
      "ALTER TABLE `__new_notes` RENAME TO `notes`;--> statement-breakpoint",
      "PRAGMA foreign_keys=ON;",
    ].join("\n");
    const folder = migrationsFolderUpTo(LAST, { tag: "0005_notes", sql: notes }, { tag: "0006_require_note_body", sql: rebuild });
    expect(brief(lint(folder))).toEqual(["drizzle/0006_require_note_body.sql:4: rebuild"]);
    const reviewed = `-- reviewed rebuild notes: nothing references notes and every body is set\n${rebuild}`;
    expect(lint(migrationsFolderUpTo(LAST, { tag: "0005_notes", sql: notes }, { tag: "0006_require_note_body", sql: reviewed }))).toEqual([]);
  });

  it("flags a rebuild without the PRAGMA foreign_keys=OFF that tells the runner to turn foreign keys off", () => {
    const { findings, at } = phase2Without(/^PRAGMA foreign_keys=OFF;--> statement-breakpoint\n/m);
    expect(brief(findings)).toEqual([`${at}: rebuild-foreign-keys`]);
  });

  it("flags triggers a rebuild loses", () => {
    const { findings, at } = phase2Without(/--> statement-breakpoint\n-- Added by hand: DROP TABLE took[\s\S]*$/);
    expect(brief(findings)).toEqual([`${at}: lost-trigger`]);
    expect(findings[0]!.message).toContain(
      "triggers products_fts_after_insert, products_fts_after_delete, products_fts_after_update on products",
    );
  });

  it("flags a rebuild that resets an AUTOINCREMENT counter", () => {
    const { findings, at } = phase2Without(
      /^-- Added by hand: keep the AUTOINCREMENT[\s\S]*?WHERE `name` = 'products';--> statement-breakpoint\n/m,
    );
    expect(brief(findings)).toEqual([`${at}: autoincrement-reset`]);
  });

  it("flags a PRAGMA in a migration", () => {
    expect(brief(lintWith("UPDATE products SET stock = 0 WHERE 0;--> statement-breakpoint\nPRAGMA journal_mode = WAL;"))).toEqual([
      "drizzle/0005_trap.sql:2: pragma",
    ]);
    expect(brief(lintWith("PRAGMA foreign_keys=OFF;"))).toEqual(["drizzle/0005_trap.sql:1: pragma"]);
  });

  it("flags parts of a file with no statement: an untouched --custom file, SQL appended to its comment, a trailing breakpoint", () => {
    const header = "-- Custom SQL migration file, put your code below! --";
    expect(brief(lintWith(header))).toEqual(["drizzle/0005_trap.sql:1: no-statements"]);
    expect(brief(lintWith(`${header}UPDATE products SET stock = 0 WHERE 0;`))).toEqual(["drizzle/0005_trap.sql:1: no-statements"]);
    expect(brief(lintWith(`${header}\nUPDATE products SET stock = 0 WHERE 0;--> statement-breakpoint\n`))).toEqual([
      "drizzle/0005_trap.sql:2: no-statements",
    ]);
    expect(lintWith(`${header}\nUPDATE products SET stock = 0 WHERE 0;`)).toEqual([]);
  });

  it("flags a statement that fails even on an empty database", () => {
    const findings = lintWith("UPDATE products SET stock = 0 WHERE 0;\nUPDATE orders SET total_cents = 0 WHERE 0;");
    expect(brief(findings)).toEqual(["drizzle/0005_trap.sql:1: fails"]);
    expect(findings[0]!.message).toContain("The supplied SQL string contains more than one statement");
    expect(brief(lintWith("UPDATE no_such_table SET x = 1;"))).toEqual(["drizzle/0005_trap.sql:1: fails"]);
  });

  it("flags a journal whose timestamps go backwards (a merged branch), and SQL files it does not list", () => {
    const folder = migrationsFolderUpTo(LAST);
    const newest = readJournal(folder).journal.entries.at(-1)!.when;
    appendMigration(folder, "0005_from_other_branch", "SELECT 1;", newest - 60_000);
    writeFileSync(join(folder, "0006_never_generated.sql"), "SELECT 1;");
    const findings = lint(folder);
    const whenLine = readJournal(folder).text.split("\n").findLastIndex((l) => l.includes('"when"')) + 1;
    expect(brief(findings)).toEqual([
      "drizzle/0006_never_generated.sql:1: journal-file",
      `drizzle/meta/_journal.json:${whenLine}: journal-order`,
    ]);
    expect(findings[1]!.message).toContain("would skip 0005_from_other_branch without a word");
  });
});

describe("maskSql", () => {
  it("blanks comments and string contents, keeping length and line breaks", () => {
    const sql = "SELECT 'a -- b', \"x\" -- DROP TABLE t\n/* DROP\nTABLE */ FROM `t`;";
    const masked = maskSql(sql);
    expect(masked).toHaveLength(sql.length);
    expect(masked.split("\n")).toHaveLength(3);
    expect(masked).not.toMatch(/DROP/);
    expect(masked).toContain("SELECT '      ', \"x\"");
    expect(masked).toContain("FROM `t`;");
  });
});

// The committed migrations and app/db/schema.ts describe the same database:
// drizzle-kit, run on a scratch copy, finds nothing to generate.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { migrationFiles, schemaDrift, scratchProject } from "#tests/helpers/drizzle-kit.ts";

describe("schema drift", () => {
  it("the migrations in drizzle/ produce exactly app/db/schema.ts", () => {
    const dir = scratchProject();
    const before = migrationFiles(dir);
    const { drift, output } = schemaDrift(dir);
    expect(output).toContain("No schema changes, nothing to migrate");
    expect(drift).toBe(false);
    expect(migrationFiles(dir)).toEqual(before);
  });

  it("is detected for a new column, and for a rename drizzle-kit cannot resolve without a terminal", () => {
    const added = scratchProject();
    const schema = join(added, "app", "db", "schema.ts");
    const source = readFileSync(schema, "utf8");
    writeFileSync(schema, source.replace('    image: text("image").notNull(),', '    image: text("image").notNull(),\n    colour: text("colour"),'));
    expect(schemaDrift(added).drift).toBe(true);

    const renamed = scratchProject();
    const before = migrationFiles(renamed);
    writeFileSync(join(renamed, "app", "db", "schema.ts"), source.replace('name: text("name")', 'name: text("title")'));
    const { drift, output } = schemaDrift(renamed);
    expect(output).toContain("Interactive prompts require a TTY terminal");
    expect(migrationFiles(renamed)).toEqual(before); // it wrote nothing, and exited 0
    expect(drift).toBe(true);
  });
});

import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT, tempDir } from "#tests/helpers/db.ts";

/** What `npm run db:generate` needs, in a scratch directory of its own. */
export function scratchProject(): string {
  const dir = tempDir("store-drizzle-kit-");
  mkdirSync(join(dir, "app", "db"), { recursive: true });
  for (const entry of ["package.json", "drizzle.config.ts", "drizzle", "app/db/schema.ts"]) {
    cpSync(join(PROJECT_ROOT, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(PROJECT_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

/**
 * Runs a command line from the tutorial (`npm run …`) in `dir`, without a
 * terminal, as CI would. Returns its exit code and everything it printed.
 */
export function run(dir: string, command: string) {
  const env = { ...process.env };
  delete env.DATABASE_PATH;
  const result = spawnSync("sh", ["-c", command], { cwd: dir, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const output = `${result.stdout}${result.stderr}`
    .split("\n")
    .filter((line) => !line.startsWith("npm warn Unknown user config"))
    .join("\n");
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, output };
}

/** Every file under drizzle/ with its content, to see whether anything was written. */
export function migrationFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const sub of ["drizzle", "drizzle/meta"]) {
    for (const name of readdirSync(join(dir, sub), { withFileTypes: true })) {
      if (name.isFile()) files[`${sub}/${name.name}`] = readFileSync(join(dir, sub, name.name), "utf8");
    }
  }
  return files;
}

/**
 * Whether schema.ts in `dir` differs from what its migrations produce.
 * drizzle-kit exits 0 both when nothing changed and when it would have to
 * ask (a rename?) but has no terminal, writing nothing either time: only
 * what it prints tells them apart.
 */
export function schemaDrift(dir: string): { drift: boolean; output: string } {
  const before = migrationFiles(dir);
  const { code, output } = run(dir, "npm run db:generate -- --name drift_check");
  const wrote = JSON.stringify(migrationFiles(dir)) !== JSON.stringify(before);
  const clean = code === 0 && !wrote && output.includes("No schema changes, nothing to migrate");
  return { drift: !clean, output };
}

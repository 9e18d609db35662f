// The restore drill: `node app/cli/cli.ts replica drill` (npm run db:drill).
// A replica nobody has restored is a hope, not a backup. The drill restores
// the newest copy from the replica into a scratch file beside the database,
// checks it, compares it with the live database and reports how far behind
// it is; it exits 1 when the copy is missing, damaged, someone else's, or
// staler than --max-lag. It only reads the live database: safe while the
// store serves, and the thing to schedule weekly (docs/operations.md).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import Database from "better-sqlite3";
import { dataPaths } from "#app/core/paths.server.ts";
import { integrityProblem } from "#app/db/backup.server.ts";
import { litestreamConfig, type ReplicaSettings } from "#app/ops/replica.server.ts";
import { errorMessage, KnownError } from "#app/core/errors.ts";

export class ReplicaDrillError extends KnownError {
  override name = "ReplicaDrillError";
}

type Run = { output: string };

/** Runs a litestream command; its `error="…"` as a ReplicaDrillError when it fails. */
function litestream(binary: string, args: string[]): Run {
  const run = spawnSync(binary, args, { encoding: "utf8", timeout: 60 * 60_000 });
  if (run.error) throw new ReplicaDrillError(`cannot run ${binary}: ${errorMessage(run.error)}`);
  const output = `${run.stdout}${run.stderr}`;
  if (run.status !== 0) {
    const last = output.trimEnd().split("\n").at(-1) ?? "";
    const reason = /error="((?:[^"\\]|\\.)*)"/.exec(last)?.[1]?.replace(/\\n.*/s, "") ?? (last || `exit ${run.status}`);
    throw new ReplicaDrillError(reason);
  }
  return { output };
}

/** Milliseconds in a Go duration as Litestream prints it ("1.5s", "2m3s", "-8ms", "0s"). */
export function goDurationMs(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 0.001, "µs": 0.001, ns: 0.000001 };
  const sign = text.startsWith("-") ? -1 : 1;
  let total = 0;
  for (const [, amount, unit] of text.replace(/^-/, "").matchAll(/([\d.]+)(h|ms|m|s|us|µs|ns)/g)) {
    total += Number(amount) * units[unit!]!;
  }
  return sign * total;
}

const seconds = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);
const when = (unix: number) => `${new Date(unix * 1000).toISOString().slice(0, 19).replace("T", " ")} UTC`;

/** The store's own tables: not SQLite's, not Litestream's, not a search index's insides. */
function tableCounts(db: Database.Database): Map<string, number> {
  const tables = db
    .prepare(
      "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' " +
        "AND name NOT LIKE '\\_litestream\\_%' ESCAPE '\\' ORDER BY name",
    )
    .all() as { name: string; sql: string }[];
  const virtual = tables.filter((t) => t.sql.startsWith("CREATE VIRTUAL TABLE")).map((t) => t.name);
  const counts = new Map<string, number>();
  for (const { name } of tables) {
    if (virtual.some((v) => name === v || name.startsWith(`${v}_`))) continue;
    counts.set(name, (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n);
  }
  return counts;
}

type Order = { id: number; public_id: string; created_at: number };
const newestOrder = (db: Database.Database) =>
  db.prepare("SELECT id, public_id, created_at FROM orders ORDER BY id DESC LIMIT 1").get() as Order | undefined;

export type DrillReport = { lines: string[]; problems: string[] };

export function replicaDrill(options: {
  databasePath: string;
  settings: ReplicaSettings;
  binary: string;
  maxLagMs: number;
}): DrillReport {
  const { databasePath, settings, binary, maxLagMs } = options;
  if (!existsSync(databasePath)) throw new ReplicaDrillError(`no database at ${databasePath} to compare the replica with`);
  const lines: string[] = [];
  const problems: string[] = [];

  // The configuration in the system's temp folder (it is tiny and holds no
  // secret); the restored copy beside the database, where there is room for one.
  const configDir = mkdtempSync(join(tmpdir(), "store-drill-"));
  const config = join(configDir, "litestream.yml");
  writeFileSync(config, litestreamConfig(databasePath, settings));
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const scratch = dataPaths(databasePath).drillCopy(stamp);
  const common = ["-config", config, "-no-expand-env"];

  try {
    const started = performance.now();
    try {
      litestream(binary, ["restore", ...common, "-o", scratch, databasePath]);
    } catch (error) {
      const reason = errorMessage(error);
      throw new ReplicaDrillError(
        reason === "no matching backups found"
          ? `the replica (${settings.url}) holds no copy of ${databasePath}: is replication on, and is this the right URL?`
          : `cannot restore from the replica (${settings.url}): ${reason}`,
      );
    }
    const restoreMs = performance.now() - started;
    lines.push(
      `restored the newest copy from ${settings.url} in ${seconds(restoreMs)} (${(statSync(scratch).size / 1024).toFixed(0)} KiB)`,
    );

    const problem = integrityProblem(scratch);
    if (problem) throw new ReplicaDrillError(`the restored copy fails PRAGMA integrity_check: ${problem}`);
    lines.push("integrity_check: ok");

    const live = new Database(databasePath, { readonly: true, fileMustExist: true });
    const copy = new Database(scratch, { readonly: true, fileMustExist: true });
    try {
      const [liveCounts, copyCounts] = [tableCounts(live), tableCounts(copy)];
      if (!copyCounts.has("__drizzle_migrations")) {
        throw new ReplicaDrillError("the restored copy has no __drizzle_migrations table: it is not a copy of this store's database");
      }
      const names = [...new Set([...liveCounts.keys(), ...copyCounts.keys()])].sort();
      const width = Math.max(5, ...names.map((n) => n.length));
      lines.push("", `  ${"table".padEnd(width)}  ${"live".padStart(9)}  ${"replica".padStart(9)}`);
      for (const name of names) {
        const [a, b] = [liveCounts.get(name), copyCounts.get(name)];
        lines.push(`  ${name.padEnd(width)}  ${String(a ?? "-").padStart(9)}  ${String(b ?? "-").padStart(9)}${a === b ? "" : "  differs"}`);
      }
      lines.push("");

      if (liveCounts.has("orders") && copyCounts.has("orders")) {
        const [newestLive, newestCopy] = [newestOrder(live), newestOrder(copy)];
        const describe = (o: Order | undefined) => (o ? `order ${o.id} of ${when(o.created_at)}` : "no orders");
        lines.push(`newest order: live ${describe(newestLive)}; replica ${describe(newestCopy)}`);
        // The replica's newest order must be the live database's order of that
        // id: otherwise this replica is of another database (a shared bucket
        // path, a restore from elsewhere). The id is compared, never printed
        // with its capability URL.
        if (newestCopy) {
          const same = live.prepare("SELECT public_id FROM orders WHERE id = ?").get(newestCopy.id) as { public_id: string } | undefined;
          if (same?.public_id !== newestCopy.public_id) {
            problems.push(`the replica's newest order (${newestCopy.id}) is not the live database's order ${newestCopy.id}: the replica belongs to another database`);
          }
        }
      }
    } finally {
      live.close();
      copy.close();
    }

    // Litestream's own measure: the time between the database's last change
    // and the replica's last one. Near zero when the replica is current,
    // whether the store is busy or idle.
    const generations = litestream(binary, ["generations", ...common, databasePath]).output;
    const rows = generations
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols.length === 5 && cols[0] !== "name");
    const latest = rows.sort((a, b) => a[4]!.localeCompare(b[4]!)).at(-1);
    if (!latest) {
      problems.push("litestream lists no generation for the replica");
    } else {
      const lagMs = Math.max(0, goDurationMs(latest[2]!));
      lines.push(`lag: ${seconds(lagMs)} behind the database's last write (generation ${latest[1]}, limit ${seconds(maxLagMs)})`);
      if (lagMs > maxLagMs) {
        problems.push(
          `the replica is ${seconds(lagMs)} behind the database (more than ${seconds(maxLagMs)}): is Litestream running? ` +
            "Look for its lines in the store's log (docker compose logs store)",
        );
      }
    }
    return { lines, problems };
  } finally {
    rmSync(configDir, { recursive: true, force: true });
    // The copy, and the -wal/-shm/.tmp files restoring and reading it made.
    for (const name of readdirSync(dirname(scratch))) {
      if (name.startsWith(basename(scratch))) rmSync(join(dirname(scratch), name), { force: true });
    }
  }
}

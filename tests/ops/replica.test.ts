// Off-site replication with Litestream, without Docker: the image's entry
// script (app/ops/container-entrypoint.sh) run on this machine with the real
// litestream program (the npm package's copy, linux x64) and a file://
// replica, the built server, orders over HTTP, and the restore drill.
// Where no litestream binary exists these say so and skip;
// REQUIRE_LITESTREAM=1 (.ci/run) makes that a failure.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { litestreamBinary, ReplicaConfigError, replicaSettings } from "#app/ops/replica.server.ts";
import { PROJECT_ROOT, tempDir } from "#tests/helpers/db.ts";
import { ordersUnderLoad, placeOrder } from "#tests/helpers/orders-under-load.ts";
import { appendMigration } from "#tests/helpers/migrations.ts";
import { runCliInProcess, runCliWith } from "#tests/helpers/cli.ts";
import { delay, listeningUrl, runNode, SERVER_BUILD, stageApp, TEST_PUBLIC_URL, TEST_SESSION_SECRETS, UNLIMITED } from "#tests/helpers/server.ts";

const binary = litestreamBinary();
const ENTRY = join(PROJECT_ROOT, "app", "ops", "container-entrypoint.sh");
const SYNC_INTERVAL_MS = 1_000; // Litestream's default, which the settings keep
const UPGRADE = "9000_add_gift_note_to_orders";

if (!binary) {
  console.log(
    `replica tests: skipped: no litestream program on PATH or in node_modules (the npm package is linux x64 only; this is ${process.platform} ${process.arch})`,
  );
}

describe("replica settings: checked before anything starts, each mistake named with its fix", () => {
  // The first as the container's entry script runs it, the rest in-process (runCli, the same code).
  const configProcess = (env: Record<string, string>) =>
    runNode(["app/cli/cli.ts", "replica", "config"], { env: { DATABASE_PATH: "/srv/store/store.db", ...env } });
  const config = (env: Record<string, string>) => runCliInProcess(["replica", "config"], { env: { DATABASE_PATH: "/srv/store/store.db", ...env } });

  it("off without LITESTREAM_REPLICA_URL; a file:// replica becomes Litestream's configuration", async () => {
    const off = await configProcess({});
    expect(off).toMatchObject({ code: 0 });
    expect(off.output).toContain("replica: off");

    const on = await config({ LITESTREAM_REPLICA_URL: "file:///srv/replica/store" });
    expect(on.code).toBe(0);
    expect(on.output).toContain('  - path: "/srv/store/store.db"\n    replicas:\n      - url: "file:///srv/replica/store"\n        sync-interval: "1s"');
  });

  it("an S3-compatible store gets its endpoint and region as keys (Litestream 0.3 takes no URL parameters), never the secret", async () => {
    const r2 = await config({
      LITESTREAM_REPLICA_URL: "s3://shop-backups/store",
      LITESTREAM_ENDPOINT: "https://0123abcd.r2.cloudflarestorage.com",
      LITESTREAM_REGION: "auto",
      LITESTREAM_ACCESS_KEY_ID: "AKIDEXAMPLE",
      LITESTREAM_SECRET_ACCESS_KEY: "wJalrXUtnFEMI-secret",
    });
    expect(r2.code, r2.output).toBe(0);
    expect(r2.output).toContain('endpoint: "https://0123abcd.r2.cloudflarestorage.com"\n        region: "auto"');
    expect(r2.output).not.toContain("wJalrXUtnFEMI");
    expect(r2.output).not.toContain("AKIDEXAMPLE");
  });

  it.each([
    [{ LITESTREAM_REGION: "auto" }, "LITESTREAM_REGION is set but LITESTREAM_REPLICA_URL is not"],
    [{ LITESTREAM_REPLICA_URL: "ftp://host/store" }, 'starts with "ftp:": use s3://'],
    [{ LITESTREAM_REPLICA_URL: "s3://key:hunter2@bucket/store" }, "LITESTREAM_REPLICA_URL holds credentials"],
    [{ LITESTREAM_REPLICA_URL: "s3:///store" }, "needs a bucket"],
    [{ LITESTREAM_REPLICA_URL: "s3://bucket/store?endpoint=https://x" }, "set LITESTREAM_ENDPOINT and LITESTREAM_REGION instead"],
    [{ LITESTREAM_REPLICA_URL: "s3://bucket/store", LITESTREAM_ENDPOINT: "https://x.example" }, "LITESTREAM_REGION is required with LITESTREAM_ENDPOINT"],
    [{ LITESTREAM_REPLICA_URL: "s3://bucket/store", LITESTREAM_ENDPOINT: "x.example", LITESTREAM_REGION: "auto" }, "LITESTREAM_ENDPOINT must be the store's https:// address"],
    [{ LITESTREAM_REPLICA_URL: "s3://bucket/store", LITESTREAM_ACCESS_KEY_ID: "AKIDEXAMPLE" }, "LITESTREAM_SECRET_ACCESS_KEY is missing"],
    [{ LITESTREAM_REPLICA_URL: "file:///srv/replica", LITESTREAM_REGION: "auto" }, "LITESTREAM_REGION applies to s3:// replicas only"],
    [{ LITESTREAM_REPLICA_URL: "file:///srv/replica", LITESTREAM_SYNC_INTERVAL: "soon" }, "LITESTREAM_SYNC_INTERVAL must be a duration"],
  ])("refuses %j", (env, message) => {
    // In this process: the same function the command calls, ten times faster.
    expect(() => replicaSettings(env, "/srv/store/store.db")).toThrow(ReplicaConfigError);
    expect(() => replicaSettings(env, "/srv/store/store.db")).toThrow(message);
    expect(() => replicaSettings(env, "/srv/store/store.db")).not.toThrow("hunter2");
  });

  it("a refusal is one line and exit 1; a file:// replica in the database's own folder is a warning (it survives a deleted file, not a dead disk)", async () => {
    const refused = await config({ LITESTREAM_REPLICA_URL: "s3://key:hunter2@bucket/store" });
    expect(refused.code).toBe(1);
    expect(refused.output.trim()).toBe(
      "replica failed: LITESTREAM_REPLICA_URL holds credentials: remove them from the URL and set LITESTREAM_ACCESS_KEY_ID and LITESTREAM_SECRET_ACCESS_KEY",
    );
    const warned = await config({ LITESTREAM_REPLICA_URL: "file:///srv/store/replica" });
    expect(warned.code).toBe(0);
    expect(warned.output).toContain("[store] replica: the replica folder shares the database's folder");
  });
});

describe("the image's entry script with replication off", () => {
  it("runs the server itself (exec): the process signals reach is node", async () => {
    const dir = tempDir();
    const child = spawn("sh", [ENTRY, process.execPath, SERVER_BUILD], {
      cwd: PROJECT_ROOT,
      env: serverEnv({ DATABASE_PATH: join(dir, "store.db") }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    await expect.poll(() => listeningUrl(output), { timeout: 30_000 }).toBeDefined();
    expect(output).toMatch(/\[store\] listening on 127\.0\.0\.1:\d+ \(production\)/); // what is bound
    // The shell replaced itself with node: same process, node's command line.
    expect(readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0")).toEqual([process.execPath, SERVER_BUILD, ""]);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output).toContain("[store] stopped");
    expect(output).not.toContain("litestream");
  });
});

/** The environment the image gives the server, on this machine. */
function serverEnv(env: Record<string, string>) {
  return {
    PATH: `${binary ? `${dirname(binary)}:` : ""}${process.env.PATH}`,
    NODE_ENV: "production",
    PORT: "0",
    HOST: "127.0.0.1",
    SESSION_SECRETS: TEST_SESSION_SECRETS,
    PUBLIC_URL: TEST_PUBLIC_URL,
    SEED_DEMO_DATA: "true",
    TMPDIR: tempDir("store-entry-tmp-"),
    ...UNLIMITED,
    ...env,
  };
}

type Entry = {
  child: ReturnType<typeof spawn>;
  output: () => string;
  exited: Promise<number | null>;
  url: string;
  /** The node process the entry script started. */
  serverPid: () => number;
  litestreamPid: () => number;
};

const running: Entry[] = [];
afterAll(() => {
  for (const entry of running) if (entry.child.exitCode === null) entry.child.kill("SIGKILL");
});

/** Child processes of `pid` with their command lines. */
function children(pid: number): { pid: number; args: string[] }[] {
  const listed = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
  return listed
    ? listed.split(" ").map((p) => ({ pid: Number(p), args: readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0") }))
    : [];
}

describe.skipIf(!binary)("the image's entry script with a file:// replica (real Litestream)", () => {
  // One store's data folder and replica, as two volumes would hold them.
  function store() {
    const root = tempDir("store-replica-");
    const data = join(root, "data");
    const replica = join(root, "replica");
    mkdirSync(data);
    return { data, replica, db: join(data, "store.db"), env: { DATABASE_PATH: join(data, "store.db"), LITESTREAM_REPLICA_URL: `file://${replica}` } };
  }

  async function startEntry(env: Record<string, string>, cwd = PROJECT_ROOT): Promise<Entry> {
    const child = spawn("sh", [ENTRY, process.execPath, SERVER_BUILD], { cwd, env: serverEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.stderr!.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const found = listeningUrl(output);
        if (found) {
          clearInterval(timer);
          resolve(found);
        }
      }, 50);
      void exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`the entry script exited ${code} before the server listened:\n${output}`));
      });
    });
    const find = (name: string) => () => {
      const found = children(child.pid!).find((c) => c.args.some((a) => a.endsWith(name)));
      if (!found) throw new Error(`no ${name} process under the entry script`);
      return found.pid;
    };
    const entry = { child, output: () => output, exited, url, serverPid: find(SERVER_BUILD), litestreamPid: find("litestream") };
    running.push(entry);
    return entry;
  }

  /** The public ids of the orders in a database file. */
  function orderIds(path: string): Set<string> {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return new Set(db.prepare("SELECT public_id FROM orders").pluck().all() as string[]);
    } finally {
      db.close();
    }
  }

  /** What a restore from the replica holds now (a scratch copy; the database is left alone). */
  function restoredOrderIds(replicaUrl: string) {
    const out = join(tempDir(), "restored.db");
    const result = spawnSync(binary!, ["restore", "-o", out, replicaUrl], { encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    return orderIds(out);
  }

  it("replicates while serving; a stop loses nothing; a lost database is restored at the next start", async () => {
    const s = store();
    const first = await startEntry(s.env);
    expect(first.output()).toContain(`replica: no database at ${s.db}; restoring`);
    expect(first.output()).toContain("replica: the replica holds no copy yet; starting with a new database");
    expect(first.output()).toMatch(/msg="replicating to" name=file type=file sync-interval=1s/);

    const load = ordersUnderLoad(first.url);
    await delay(2_500);
    first.child.kill("SIGTERM"); // docker stop, through tini
    const acked = await load.done;
    expect(await first.exited).toBe(0);
    expect(acked.length).toBeGreaterThan(3);
    expect(first.output()).toMatch(/\[store\] stopped\n[\s\S]*replica: server exited \(0\); litestream's final sync[\s\S]*litestream shut down/);

    // A dead disk: the data folder is gone; the replica is on another one.
    rmSync(s.data, { recursive: true });
    mkdirSync(s.data);
    const second = await startEntry(s.env);
    expect(second.output()).toMatch(/replica: restored .*store\.db in \d+ s/);
    expect(second.output()).toContain("migrations: up to date");
    expect(second.output()).not.toMatch(/seeded \d+/);
    for (const order of acked) expect((await fetch(`${second.url}/orders/${order.publicId}`)).status).toBe(200);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    expect(orderIds(s.db)).toEqual(new Set(acked.map((o) => o.publicId)));

    // Files for the store's user only, Litestream's included.
    const modes = readdirSync(s.data, { recursive: true }).map((p) => ({
      path: String(p),
      mode: (statSync(join(s.data, String(p))).mode & 0o777).toString(8),
    }));
    expect(modes.map((m) => m.path)).toEqual(expect.arrayContaining([".store.db-litestream", "store.db"]));
    expect(modes.filter((m) => m.mode !== "600" && m.mode !== "700")).toEqual([]);
  });

  it("keeps the storage credentials out of the server's environment (Litestream has them)", async () => {
    const s = store();
    // A file:// replica ignores the keys, so fake ones are harmless here.
    const entry = await startEntry({ ...s.env, LITESTREAM_ACCESS_KEY_ID: "AKIDEXAMPLE", LITESTREAM_SECRET_ACCESS_KEY: "not-for-node", AWS_SESSION_TOKEN: "nor-this" });
    const environ = (pid: number) => readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    const server = environ(entry.serverPid());
    expect(server).toContain(`DATABASE_PATH=${s.db}`);
    expect(server.filter((v) => /^(LITESTREAM|AWS)_/.test(v))).toEqual([]);
    expect(environ(entry.litestreamPid())).toContain("LITESTREAM_SECRET_ACCESS_KEY=not-for-node");
    entry.child.kill("SIGTERM");
    expect(await entry.exited).toBe(0);
  });

  it("a server that exits non-zero (a second SIGTERM) still gets the final sync, and its exit code is the script's", async () => {
    const s = store();
    // The first signal starts a 3 s wait before draining; the second exits 1 at once.
    const entry = await startEntry({ ...s.env, SHUTDOWN_DELAY_MS: "3000" });
    const load = ordersUnderLoad(entry.url);
    await delay(2_000);
    entry.child.kill("SIGTERM");
    const signalled = Date.now();
    await delay(1_000); // orders keep coming while the store waits
    load.stop();
    const acked = await load.done;
    // The orders that matter most: acknowledged after the first signal, just before the exit.
    expect(acked.filter((o) => o.ackedAt > signalled).length).toBeGreaterThan(0);
    entry.child.kill("SIGTERM");
    expect(await entry.exited).toBe(1);
    expect(entry.output()).toContain("[store] SIGTERM again: exiting now");
    expect(entry.output()).toContain("replica: server exited (1); litestream's final sync");
    // Every acknowledged order is in the replica, the last ones included.
    const restored = restoredOrderIds(`file://${s.replica}`);
    expect(acked.filter((o) => !restored.has(o.publicId))).toEqual([]);
  });

  it("a server killed outright (SIGKILL: no drain, no close) still gets the final sync; the script exits 137", async () => {
    const s = store();
    const entry = await startEntry(s.env);
    const load = ordersUnderLoad(entry.url);
    await delay(2_000);
    process.kill(entry.serverPid(), "SIGKILL");
    const acked = await load.done;
    expect(await entry.exited).toBe(137);
    const restored = restoredOrderIds(`file://${s.replica}`);
    expect(acked.filter((o) => !restored.has(o.publicId))).toEqual([]);
    expect(acked.length).toBeGreaterThan(0);
  });

  it("when Litestream stops by itself, the server is stopped too (drained), and the script exits 1", async () => {
    const s = store();
    const entry = await startEntry(s.env);
    process.kill(entry.litestreamPid(), "SIGKILL");
    expect(await entry.exited).toBe(1);
    expect(entry.output()).toContain("[store] replica: litestream exited; stopping the server");
    expect(entry.output()).toContain("[store] stopped");
  });

  it("a replica it cannot read, with no database: exits 1 rather than start an empty store", async () => {
    const s = store();
    // An S3 endpoint nobody listens on (port 9, discard): the replica's listing fails.
    const result = spawnSync("sh", [ENTRY, process.execPath, SERVER_BUILD], {
      cwd: PROJECT_ROOT,
      env: serverEnv({
        DATABASE_PATH: s.db,
        LITESTREAM_REPLICA_URL: "s3://shop-backups/store",
        LITESTREAM_ENDPOINT: "http://127.0.0.1:9",
        LITESTREAM_REGION: "auto",
        LITESTREAM_ACCESS_KEY_ID: "AKIDEXAMPLE",
        LITESTREAM_SECRET_ACCESS_KEY: "not-a-real-secret",
      }),
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).toContain("[store] replica: cannot read the replica (Litestream's reason above), so cannot tell whether it holds this store; not starting");
    expect(result.stdout + result.stderr).not.toContain("not-a-real-secret");
    expect(readdirSync(s.data)).toEqual([]);
  });

  it("a one-off command (the CLI) is run as it is, after the restore: nothing replicates beside it", async () => {
    const s = store();
    const entry = await startEntry(s.env);
    const placed = await placeOrder(entry.url);
    entry.child.kill("SIGTERM");
    expect(await entry.exited).toBe(0);
    rmSync(s.data, { recursive: true });
    mkdirSync(s.data);

    const status = spawnSync("sh", [ENTRY, process.execPath, "app/cli/cli.ts", "status"], { cwd: PROJECT_ROOT, env: serverEnv(s.env), encoding: "utf8" });
    expect(status.status, status.stderr).toBe(0);
    expect(status.stderr).toMatch(/replica: restored .*store\.db/);
    expect(status.stdout).toMatch(/\d+ applied, 0 pending\./);
    expect(status.stdout).not.toContain("problem");
    expect(status.stdout + status.stderr).not.toContain("replicating to");
    expect(orderIds(s.db)).toEqual(new Set([placed.publicId]));
  });

  it("an upgrade with replication on: the snapshot before migrating and the migration work, replicate, and status and check ignore Litestream's tables", async () => {
    const s = store();
    const first = await startEntry(s.env);
    await placeOrder(first.url);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);

    // The next release: one more migration, started on the same data and replica.
    const next = stageApp(tempDir("store-next-"));
    appendMigration(join(next, "drizzle"), UPGRADE, "ALTER TABLE `orders` ADD `gift_note` text DEFAULT '' NOT NULL;");
    const second = await startEntry(s.env, next);
    expect(second.output()).toMatch(/migrations: snapshot \S+\/backups\/pre-migrate_\S+\.db/);
    expect(second.output()).toContain(`migrations: applied ${UPGRADE}`);
    await placeOrder(second.url);

    const db = new Database(s.db, { readonly: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    db.close();
    expect(tables).toEqual(expect.arrayContaining(["_litestream_seq", "_litestream_lock"]));
    const status = await runNode(["app/cli/cli.ts", "status"], { cwd: next, env: { DATABASE_PATH: s.db } });
    expect(status.code, status.output).toBe(0);
    expect(status.output).toMatch(/\d+ applied, 0 pending\./);
    expect(status.output).not.toContain("problem");
    const check = await runNode(["app/cli/cli.ts", "check"], { cwd: next, env: { DATABASE_PATH: s.db } });
    expect(check.code, check.output).toBe(0);
    expect(check.output).toContain("integrity_check ok");

    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    const restored = join(tempDir(), "restored.db");
    expect(spawnSync(binary!, ["restore", "-o", restored, `file://${s.replica}`]).status).toBe(0);
    const copy = new Database(restored, { readonly: true });
    expect(copy.prepare("SELECT count(*) AS n, min(gift_note) AS note FROM orders").get()).toEqual({ n: 2, note: "" });
    copy.close();
  });

  describe("the restore drill (node app/cli/cli.ts replica drill)", () => {
    const drill = (env: Record<string, string>, ...args: string[]) =>
      runNode(["app/cli/cli.ts", "replica", "drill", ...args], { env: serverEnv(env) });
    // Where the scenario is what the drill says of a missing replica or database: in-process.
    const drillInProcess = (env: Record<string, string>, ...args: string[]) => runCliWith(["replica", "drill", ...args], { env: serverEnv(env) });

    it("passes against a healthy replica while the store serves: counts, newest order, lag; it leaves no files", async () => {
      const s = store();
      const entry = await startEntry(s.env);
      for (let i = 0; i < 3; i++) await placeOrder(entry.url);
      await delay(2 * SYNC_INTERVAL_MS);
      const before = readdirSync(s.data).sort();
      const result = await drill(s.env);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toMatch(/restored the newest copy from file:\/\/\S+ in [\d.]+ s/);
      expect(result.output).toContain("integrity_check: ok");
      expect(result.output).toMatch(/^ {2}orders +3 +3$/m);
      expect(result.output).toMatch(/newest order: live order 3 of .* UTC; replica order 3 of .* UTC/);
      expect(result.output).toMatch(/lag: [\d.]+ s behind the database's last write/);
      expect(result.output).not.toContain("_litestream");
      expect(result.output).toContain("replica drill: ok");
      expect(readdirSync(s.data).sort()).toEqual(before);
      entry.child.kill("SIGTERM");
      expect(await entry.exited).toBe(0);
    });

    it("fails against a stale replica: orders written since replication stopped", async () => {
      const s = store();
      const entry = await startEntry(s.env);
      await placeOrder(entry.url);
      entry.child.kill("SIGTERM");
      expect(await entry.exited).toBe(0);
      // The store back without replication (Litestream not running): two more orders, 3 s later.
      await delay(3_000);
      const plain = spawn(process.execPath, [SERVER_BUILD], { cwd: PROJECT_ROOT, env: serverEnv({ DATABASE_PATH: s.db }), stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      plain.stdout.on("data", (chunk) => (output += chunk));
      await expect.poll(() => listeningUrl(output), { timeout: 30_000 }).toBeDefined();
      await placeOrder(listeningUrl(output)!);
      await placeOrder(listeningUrl(output)!);

      const result = await drill(s.env, "--max-lag", "2");
      expect(result.code, result.output).toBe(1);
      expect(result.output).toMatch(/^ {2}orders +3 +1 +differs$/m);
      expect(result.output).toMatch(/replica failed: the replica is [\d.]+ s behind the database \(more than 2\.0 s\): is Litestream running\?/);
      plain.kill("SIGTERM");
    });

    it("fails against a missing replica, and without a database to compare with", async () => {
      const s = store();
      const entry = await startEntry({ ...s.env, LITESTREAM_REPLICA_URL: `file://${join(dirname(s.replica), "elsewhere")}` });
      entry.child.kill("SIGTERM");
      expect(await entry.exited).toBe(0);
      const missing = await drillInProcess(s.env);
      expect(missing.code).toBe(1);
      expect(missing.output).toContain(`replica failed: the replica (file://${s.replica}) holds no copy of ${s.db}`);
      expect(existsSync(s.replica)).toBe(false);

      const noDatabase = await drillInProcess({ ...s.env, DATABASE_PATH: join(s.data, "nothing.db") });
      expect(noDatabase.code).toBe(1);
      expect(noDatabase.output).toContain("replica failed: no database at");

      const off = await drillInProcess({ DATABASE_PATH: s.db });
      expect(off.code).toBe(1);
      expect(off.output).toContain("no replica to drill: LITESTREAM_REPLICA_URL is not set");
    });
  });
});

it.runIf(!binary && process.env.REQUIRE_LITESTREAM === "1")("REQUIRE_LITESTREAM=1: the litestream program must be here", () => {
  expect.fail(`no litestream program on PATH or in node_modules (${process.platform} ${process.arch}); REQUIRE_LITESTREAM is set`);
});

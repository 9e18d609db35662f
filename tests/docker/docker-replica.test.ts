// Off-site replication in the real image under Docker Compose: Litestream
// copied from the pinned image (or its stand-in, tests/helpers/litestream-image.sh),
// the entry script, a file:// replica on a second volume (./replica, mounted
// at /app/replica), orders under load, and what an operator does to a store:
// `docker kill`, a deleted data volume, `docker compose stop`, a server that
// exits non-zero. Part of `npm run test:docker`; the image with replication
// off is tests/docker/docker-image.test.ts.
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeStore, type ComposeStore } from "#tests/helpers/compose-store.ts";
import { bindMountsKeepOwners, docker, dockerUnavailable, run } from "#tests/helpers/docker.ts";
import { ordersUnderLoad, type AckedOrder } from "#tests/helpers/orders-under-load.ts";
import { delay, UNLIMITED } from "#tests/helpers/server.ts";

const unavailable = dockerUnavailable();
const ownersKept = !unavailable && bindMountsKeepOwners();
const IMAGE = `corner-store-test:${process.pid}-replica`;
const SYNC_INTERVAL_MS = 1_000; // LITESTREAM_SYNC_INTERVAL's default

describe.skipIf(unavailable)("the image with a file:// replica on a second volume", () => {
  let store: ComposeStore;
  const images = new Set<string>([IMAGE]);

  beforeAll(async () => {
    store = await composeStore({
      image: IMAGE,
      // The first signal waits 5 s before draining: room for orders, then a second signal (below).
      env: { LITESTREAM_REPLICA_URL: "file:///app/replica", SHUTDOWN_DELAY_MS: "5000", ...UNLIMITED },
      volumes: ["replica:/app/replica"],
    });
    await store.must("build");
    images.add(await docker("image", "inspect", "-f", "{{.Id}}", IMAGE));
  });

  afterAll(async () => {
    await store?.remove();
    for (const image of images) await run("docker", ["rmi", "-f", image]);
  });

  /** The acknowledged orders the store's database lacks. */
  async function missing(acked: AckedOrder[]) {
    const present = new Set((await store.sql<{ public_id: string }>("SELECT public_id FROM orders")).map((o) => o.public_id));
    return acked.filter((o) => !present.has(o.publicId));
  }

  /** A lost volume: ./data emptied while the store is down, then `up -d`; the store must restore itself. */
  async function loseDataAndStart() {
    // `docker logs` holds every run of the container: count, do not just match.
    const restores = async () => (await store.logs()).match(/\[store\] replica: restored \/app\/data\/store\.db in \d+ s/g)?.length ?? 0;
    const before = await restores();
    await store.emptyData();
    expect(readdirSync(store.data)).toEqual([]);
    await store.must("up", "-d");
    await store.healthy();
    expect(await restores()).toBe(before + 1);
    const log = await store.logs();
    expect(log.trimEnd().split("\n").filter((l) => l.includes("migrations:")).at(-1)).toBe("[store] migrations: up to date");
  }

  it("carries the pinned Litestream at /usr/local/bin/litestream", async () => {
    const version = await docker("run", "--rm", "--network", "none", "--entrypoint", "litestream", IMAGE, "version");
    expect(version).toBe("v0.3.13");
  });

  it("replicates while serving: litestream beside node under the entry script, every process uid 1000", async () => {
    await store.prepareData();
    await store.must("up", "-d");
    await store.healthy();
    const log = await store.logs();
    expect(log).toContain("[store] replica: the replica holds no copy yet; starting with a new database");
    expect(log).toMatch(/msg="replicating to" name=file type=file sync-interval=1s path=\/app\/replica/);
    expect(log).toContain("[store] listening on 0.0.0.0:3000 (production)");

    const processes = await docker("top", (await store.inspect()).id, "-eo", "pid,uid,args");
    expect(processes).toMatch(/^\s*\d+\s+1000\s+node build\/server\/server\.js\s*$/m);
    expect(processes).toMatch(/^\s*\d+\s+1000\s+litestream replicate -config \S+ -no-expand-env\s*$/m);
    expect(processes).not.toMatch(/^\s*\d+\s+0\s/m);
  });

  it("`docker kill` under load, then a deleted data volume: the store restores itself; every order acknowledged more than the sync interval before the kill is there", async () => {
    const load = ordersUnderLoad(store.url, 4);
    await delay(5_000);
    const { id } = await store.inspect();
    // The kill lands somewhere between these two moments (`docker kill` takes a while under load).
    const killStarted = Date.now();
    await docker("kill", id);
    const killReturned = Date.now();
    const acked = await load.done;
    await store.must("stop"); // in case the restart policy brought it back

    await loseDataAndStart();
    const lost = await missing(acked);
    // The RPO measured: how long before the kill the oldest lost order was
    // acknowledged (counted from when `docker kill` returned: an upper bound).
    const rpoMs = lost.length ? killReturned - Math.min(...lost.map((o) => o.ackedAt)) : 0;
    console.log(
      `docker kill: ${acked.length} orders acknowledged in 5 s, ${lost.length} lost, the oldest of them acknowledged ` +
        `${rpoMs} ms before \`docker kill\` returned (it took ${killReturned - killStarted} ms; sync interval ${SYNC_INTERVAL_MS} ms)`,
    );
    expect(acked.length).toBeGreaterThan(10);
    expect(lost.filter((o) => o.ackedAt < killStarted - SYNC_INTERVAL_MS)).toEqual([]);
  });

  it("`docker compose stop` under load loses nothing: the server drains, then Litestream syncs a last time", async () => {
    const load = ordersUnderLoad(store.url, 4);
    await delay(3_000);
    await store.must("stop");
    const acked = await load.done;
    const { state } = await store.inspect();
    expect(state.ExitCode).toBe(0);
    const log = await store.logs();
    expect(log).toContain("[store] replica: server exited (0); litestream's final sync");
    expect(log).toMatch(/msg="litestream shut down"/);

    await loseDataAndStart();
    expect(acked.length).toBeGreaterThan(0);
    expect(await missing(acked)).toEqual([]);
  });

  it("a server that exits non-zero (a second SIGTERM) still gets the final sync; the container exits with the server's code", async () => {
    const { id } = await store.inspect();
    const load = ordersUnderLoad(store.url, 4);
    await delay(3_000);
    await docker("kill", "--signal", "TERM", id);
    const signalled = Date.now();
    await delay(3_500); // orders keep coming in the 5 s before draining
    load.stop();
    const acked = await load.done;
    // The orders that matter most: acknowledged after the first signal, just before the exit.
    expect(acked.filter((o) => o.ackedAt > signalled).length).toBeGreaterThan(0);
    const exited = docker("wait", id); // before the signal: the exit it reports is this one
    await docker("kill", "--signal", "TERM", id);
    expect(await exited).toBe("1");
    const log = await store.logs();
    expect(log).toContain("[store] SIGTERM again: exiting now");
    expect(log).toContain("[store] replica: server exited (1); litestream's final sync");
    await store.must("stop");

    await loseDataAndStart();
    expect(await missing(acked)).toEqual([]);
  });

  it("the restore drill passes in the running container (`exec -T`, as cron runs it)", async () => {
    const drill = await store.compose("exec", "-T", "store", "node", "app/cli/cli.ts", "replica", "drill");
    expect(drill.code, drill.stdout + drill.stderr).toBe(0);
    expect(drill.stdout).toContain("integrity_check: ok");
    expect(drill.stdout).toMatch(/^ {2}orders +(\d+) +\1$/m);
    expect(drill.stdout).toContain("replica drill: ok");
  });

  it.skipIf(!ownersKept)("writes nothing another account may read, in ./data or ./replica", async () => {
    for (const folder of [store.data, join(store.dir, "replica")]) {
      const entries = readdirSync(folder, { recursive: true }).map((p) => join(folder, String(p)));
      expect(entries.length).toBeGreaterThan(0);
      const wrong = entries
        .map((path) => ({ path, stat: lstatSync(path) }))
        .filter(({ stat }) => stat.uid !== 1000 || !["600", "700"].includes((stat.mode & 0o777).toString(8)));
      expect(wrong.map((w) => w.path)).toEqual([]);
    }
  });
});

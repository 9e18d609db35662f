// WEB_CONCURRENCY's default: the CPUs the store may use, a container's CPU
// limit (the cgroup quota) included, read from files laid out as cgroup v2
// and v1 lay them out. (Checked in real containers too: `docker run --cpus=1`
// gives 1 where Node's os.availableParallelism() said 2, `--cpus=1.5` gives 2;
// docs/decisions/039-workers-on-one-host.md.)
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cpuQuota } from "#app/core/cpus.server.ts";
import { parseEnv } from "#app/core/env.server.ts";
import { tempDir } from "#tests/helpers/db.ts";

function cgroup(files: Record<string, string>) {
  const root = tempDir("cgroup-");
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), `${content}\n`);
  }
  return root;
}

describe("the CPU quota", () => {
  it("reads cgroup v2's cpu.max: a quota over a period, or none", () => {
    expect(cpuQuota(cgroup({ "cpu.max": "150000 100000" }))).toBe(1.5);
    expect(cpuQuota(cgroup({ "cpu.max": "max 100000" }))).toBeUndefined();
  });

  it("reads cgroup v1's cfs files, where -1 is no quota", () => {
    expect(cpuQuota(cgroup({ "cpu/cpu.cfs_quota_us": "200000", "cpu/cpu.cfs_period_us": "100000" }))).toBe(2);
    expect(cpuQuota(cgroup({ "cpu,cpuacct/cpu.cfs_quota_us": "50000", "cpu,cpuacct/cpu.cfs_period_us": "100000" }))).toBe(0.5);
    expect(cpuQuota(cgroup({ "cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000" }))).toBeUndefined();
  });

  it("is none without cgroup files", () => {
    expect(cpuQuota(tempDir("no-cgroup-"))).toBeUndefined();
  });
});

describe("WEB_CONCURRENCY", () => {
  it("is one process in development and a number from 1 in production, the usable CPUs by default", () => {
    expect(parseEnv({ NODE_ENV: "development" }).WEB_CONCURRENCY).toBe(1);
    const quota = cpuQuota();
    const usable = quota === undefined ? availableParallelism() : Math.max(1, Math.min(availableParallelism(), Math.ceil(quota)));
    expect(parseEnv({ NODE_ENV: "production" }).WEB_CONCURRENCY).toBe(usable);
    expect(parseEnv({ NODE_ENV: "production", WEB_CONCURRENCY: "3" }).WEB_CONCURRENCY).toBe(3);
    expect(() => parseEnv({ NODE_ENV: "production", WEB_CONCURRENCY: "0" })).toThrow(/WEB_CONCURRENCY/);
  });
});

// The default for WEB_CONCURRENCY. os.availableParallelism() sees the CPU
// affinity (`--cpuset-cpus`) but not always a CPU quota (`--cpus=1.5`, a
// Kubernetes limit): Node 24.21 answered 2 in a one-CPU container on a cgroup
// v1 host, measured here. So the quota is read from cgroup files and rounded
// up: 1.5 CPUs make two workers.

import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** The CPU quota in CPUs (1.5 for `--cpus=1.5`), or undefined when there is none. */
export function cpuQuota(root = "/sys/fs/cgroup"): number | undefined {
  // cgroup v2: "max 100000" (no quota) or "150000 100000".
  const v2 = read(`${root}/cpu.max`)?.split(/\s+/);
  if (v2 && v2[0] !== "max") {
    const [quota, period] = v2.map(Number);
    if (quota! > 0 && period! > 0) return quota! / period!;
  }
  // cgroup v1: a quota of -1 is no quota.
  for (const dir of [`${root}/cpu`, `${root}/cpu,cpuacct`]) {
    const quota = Number(read(`${dir}/cpu.cfs_quota_us`));
    const period = Number(read(`${dir}/cpu.cfs_period_us`));
    if (quota > 0 && period > 0) return quota / period;
  }
  return undefined;
}

/** The CPUs this process can use: its CPU affinity, capped by the cgroup quota. */
export function usableCpus(): number {
  const quota = cpuQuota();
  const cpus = availableParallelism();
  return quota === undefined ? cpus : Math.max(1, Math.min(cpus, Math.ceil(quota - 1e-9)));
}

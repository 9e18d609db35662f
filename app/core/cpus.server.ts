// How many processes this host (or container) can keep busy: the default for
// WEB_CONCURRENCY. os.availableParallelism() counts the CPUs this process may
// be scheduled on (its affinity mask, so `docker run --cpuset-cpus` is seen),
// but not a CPU *quota* (`docker run --cpus=1.5`, a Kubernetes CPU limit) on
// every host: Node 24.21 (libuv 1.52) still answered 2 in a container limited
// to one CPU on a cgroup v1 host, measured here. So the quota is read here,
// from cgroup v2's cpu.max or cgroup v1's cfs files, and rounded up: 1.5
// CPUs make two workers, each busy three quarters of the time.
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

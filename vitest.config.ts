import { defineConfig } from "vitest/config";

// Files that time what they test (a drain deadline, a lock timeout, a rate
// window, orders under load while a process is killed, a replica's lag) run
// one at a time, after the rest: a second file beside them on a 2-CPU machine
// would stretch the times they measure. docs/testing.md says what each costs.
const TIMED = [
  "tests/ops/replica.test.ts",
  "tests/ops/migration-concurrency.test.ts",
  "tests/ops/server-lifecycle.test.ts",
  "tests/ops/faults.test.ts",
  "tests/web/workers.test.ts",
  "tests/web/rate-limits.test.ts",
  "tests/web/mail-server.test.ts",
  "tests/shop/checkout-concurrency.test.ts",
  "tests/shop/ledger-concurrency.test.ts",
  "tests/shop/payments-crash.test.ts",
  "tests/shop/mail.test.ts",
];

export default defineConfig({
  test: {
    setupFiles: ["tests/setup.ts"],
    // Tests start real servers and child processes: give them room, and keep
    // the per-test databases apart by running files in separate processes.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: "integration",
          include: ["tests/**/*.test.ts"],
          exclude: ["tests/e2e/**", "tests/docker/docker-image.test.ts", "tests/docker/docker-replica.test.ts", "node_modules/**", ...TIMED],
          // Two files at a time. Vitest's default is one fewer than the CPUs,
          // which is one on a 2-CPU machine, and these files mostly wait on the
          // servers and CLI processes they start, so a second one fills the
          // idle CPU. Each file has its own temporary folder, databases and
          // ports, and reads the project without writing to it.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "integration-timed",
          include: TIMED,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      // The real image under Docker Compose: minutes, not seconds, so it runs
      // as its own step, `npm run test:docker` (tests/helpers/run-docker-tests.ts).
      {
        extends: true,
        test: {
          name: "docker",
          include: ["tests/docker/docker-image.test.ts", "tests/docker/docker-replica.test.ts"],
          testTimeout: 300_000,
          // One file at a time: each drives containers that time their
          // stops and losses, on a machine the other one would load.
          fileParallelism: false,
          sequence: { groupOrder: 2 },
          hookTimeout: 900_000,
        },
      },
    ],
  },
});

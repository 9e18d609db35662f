import { defineConfig } from "vitest/config";

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
          exclude: ["tests/e2e/**", "tests/docker/docker-image.test.ts", "tests/docker/docker-replica.test.ts", "node_modules/**"],
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
          hookTimeout: 900_000,
        },
      },
    ],
  },
});

// `npm run test:docker`: builds the image and drives it through Compose
// (tests/docker/docker-image.test.ts) when a Docker engine answers. Without one it
// says so in one line and succeeds, so `npm test` passes on a laptop without
// Docker; CI sets REQUIRE_DOCKER=1 so a broken engine there fails instead
// (the same guard as the test file's: dockerSkipReason).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { composeCommand, dockerSkipReason, litestreamImageMissing } from "#tests/helpers/docker.ts";
import { RequiredScenarioError } from "#tests/helpers/required.ts";

let skipped: string | undefined;
try {
  skipped = dockerSkipReason();
} catch (error) {
  if (!(error instanceof RequiredScenarioError)) throw error;
  console.error(`test:docker: ${error.message}`);
  process.exit(1);
}
if (skipped) process.exit(0);

// The Dockerfile copies Litestream from a pinned image; without a registry,
// a stand-in is built from the npm package's binary (linux x64 only).
const litestream = litestreamImageMissing(join(import.meta.dirname, "..", ".."));
if (litestream) {
  if (process.env.REQUIRE_DOCKER || process.env.REQUIRE_LITESTREAM) {
    console.error(`test:docker: cannot build the image: ${litestream}`);
    process.exit(1);
  }
  console.log(`test:docker: skipped the Docker image and Compose scenarios: ${litestream}`);
  process.exit(0);
}

console.log(`test:docker: using \`${composeCommand()!.join(" ")}\``);
// Extra arguments pick files or tests: npm run test:docker -- tests/docker/docker-replica.test.ts
const vitest = spawnSync("npx", ["vitest", "run", "--project", "docker", ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(vitest.status ?? 1);

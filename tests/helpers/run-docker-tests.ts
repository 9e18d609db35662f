// `npm run test:docker`: builds the image and drives it through Compose
// (tests/docker-image.test.ts) when a Docker engine answers. Without one it
// says so in one line and succeeds, so `npm test` passes on a laptop without
// Docker; CI sets REQUIRE_DOCKER=1 so a broken engine there fails instead.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { composeCommand, dockerUnavailable, litestreamImageMissing } from "#tests/helpers/docker.ts";

const reason = dockerUnavailable();
if (reason) {
  if (process.env.REQUIRE_DOCKER) {
    console.error(`test:docker: cannot run the Docker scenarios: ${reason} (REQUIRE_DOCKER is set)`);
    process.exit(1);
  }
  console.log(`test:docker: skipped the Docker image and Compose scenarios: ${reason}`);
  process.exit(0);
}

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
// Extra arguments pick files or tests: npm run test:docker -- tests/docker-replica.test.ts
const vitest = spawnSync("npx", ["vitest", "run", "--project", "docker", ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(vitest.status ?? 1);

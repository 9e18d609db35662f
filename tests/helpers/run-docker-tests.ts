// `npm run test:docker`: builds the image and drives it through Compose
// (tests/docker-image.test.ts) when a Docker engine answers. Without one it
// says so in one line and succeeds, so `npm test` passes on a laptop without
// Docker; CI sets REQUIRE_DOCKER=1 so a broken engine there fails instead
// (the same guard as the test file's: dockerSkipReason).
import { spawnSync } from "node:child_process";
import { composeCommand, dockerSkipReason } from "#tests/helpers/docker.ts";
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

console.log(`test:docker: using \`${composeCommand()!.join(" ")}\``);
const vitest = spawnSync("npx", ["vitest", "run", "--project", "docker"], { stdio: "inherit" });
process.exit(vitest.status ?? 1);

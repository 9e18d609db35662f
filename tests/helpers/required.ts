// Scenarios some machines cannot run: the Docker image (no engine), files
// owned by root and a full disk (not root, no tmpfs). On a laptop they skip
// with a printed line saying what and why. CI requires them with a variable
// (.ci/run sets both), and then a missing engine or a missing root is a
// failure: a green run there means every scenario ran.
// Node built-ins only: `npm run test:docker` loads this before Vitest starts.

export type Requirement = "REQUIRE_DOCKER" | "REQUIRE_FAULT_TESTS";

/** Whether this run must not skip what `requirement` covers ("1", "true"; unset, "" or "0" is off). */
export function isRequired(requirement: Requirement): boolean {
  const value = process.env[requirement] ?? "";
  return value !== "" && value !== "0" && value !== "false";
}

/** Thrown when a required scenario cannot run here. */
export class RequiredScenarioError extends Error {}

/**
 * For a scenario that cannot run here (`reason`): throws under `requirement`;
 * otherwise prints one line naming what is skipped and returns the reason,
 * for `context.skip(reason)` or a skipped suite.
 */
export function skipOrFail(requirement: Requirement, what: string, reason: string): string {
  if (isRequired(requirement)) {
    throw new RequiredScenarioError(`cannot run ${what}: ${reason} (${requirement} is set, so this is a failure, not a skip)`);
  }
  console.log(`skipped ${what}: ${reason} (${requirement}=1 makes this a failure)`);
  return reason;
}

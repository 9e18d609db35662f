// The environment the store reads at startup (app/env.server.ts).
import { describe, expect, it } from "vitest";
import { parseEnv } from "#app/env.server.ts";

describe("environment defaults", () => {
  it("finish a graceful stop before `docker stop` sends SIGKILL (10 s unless told otherwise)", () => {
    for (const NODE_ENV of ["production", "development"]) {
      const config = parseEnv({ NODE_ENV });
      // A second to spare for closing the database after the last response.
      expect(config.SHUTDOWN_DELAY_MS + config.SHUTDOWN_TIMEOUT_MS).toBeLessThanOrEqual(9_000);
    }
  });
});

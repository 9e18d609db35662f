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

  it("listen on this machine only in development, on every interface in production (the image)", () => {
    expect(parseEnv({ NODE_ENV: "development" }).HOST).toBe("127.0.0.1");
    expect(parseEnv({}).HOST).toBe("127.0.0.1");
    expect(parseEnv({ NODE_ENV: "production", SESSION_SECRET: "x".repeat(64) }).HOST).toBe("0.0.0.0");
    expect(parseEnv({ NODE_ENV: "development", HOST: "0.0.0.0" }).HOST).toBe("0.0.0.0");
  });
});

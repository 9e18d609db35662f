// Runs in every Vitest test file (vitest.config.ts setupFiles).
import { afterAll, afterEach } from "vitest";
import { closeTestDatabases, removeTempDirs } from "#tests/helpers/db.ts";

afterEach(closeTestDatabases);
// Registered before the test file's own hooks, so it runs after them
// (Vitest runs after-hooks as a stack): servers are stopped by then.
afterAll(removeTempDirs);

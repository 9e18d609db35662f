// Runs in every Vitest test file (vitest.config.ts setupFiles).
import { afterEach } from "vitest";
import { closeTestDatabases } from "#tests/helpers/db.ts";

afterEach(closeTestDatabases);

// The store's files are its user's alone: created with mode 0600 (folders
// 0700), by the server and by the CLI, whatever the umask it was started with.
import { mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "#tests/helpers/db.ts";
import { appendMigration } from "#tests/helpers/migrations.ts";
import { runNode, stageApp, startServer, stopServer } from "#tests/helpers/server.ts";

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe("file modes", () => {
  it("database, -wal, -shm, snapshots and backups are readable by the store's user only", async () => {
    const app = stageApp(tempDir("store-modes-app-"));
    const data = join(tempDir("store-modes-"), "data");
    mkdirSync(data);
    const env = { DATABASE_PATH: join(data, "store.db"), SEED_DEMO_DATA: "true" };
    // A typical umask (022) in the parent: files would be 0644 without the store's own.
    process.umask(0o022);
    const first = await startServer({ cwd: app, env });
    expect(await fetch(`${first.url}/products/stoneware-mug`).then((r) => r.status)).toBe(200);
    for (const file of ["store.db", "store.db-wal", "store.db-shm"]) expect(mode(join(data, file)), file).toBe("600");
    await stopServer(first);

    // A migration on the next start snapshots the database into backups/.
    appendMigration(join(app, "drizzle"), "9100_touch", "CREATE TABLE touched (id integer);");
    const second = await startServer({ cwd: app, env });
    await stopServer(second);
    const backups = join(data, "backups");
    expect(mode(backups)).toBe("700");
    const [snapshot] = readdirSync(backups);
    expect(snapshot).toMatch(/^pre-migrate_/);
    expect(mode(join(backups, snapshot!))).toBe("600");

    const backup = await runNode(["app/cli/cli.ts", "backup", join(backups, "manual.db")], { cwd: app, env });
    expect(backup.code, backup.output).toBe(0);
    expect(mode(join(backups, "manual.db"))).toBe("600");
  });
});

// Database commands that work in the production image (no drizzle-kit):
//   npm run db:migrate   apply pending migrations, then exit (release step)
//   npm run db:seed      fill an empty catalog with the demo products
//   npm run db:status    applied and pending migrations (exit 1 on a problem)
import { join } from "node:path";
import { closeSharedDatabase, database } from "./connection.server.ts";
import { migrate, MigrationError } from "./migrator.server.ts";
import { seedDemoProducts } from "./seed.server.ts";
import { migrationStatus } from "./status.server.ts";
import { env, EnvError } from "../env.server.ts";

const MIGRATIONS_FOLDER = join(import.meta.dirname, "..", "..", "drizzle");

const commands: Record<string, () => void> = {
  migrate() {
    const result = migrate(database().$client, {
      migrationsFolder: MIGRATIONS_FOLDER,
      lockTimeoutMs: env().MIGRATION_LOCK_TIMEOUT_MS,
    });
    if (result.applied.length === 0) console.log("migrations: up to date");
    for (const m of result.applied) console.log(`migrations: applied ${m.tag} (${m.ms.toFixed(0)} ms)`);
  },
  seed() {
    const inserted = seedDemoProducts(database());
    console.log(inserted > 0 ? `seeded ${inserted} demo products` : "catalog not empty: nothing seeded");
  },
  status() {
    const status = migrationStatus(env().DATABASE_PATH, MIGRATIONS_FOLDER);
    console.log(status.text);
    if (status.problems.length > 0) process.exitCode = 1;
  },
};

const name = process.argv[2] ?? "";
const command = commands[name];
if (!command) {
  console.error(`usage: node app/db/cli.ts <${Object.keys(commands).join("|")}>`);
  process.exit(2);
}
try {
  command();
  closeSharedDatabase();
} catch (error) {
  const known = error instanceof MigrationError || error instanceof EnvError;
  console.error(`${name} failed: ${known ? error.message : String(error)}`);
  closeSharedDatabase();
  process.exit(1);
}

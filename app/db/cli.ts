// Database commands that work in the production image (no drizzle-kit):
//   npm run db:migrate            apply pending migrations, then exit (release step)
//   npm run db:seed               fill an empty catalog with the demo products
//   npm run db:status             applied and pending migrations (exit 1 on a problem)
//   npm run db:backup [file]      consistent online backup, safe while the store serves
//   npm run db:restore <file>     put a backup in place (server stopped)
// In the image: node app/db/cli.ts <command> [argument]
import { applyMigrations } from "./apply-migrations.server.ts";
import { backupDatabase, BackupError, defaultBackupPath, restoreDatabase } from "./backup.server.ts";
import { closeSharedDatabase, database, DataDirectoryError } from "./connection.server.ts";
import { MigrationError, MIGRATIONS_FOLDER } from "./migrator.server.ts";
import { seedDemoProducts } from "./seed.server.ts";
import { migrationStatus } from "./status.server.ts";
import { env, EnvError } from "../env.server.ts";

const commands: Record<string, (argument: string | undefined) => void> = {
  migrate() {
    const config = env();
    applyMigrations(database(), {
      databasePath: config.DATABASE_PATH,
      lockTimeoutMs: config.MIGRATION_LOCK_TIMEOUT_MS,
      keepSnapshots: config.BACKUP_KEEP,
      log: console.log,
    });
  },
  seed() {
    const inserted = seedDemoProducts(database());
    console.log(inserted > 0 ? `seeded ${inserted} demo products` : "catalog not empty: nothing seeded");
  },
  backup(target) {
    const source = env().DATABASE_PATH;
    const result = backupDatabase(source, target ?? defaultBackupPath(source));
    console.log(`backup written to ${result.path} (${(result.bytes / 1024).toFixed(0)} KiB, ${result.ms.toFixed(0)} ms), integrity ok`);
  },
  restore(file) {
    if (!file) throw new BackupError("usage: npm run db:restore -- <backup file>");
    const { replaced } = restoreDatabase(file, env().DATABASE_PATH);
    if (replaced) console.log(`previous database kept at ${replaced}`);
    console.log(`restored ${file}; pending migrations (if any) apply on the next start or db:migrate`);
  },
  status() {
    const status = migrationStatus(env().DATABASE_PATH, MIGRATIONS_FOLDER);
    console.log(status.text);
    if (status.problems.length > 0) process.exitCode = 1;
  },
};

const [name = "", argument] = process.argv.slice(2);
const command = commands[name];
if (!command) {
  console.error(`usage: node app/db/cli.ts <${Object.keys(commands).join("|")}> [argument]`);
  process.exit(2);
}
try {
  command(argument);
  closeSharedDatabase();
} catch (error) {
  const known =
    error instanceof MigrationError ||
    error instanceof EnvError ||
    error instanceof BackupError ||
    error instanceof DataDirectoryError;
  console.error(`${name} failed: ${known ? error.message : String(error)}`);
  closeSharedDatabase();
  process.exit(1);
}

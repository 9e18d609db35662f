// The store's one command line. Every command works in the production image
// (no drizzle-kit, no Vite), where it runs as `node app/cli/cli.ts <command>`;
// in a checkout, `npm run db:<command>` runs the same thing with .env loaded.
// Run with no command for the list. The commands are in run-cli.server.ts;
// this entry only hands them the process's argv, environment and streams.
import { runCli } from "#app/cli/run-cli.server.ts";

// Backups and a database this creates are for the store's user only (as in server.ts).
process.umask(0o077);

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  // Only touched by --password-stdin: opening it is not free, and a terminal's stays open.
  get stdin() {
    return process.stdin;
  },
});
// A failure exits at once, as before the split; success lets pending writes finish.
if (code === 0) process.exitCode = 0;
else process.exit(code);

// `node app/cli/cli.ts replica config|drill`.
import type { CliContext } from "#app/cli/run-cli.server.ts";
import { UsageError } from "#app/core/errors.ts";
import { replicaDrill, ReplicaDrillError } from "#app/ops/replica-drill.server.ts";
import { litestreamBinary, litestreamConfig, ReplicaConfigError, replicaSettings } from "#app/ops/replica.server.ts";

export function replicaCommand(
  action: string | undefined,
  options: { maxLagSeconds: number },
  { config, io, log, error }: CliContext,
) {
  const databasePath = config().DATABASE_PATH;
  const settings = replicaSettings(io.env, databasePath);

  if (action === "config") {
    // The container's entry script writes this to a file and hands it to
    // Litestream; notes go to stderr, so they reach the log and not the file.
    if (!settings) {
      error("replica: off (LITESTREAM_REPLICA_URL is not set)");
      return;
    }
    for (const note of settings.notes) error(`[store] replica: ${note}`);
    io.stdout.write(litestreamConfig(databasePath, settings));
    return;
  }

  if (action === "drill") {
    if (!settings) throw new ReplicaConfigError("no replica to drill: LITESTREAM_REPLICA_URL is not set (docs/operations.md#off-site-replication)");
    const binary = litestreamBinary();
    if (!binary) throw new ReplicaDrillError("the litestream program is not on PATH (the image has it; in a checkout, linux x64 gets it from npm)");
    const report = replicaDrill({ databasePath, settings, binary, maxLagMs: options.maxLagSeconds * 1000 });
    for (const line of report.lines) log(line);
    if (report.problems.length > 0) throw new ReplicaDrillError(report.problems.join("; "));
    log("replica drill: ok");
    return;
  }

  throw new UsageError(action ? `unknown replica action "${action}"` : "replica needs an action: config or drill");
}

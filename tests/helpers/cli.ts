// The CLI called in-process (`runCli`, what `node app/cli/cli.ts` calls), for
// tests whose scenario is a command's output, exit code and database
// afterwards: the same commands and messages without a Node process per run
// (~2 s of CPU each, docs/testing.md). Each command family keeps one test
// through `runNode(["app/cli/cli.ts", …])`, so the script entry stays tested.
import { Readable } from "node:stream";
import { runCli } from "#app/cli/run-cli.server.ts";
import { TEST_PUBLIC_URL, TEST_SESSION_SECRETS } from "#tests/helpers/server.ts";

/**
 * `runCli(args)` with runNode's environment (production, the test secrets and
 * PUBLIC_URL, then `env`) and `input` on stdin (nothing, as /dev/null, without
 * it). Resolves to runNode's shape: the exit code and stdout and stderr together.
 */
export async function runCliInProcess(args: string[], options: { env?: Record<string, string>; input?: string } = {}) {
  return runCliWith(args, {
    env: { NODE_ENV: "production", SESSION_SECRETS: TEST_SESSION_SECRETS, PUBLIC_URL: TEST_PUBLIC_URL, ...options.env },
    input: options.input,
  });
}

/**
 * `runCli(args)` with exactly `env` (and PATH), for a test that sets the
 * whole environment itself; `stdout` and `stderr` apart, `output` both in order.
 */
export async function runCliWith(args: string[], options: { env: Record<string, string>; input?: string }) {
  let output = "";
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    env: { PATH: process.env.PATH, ...options.env },
    stdout: { write: (text: string) => ((stdout += text), (output += text)) },
    stderr: { write: (text: string) => ((stderr += text), (output += text)) },
    stdin: Readable.from(options.input === undefined ? [] : [Buffer.from(options.input)]),
  });
  return { code, output, stdout, stderr };
}

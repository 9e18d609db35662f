// The Docker engine and Docker Compose, driven with the commands an operator
// types. Node built-ins only: `npm run test:docker` loads this file with
// plain Node before Vitest starts.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { skipOrFail } from "#tests/helpers/required.ts";

export type Result = { code: number | null; stdout: string; stderr: string };

/** Runs a command to completion and collects its output. */
export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<Result>((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs a command that must succeed; its stdout, trimmed. */
export async function must(command: string, args: string[], options: Parameters<typeof run>[2] = {}) {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.code}:\n${result.stdout}${result.stderr}`);
  }
  return result.stdout.trim();
}

export const docker = (...args: string[]) => must("docker", args);

let compose: string[] | null | undefined;

/**
 * `docker compose` (the v2 plugin, on most laptops) when it answers, else
 * the standalone `docker-compose` (v1, what Debian packages); null if neither.
 */
export function composeCommand(): string[] | null {
  if (compose === undefined) {
    const answers = (command: string[]) =>
      spawnSync(command[0]!, [...command.slice(1), "version"], { stdio: "ignore", timeout: 30_000 }).status === 0;
    compose = [["docker", "compose"], ["docker-compose"]].find(answers) ?? null;
  }
  return compose;
}

/** Why the Docker scenarios cannot run on this machine, or undefined if they can. */
export function dockerUnavailable(): string | undefined {
  const info = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8", timeout: 30_000 });
  if (info.error) return `the docker command cannot run (${(info.error as NodeJS.ErrnoException).code})`;
  if (info.status !== 0) {
    const reason = (info.stderr || info.stdout).trim().split("\n").at(-1);
    return `no Docker daemon answers (docker info: ${reason})`;
  }
  if (!composeCommand()) return "neither `docker compose` nor `docker-compose` is installed";
  return undefined;
}

/**
 * Why the Docker scenarios skip on this machine (after printing so), or
 * undefined when they can run. Under REQUIRE_DOCKER a missing engine throws
 * instead. `npm run test:docker` and tests/docker/docker-image.test.ts (run
 * directly) both ask here, so neither can skip where the other would fail.
 */
export function dockerSkipReason(): string | undefined {
  const reason = dockerUnavailable();
  return reason && skipOrFail("REQUIRE_DOCKER", "the Docker image and Compose scenarios", reason);
}

/**
 * Whether bind-mounted files keep the container's uids on the host: true for
 * Docker Engine on Linux, false for Docker Desktop, whose file sharing maps
 * owners to the host user.
 */
export function bindMountsKeepOwners(): boolean {
  if (process.platform !== "linux") return false;
  const os = spawnSync("docker", ["info", "--format", "{{.OperatingSystem}}"], { encoding: "utf8", timeout: 30_000 });
  return os.status === 0 && !os.stdout.includes("Docker Desktop");
}

/**
 * The Litestream image the Dockerfile pins (ARG LITESTREAM_IMAGE): present,
 * or built as a stand-in from the npm package's binary
 * (tests/helpers/litestream-image.sh), or pulled. Why it cannot be had
 * otherwise (linux arm64 without a registry, say), or undefined when it is here.
 */
export function litestreamImageMissing(projectRoot: string): string | undefined {
  const tag = /^ARG LITESTREAM_IMAGE=(\S+)/m.exec(readFileSync(`${projectRoot}/Dockerfile`, "utf8"))![1]!;
  const has = () => spawnSync("docker", ["image", "inspect", tag], { stdio: "ignore" }).status === 0;
  if (has()) return undefined;
  const standIn = spawnSync(`${projectRoot}/tests/helpers/litestream-image.sh`, [tag], { encoding: "utf8", timeout: 300_000 });
  if (standIn.status === 0 && has()) return undefined;
  if (spawnSync("docker", ["pull", tag], { stdio: "ignore", timeout: 300_000 }).status === 0) return undefined;
  return `no ${tag} image: ${standIn.stderr.trim().split("\n").at(-1)}, and docker pull fails`;
}

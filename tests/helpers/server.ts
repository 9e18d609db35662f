import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "#tests/helpers/db.ts";

// Random-looking, as production requires (app/core/env.server.ts, weakSecret).
export const TEST_SESSION_SECRETS = "5b0f6c2e9d41a7f3c8e2b6d09a4f1e7c3d8b2a6f0e9c4d7b1a5f8e2c6d0b9a34";

/** The store's public address in tests (PUBLIC_URL, required in production): links start with it. */
export const TEST_PUBLIC_URL = "https://shop.example";

/** The per-address limits on posts, orders and lookups, off (sign-in failures keep theirs). */
export const UNLIMITED = { RATE_LIMIT_POSTS: "0/1", RATE_LIMIT_ORDERS: "0/1", RATE_LIMIT_LOOKUP_FAILURES: "0/1" };

export type ServerProcess = {
  child: ChildProcess;
  /** http://127.0.0.1:<port> once listening. */
  url: string;
  /** Everything printed so far on stdout and stderr. */
  output: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
};

/**
 * Copies what the production server needs into `dir` (node_modules is
 * linked, not copied), so a test can change drizzle/ without touching the
 * project.
 */
export function stageApp(dir: string) {
  for (const entry of ["server.ts", "package.json", "app", "drizzle", "build"]) {
    cpSync(join(PROJECT_ROOT, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(PROJECT_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

export type SpawnOptions = {
  env?: Record<string, string>;
  cwd?: string;
  /** Arguments for node; default: the built server, build/server/server.js. */
  args?: string[];
  /** Run as this user (needs root), as a container's USER would. */
  uid?: number;
  gid?: number;
};

/** The production server as `npm start` and the image run it: server.ts, built. */
export const SERVER_BUILD = join("build", "server", "server.js");

/** Starts the production server without waiting for it. */
export function spawnServer(options: SpawnOptions = {}) {
  const cwd = options.cwd ?? PROJECT_ROOT;
  if (!existsSync(join(cwd, SERVER_BUILD))) {
    throw new Error("no production build: run `npm run build` before these tests");
  }
  const child = spawn(process.execPath, options.args ?? [SERVER_BUILD], {
    cwd,
    uid: options.uid,
    gid: options.gid,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "production",
      PORT: "0",
      HOST: "127.0.0.1",
      SESSION_SECRETS: TEST_SESSION_SECRETS,
      PUBLIC_URL: TEST_PUBLIC_URL,
      // Tests post far more from one address than any shopper; the limits
      // have tests of their own (tests/web/rate-limits.test.ts).
      ...UNLIMITED,
      // One process, as these tests were written for; the tests of several
      // workers (tests/web/workers.test.ts) ask for them.
      WEB_CONCURRENCY: "1",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/**
 * The URL to reach a server at, from the address its log says it bound
 * ("listening on 127.0.0.1:43210 (production)"), or undefined before that.
 */
export function listeningUrl(output: string): string | undefined {
  const match = /listening on (\S+):(\d+) \(/.exec(output);
  if (!match) return undefined;
  const host = ["0.0.0.0", "[::]"].includes(match[1]!) ? "127.0.0.1" : match[1]!;
  return `http://${host}:${match[2]}`;
}

/** Starts the production server and resolves once it is listening. */
export async function startServer(options: SpawnOptions & { timeoutMs?: number } = {}): Promise<ServerProcess> {
  const started = spawnServer(options);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start:\n${started.output()}`)),
      options.timeoutMs ?? 30_000,
    );
    const check = () => {
      const url = listeningUrl(started.output());
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    };
    started.child.stdout!.on("data", check);
    void started.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${started.output()}`));
    });
  });
  return { ...started, url };
}

/** Runs a command to completion: `node app/cli/cli.ts migrate` and the like, with `input` on its stdin. */
export function runNode(args: string[], options: Omit<SpawnOptions, "args"> & { input?: string } = {}) {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? PROJECT_ROOT,
    uid: options.uid,
    gid: options.gid,
    env: { PATH: process.env.PATH, NODE_ENV: "production", SESSION_SECRETS: TEST_SESSION_SECRETS, PUBLIC_URL: TEST_PUBLIC_URL, ...options.env },
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  child.stdin?.end(options.input);
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  return new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on("exit", (code) => resolve({ code, output })),
  );
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nobody is listening on right now. */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Sends a signal and waits for the exit code. */
export async function stopServer(server: ServerProcess, signal: NodeJS.Signals = "SIGTERM") {
  if (server.child.exitCode === null) server.child.kill(signal);
  return server.exited;
}

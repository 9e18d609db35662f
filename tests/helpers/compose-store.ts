// A store run the way the README runs it: a copy of the project in a scratch
// folder, an .env made from .env.example, its own ./data, and
// `docker compose …` in that folder. Each one gets its own Compose project
// name, image tag and host port, so runs never collide with each other or
// with a store the developer already has.
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "#tests/helpers/db.ts";
import { composeCommand, docker, run, type Result } from "#tests/helpers/docker.ts";
import { delay, freePort } from "#tests/helpers/server.ts";

// What .dockerignore keeps out of the build context, and .git: none of it is
// needed to build, and node_modules alone is hundreds of megabytes.
const NOT_COPIED = new Set(["node_modules", "build", "data", ".git", ".react-router", "test-results", "playwright-report", ".env"]);

export type ContainerState = {
  Status: string;
  ExitCode: number;
  Health?: { Status: string; Log?: { ExitCode: number }[] };
};

let projects = 0;

/** Whether the engine lacks the default bridge network (dockerd --bridge=none), which `docker build` uses. */
async function noDefaultBridge() {
  return (await run("docker", ["network", "inspect", "bridge"])).code !== 0;
}

export async function composeStore(options: {
  image: string;
  env?: Record<string, string>;
  /** More folders of the project mounted into the store, as `<folder>:<path in the container>` (a second volume). */
  volumes?: string[];
}) {
  const root = mkdtempSync(join(tmpdir(), "store-compose-"));
  const dir = join(root, "store");
  cpSync(PROJECT_ROOT, dir, { recursive: true, filter: (source) => !NOT_COPIED.has(source.slice(PROJECT_ROOT.length + 1)) });
  const name = `cornerstoretest${process.pid}x${++projects}`;
  const port = await freePort();

  // The operator's steps: cp .env.example .env, set SESSION_SECRETS.
  const env: Record<string, string> = { SESSION_SECRETS: randomBytes(32).toString("hex"), ...options.env };
  let dotenv = readFileSync(join(dir, ".env.example"), "utf8");
  for (const [key, value] of Object.entries(env)) {
    const line = `${key}=${value}`;
    dotenv = new RegExp(`^${key}=.*$`, "m").test(dotenv) ? dotenv.replace(new RegExp(`^${key}=.*$`, "m"), line) : `${dotenv}\n${line}\n`;
  }
  writeFileSync(join(dir, ".env"), dotenv);

  // Outside the project folder, so it is not part of the build context: a
  // unique tag, and on an engine without a default bridge network, builds on
  // the host's network (else `npm ci` in the Dockerfile cannot reach npm).
  const override = join(root, "compose.test.yml");
  const build = (await noDefaultBridge()) ? "    build:\n      network: host\n" : "";
  // Compose merges these with the project's volumes (by container path).
  const folders = (options.volumes ?? []).map((v) => v.split(":")[0]!);
  const volumes = folders.length
    ? `    volumes:\n${(options.volumes ?? []).map((v) => `      - ${join(dir, v)}\n`).join("")}`
    : "";
  writeFileSync(override, `services:\n  store:\n    image: ${options.image}\n${build}${volumes}`);

  const [command, ...prefix] = composeCommand()!;
  const compose = (...args: string[]): Promise<Result> =>
    run(command!, [...prefix, "-p", name, "-f", "docker-compose.yml", "-f", override, ...args], {
      cwd: dir,
      env: { ...process.env, STORE_PORT: String(port) },
    });

  /** The store service's container (not one-off `run` containers), if any. */
  async function container() {
    const ids = await docker(
      "ps", "-a", "-q",
      "--filter", `label=com.docker.compose.project=${name}`,
      "--filter", "label=com.docker.compose.service=store",
      "--filter", "label=com.docker.compose.oneoff=False",
    );
    return ids.split("\n")[0] || undefined;
  }

  async function inspect() {
    const id = await container();
    if (!id) throw new Error(`no store container in Compose project ${name}`);
    const [details] = JSON.parse(await docker("inspect", id)) as { State: ContainerState; RestartCount: number; Image: string }[];
    return { id, state: details!.State, restarts: details!.RestartCount, image: details!.Image };
  }

  /** Everything the current store container printed. */
  async function logs() {
    const id = await container();
    if (!id) return "";
    const result = await run("docker", ["logs", id]);
    return result.stdout + result.stderr;
  }

  /** Runs a command as root in a container of the image with ./data (or another folder) mounted at /app/data. */
  async function rootInData(command: string, ...args: string[]) {
    return rootIn("data", command, ...args);
  }
  async function rootIn(folder: string, command: string, ...args: string[]) {
    const result = await run("docker", ["run", "--rm", "--user", "root", "--entrypoint", command, "-v", `${join(dir, folder)}:/app/data`, options.image, ...args]);
    if (result.code !== 0) throw new Error(`${command} in ./${folder} exited ${result.code}: ${result.stderr}`);
  }

  const store = {
    dir,
    data: join(dir, "data"),
    url: `http://127.0.0.1:${port}`,
    name,
    compose,
    /** Runs `docker compose <args>` and throws with its output unless it exits 0. */
    async must(...args: string[]) {
      const result = await compose(...args);
      if (result.code !== 0) throw new Error(`docker compose ${args.join(" ")} exited ${result.code}:\n${result.stdout}${result.stderr}`);
      return result.stdout + result.stderr;
    },
    inspect,
    logs,

    /** What the README's `mkdir -p data && sudo chown -R 1000:1000 data` does, on the fresh folder each test makes, without sudo on the host. */
    async prepareData() {
      // What the README's `sudo chown -R 1000:1000 data` does, without sudo: a
      // root container of the image on the same folder. Plain `docker run`,
      // because the compose service drops the capability chown needs.
      await rootInData("chown", "1000:1000", "/app/data");
      for (const folder of folders) await rootIn(folder, "chown", "1000:1000", "/app/data");
    },

    /** Deletes everything in ./data (a lost volume), as root: the files are uid 1000's. */
    async emptyData() {
      await rootInData("find", "/app/data", "-mindepth", "1", "-delete");
    },

    /** Waits for Docker's healthcheck to report healthy; fails at once if the store exits or restarts. */
    async healthy(timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { state, restarts } = await inspect();
        if (!state.Health) throw new Error("the container has no healthcheck (the image should define HEALTHCHECK)");
        if (state.Health.Status === "healthy") return;
        if (state.Status !== "running" || restarts > 0 || Date.now() > deadline) {
          throw new Error(`store not healthy (${state.Status}, health ${state.Health.Status}, ${restarts} restarts):\n${await logs()}`);
        }
        await delay(1_000);
      }
    },

    /** Polls until `check` returns true (it may throw meanwhile); the last error or a timeout otherwise. */
    async until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      while (Date.now() < deadline) {
        try {
          if (await check()) return;
        } catch (error) {
          last = error;
        }
        await delay(500);
      }
      throw new Error(`timed out waiting for ${what}${last ? ` (${String(last)})` : ""}:\n${await logs()}`);
    },

    /** Rows from the store's database, read inside the running container (as its user, read-only). */
    async sql<Row = Record<string, unknown>>(query: string): Promise<Row[]> {
      const script =
        'const db = require("better-sqlite3")("/app/data/store.db", { readonly: true });' +
        "console.log(JSON.stringify(db.prepare(process.argv[1]).all()));";
      const output = await store.must("exec", "-T", "store", "node", "-e", script, query);
      return JSON.parse(output.trim().split("\n").at(-1)!) as Row[];
    },

    /** Removes the containers, the network and the scratch folder; never throws. */
    async remove() {
      // ./data belongs to uid 1000: as another user, empty it from a container.
      const imageExists = (await run("docker", ["image", "inspect", options.image])).code === 0;
      if (process.getuid?.() !== 0 && imageExists) {
        for (const folder of ["data", ...folders]) await rootIn(folder, "find", "/app/data", "-mindepth", "1", "-delete").catch(() => {});
      }
      const down = await compose("down", "--timeout", "5", "--remove-orphans").catch((error: Error) => ({ code: 1, stdout: "", stderr: error.message }));
      if (down.code !== 0) console.warn(`could not remove Compose project ${name}: ${down.stderr}`);
      try {
        rmSync(root, { recursive: true, force: true });
      } catch (error) {
        console.warn(`could not remove ${root}: ${(error as Error).message}`);
      }
    },
  };
  return store;
}

export type ComposeStore = Awaited<ReturnType<typeof composeStore>>;

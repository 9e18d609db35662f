import { execSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT, tempDir } from "#tests/helpers/db.ts";

// There is no Docker engine where these tests run, so they read the
// Dockerfile and rehearse what its stages do with plain files and processes.

export type Instruction = { keyword: string; args: string; line: number };
export type Stage = { name: string; from: string; instructions: Instruction[] };

export function parseDockerfile(text = readFileSync(join(PROJECT_ROOT, "Dockerfile"), "utf8")): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    const start = i + 1;
    while (line.endsWith("\\") && i + 1 < lines.length) line = `${line.slice(0, -1).trim()} ${lines[++i]!.trim()}`;
    if (!line || line.startsWith("#")) continue;
    const [, keyword = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args, line: start };
    if (instruction.keyword === "FROM") {
      const [, from = "", name = ""] = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args) ?? [];
      stages.push({ name: name || String(stages.length), from, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** COPY [--from=stage] [--chown=…] <src…> <dest> */
export function parseCopy(args: string) {
  const words = args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith("--"));
  const paths = words.filter((w) => !w.startsWith("--"));
  const from = flags.find((f) => f.startsWith("--from="))?.slice("--from=".length);
  return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
}

/** The JSON array of an exec-form CMD/HEALTHCHECK CMD, or null for shell form. */
export function execForm(args: string): string[] | null {
  const json = args.slice(args.indexOf("["));
  try {
    const parsed = JSON.parse(json);
    return Array.isArray(parsed) && parsed.every((p) => typeof p === "string") ? parsed : null;
  } catch {
    return null;
  }
}

function resolveDest(stageDir: string, workdir: string, dest: string) {
  const absolute = dest.startsWith("/") ? dest : join(workdir, dest);
  return join(stageDir, absolute.replace(/^\/app\/?/, ""));
}

/**
 * Assembles what the runtime stage holds under /app into a folder: plain
 * COPY lines copy from the project, `--from=<stage>` lines take that stage's
 * output (the build stage's /app/build is the project's own `npm run build`
 * result; any other stage is rehearsed by running its COPY and `npm` RUN
 * lines in a scratch folder).
 */
export function stageRuntime(stages = parseDockerfile()): { dir: string; stage: Stage } {
  const runtime = stages.at(-1)!;
  const dir = tempDir("store-image-");
  chmodSync(dir, 0o755);
  const rehearsed = new Map<string, string>();
  const stageOutput = (name: string) => {
    if (name === "build") return PROJECT_ROOT;
    if (!rehearsed.has(name)) {
      const stage = stages.find((s) => s.name === name);
      if (!stage) throw new Error(`Dockerfile copies from unknown stage ${name}`);
      const scratch = tempDir(`store-stage-${name}-`);
      for (const instruction of stage.instructions) {
        if (instruction.keyword === "COPY") {
          const copy = parseCopy(instruction.args);
          for (const source of copy.sources) cpSync(join(PROJECT_ROOT, source), join(scratch, source), { recursive: true });
        } else if (instruction.keyword === "RUN" && instruction.args.startsWith("npm ")) {
          execSync(instruction.args, { cwd: scratch, stdio: "pipe" });
        }
      }
      rehearsed.set(name, scratch);
    }
    return rehearsed.get(name)!;
  };
  let workdir = "/";
  for (const instruction of runtime.instructions) {
    if (instruction.keyword === "WORKDIR") workdir = instruction.args;
    if (instruction.keyword !== "COPY") continue;
    const copy = parseCopy(instruction.args);
    const root = copy.from ? stageOutput(copy.from) : PROJECT_ROOT;
    for (const source of copy.sources) {
      const relative = source.replace(/^\/app\/?/, "");
      const target = copy.sources.length > 1 || copy.dest.endsWith("/")
        ? join(resolveDest(dir, workdir, copy.dest), relative.split("/").at(-1)!)
        : resolveDest(dir, workdir, copy.dest);
      mkdirSync(join(target, ".."), { recursive: true });
      cpSync(join(root, relative), target, { recursive: true });
    }
  }
  return { dir, stage: runtime };
}

/** ENV lines of a stage as an object (KEY=value pairs). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of stage.instructions.filter((i) => i.keyword === "ENV")) {
    for (const match of instruction.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
      env[match[1]!] = match[2]!.replace(/^"|"$/g, "");
    }
  }
  return env;
}

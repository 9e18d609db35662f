// Static checks on Dockerfile, docker-compose.yml and .dockerignore: the
// properties the image's runtime contract depends on, so a careless edit
// fails CI even though no Docker engine runs here.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { parseEnv } from "#app/env.server.ts";
import { PROJECT_ROOT } from "#tests/helpers/db.ts";
import { execForm, parseCopy, parseDockerfile, stageEnv } from "#tests/helpers/dockerfile.ts";

const stages = parseDockerfile();
const runtime = stages.at(-1)!;
const args = (keyword: string) => runtime.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

type ComposeService = {
  init?: boolean;
  ports?: string[];
  env_file?: (string | { path: string })[];
  environment?: Record<string, string>;
  volumes?: string[];
  restart?: string;
  stop_grace_period?: string;
  healthcheck?: { test: string[] };
};
const compose = parse(readFileSync(join(PROJECT_ROOT, "docker-compose.yml"), "utf8")) as {
  services: Record<string, ComposeService>;
};
const store = compose.services.store!;

function seconds(duration: string) {
  const match = /^(\d+)(ms|s|m)$/.exec(duration);
  if (!match) throw new Error(`unreadable duration ${duration}`);
  return Number(match[1]) * { ms: 0.001, s: 1, m: 60 }[match[2] as "ms" | "s" | "m"];
}

describe("Dockerfile", () => {
  it("is multi-stage on Node 24 and its runtime stage installs production dependencies only", () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(readFileSync(join(PROJECT_ROOT, "Dockerfile"), "utf8")).toMatch(/ARG NODE_IMAGE=node:24[-\w]*/);
    const prodDeps = stages.find((s) => s.name === "prod-deps")!;
    expect(prodDeps.instructions.some((i) => i.keyword === "RUN" && /npm ci .*--omit=dev/.test(i.args))).toBe(true);
    const fromStages = args("COPY").map((a) => parseCopy(a).from).filter(Boolean);
    expect(fromStages.sort()).toEqual(["build", "prod-deps"]);
    // The runtime stage never installs or builds anything itself.
    expect(args("RUN").join("\n")).not.toMatch(/npm (ci|install)|drizzle-kit|npm run build/);
  });

  it("copies the server, migrations and build, and no data, env file or dev tooling", () => {
    const copied = args("COPY").flatMap((a) => parseCopy(a).sources);
    expect(copied).toEqual(
      expect.arrayContaining(["server.ts", "drizzle", "/app/build", "/app/node_modules", "package.json"]),
    );
    for (const source of copied) expect(source).not.toMatch(/^(data|\.env|node_modules|\.)$/);
  });

  it("bakes in no database setting, runs as a non-root user, and exposes the port", () => {
    expect(stageEnv(runtime)).toEqual({ NODE_ENV: "production" });
    expect(args("ARG").join(" ")).not.toMatch(/DATABASE|SECRET/);
    const user = args("USER").at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(args("EXPOSE")).toContain("3000");
    expect(args("RUN").join("\n")).toMatch(/mkdir -p \/app\/data && chown node:node \/app\/data/);
  });

  it("starts node directly (exec form) so it receives SIGTERM, and checks /health/ready", () => {
    const cmd = execForm(args("CMD").at(-1)!);
    expect(cmd).toEqual(["node", "server.ts"]);
    const healthcheck = args("HEALTHCHECK").at(-1)!;
    expect(healthcheck).toMatch(/--start-period=\d+s/);
    expect(execForm(healthcheck)?.join(" ")).toContain("/health/ready");
  });

  it("has a .dockerignore that keeps data, dependencies and secrets out of the context", () => {
    const ignored = readFileSync(join(PROJECT_ROOT, ".dockerignore"), "utf8").split("\n");
    for (const entry of ["data", "node_modules", ".env", "build"]) expect(ignored).toContain(entry);
  });
});

describe("docker-compose.yml", () => {
  it("bind-mounts ./data at /app/data and keeps the database there", () => {
    expect(store.volumes).toContain("./data:/app/data");
    expect(store.environment?.DATABASE_PATH).toMatch(/^\/app\/data\/[^/]+\.db$/);
  });

  it("runs under an init, restarts, reads .env, publishes 3000", () => {
    expect(store.init).toBe(true);
    expect(store.restart).toBe("unless-stopped");
    expect(store.env_file?.map((e) => (typeof e === "string" ? e : e.path))).toContain(".env");
    expect(store.ports).toContain("3000:3000");
  });

  it("waits longer than the app's drain deadline before killing it", () => {
    const defaults = parseEnv({ NODE_ENV: "development" });
    const drain = (defaults.SHUTDOWN_DELAY_MS + defaults.SHUTDOWN_TIMEOUT_MS) / 1000;
    expect(seconds(store.stop_grace_period!)).toBeGreaterThan(drain);
  });

  it("health-checks /health/ready", () => {
    expect(store.healthcheck?.test[0]).toBe("CMD");
    expect(store.healthcheck?.test.join(" ")).toContain("/health/ready");
  });

  it("documents every variable it expects in .env.example", () => {
    const example = readFileSync(join(PROJECT_ROOT, ".env.example"), "utf8");
    const names = [...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]);
    expect(names).toEqual(expect.arrayContaining(["SESSION_SECRET", "DATABASE_PATH", "MIGRATE_ON_START", "BACKUP_KEEP"]));
    // Every documented name is one the app reads.
    const known = Object.keys(parseEnv({ NODE_ENV: "development" }));
    for (const name of names) expect(known).toContain(name);
  });
});

describe("deployment examples", () => {
  const read = (path: string) => readFileSync(join(PROJECT_ROOT, path), "utf8");
  type Container = {
    command?: string[];
    env?: { name: string; value?: string }[];
    livenessProbe?: { httpGet: { path: string } };
    readinessProbe?: { httpGet: { path: string } };
  };
  type PodSpec = { securityContext?: { fsGroup?: number; runAsUser?: number }; containers: Container[] };
  type Manifest = { kind: string; spec: { strategy?: { type: string }; template: { spec: PodSpec } } };

  it("Kubernetes: probes on the health endpoints, one writer, migrations as a Job with the same runner", () => {
    const docs = parseAllDocuments(read("docs/deploy/kubernetes/store.yaml")).map((d) => d.toJS()) as Manifest[];
    const deployment = docs.find((d) => d.kind === "Deployment")!;
    expect(deployment.spec.strategy?.type).toBe("Recreate");
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ fsGroup: 1000, runAsUser: 1000 });
    const container = pod.containers[0]!;
    expect(container.livenessProbe?.httpGet.path).toBe("/health/live");
    expect(container.readinessProbe?.httpGet.path).toBe("/health/ready");
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    expect(env.MIGRATE_ON_START).toBe("false");
    expect(Object.keys(parseEnv({ NODE_ENV: "development" }))).toEqual(
      expect.arrayContaining(Object.keys(env)),
    );

    const job = parse(read("docs/deploy/kubernetes/migrate-job.yaml")) as Manifest;
    expect(job.kind).toBe("Job");
    expect(job.spec.template.spec.containers[0]!.command).toEqual(["node", "app/db/cli.ts", "migrate"]);
  });

  it("the users' CI workflow runs the README's test command and smoke-tests the image", () => {
    const workflow = parse(read(".github/workflows/ci.yml")) as {
      jobs: Record<string, { steps: { run?: string }[] }>;
    };
    const runs = Object.values(workflow.jobs).flatMap((job) => job.steps.map((s) => s.run ?? ""));
    expect(runs).toContain("npm test");
    expect(runs.join("\n")).toMatch(/docker build[\s\S]*health\/ready[\s\S]*docker stop/);
  });
});

// Static checks, no Docker engine needed, for what the real image test
// (docker-image.test.ts) cannot see: .dockerignore entries for folders its
// scratch copy of the project lacks, the grace period against the app's drain
// deadline, .env.example against the settings the app reads, the Kubernetes
// manifests and the CI workflow.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { REPLICA_VARIABLES } from "#app/ops/replica.server.ts";
import { parseEnv, publicUrl } from "#app/core/env.server.ts";
import { PROJECT_ROOT } from "#tests/helpers/db.ts";

type ComposeService = {
  image?: string;
  stop_grace_period?: string;
  read_only?: boolean;
  tmpfs?: string[];
  cap_drop?: string[];
  security_opt?: string[];
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

describe(".dockerignore", () => {
  // The image test builds from a copy of the project without these folders,
  // so it cannot see them leak into a real checkout's build context.
  it("keeps data, dependencies, the build and secrets out of the context", () => {
    const ignored = readFileSync(join(PROJECT_ROOT, ".dockerignore"), "utf8").split("\n");
    for (const entry of ["data", "node_modules", ".env", "build"]) expect(ignored).toContain(entry);
  });
});

describe("docker-compose.yml", () => {
  it("waits longer than the app's drain deadline, and Litestream's final sync after it, before killing it", () => {
    const defaults = parseEnv({ NODE_ENV: "development" });
    const drain = (defaults.SHUTDOWN_DELAY_MS + defaults.SHUTDOWN_TIMEOUT_MS) / 1000;
    // The final sync uploads at most the last second's writes: a few seconds to a slow bucket.
    const finalSync = 10;
    expect(seconds(store.stop_grace_period!)).toBeGreaterThan(drain + finalSync);
  });

  it("names the image from STORE_IMAGE, so two checkouts on one host keep their own", () => {
    expect(store.image).toBe("${STORE_IMAGE:-corner-store:latest}");
  });

  it("runs the store hardened: read-only root, a small /tmp, no capabilities, no privilege gain", () => {
    // The real image test (docker-image.test.ts) starts the store this way:
    // every scenario there proves it still works.
    expect(store.read_only).toBe(true);
    expect(store.tmpfs).toEqual([expect.stringMatching(/^\/tmp(:|$)/)]);
    expect(store.cap_drop).toEqual(["ALL"]);
    expect(store.security_opt).toEqual(["no-new-privileges:true"]);
  });

  it("documents every variable it expects in .env.example", () => {
    const example = readFileSync(join(PROJECT_ROOT, ".env.example"), "utf8");
    const names = [...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]);
    expect(names).toEqual(expect.arrayContaining(["SESSION_SECRETS", "DATABASE_PATH", "MIGRATE_ON_START", "BACKUP_KEEP"]));
    // Every documented name is one the app reads.
    const known = Object.keys(parseEnv({ NODE_ENV: "development" }));
    for (const name of names) expect(known).toContain(name);
    // The replica's settings are commented out (replication is off by
    // default): each one is a name the replica settings read.
    const replica = [...example.matchAll(/^# (LITESTREAM_[A-Z_]+)=/gm)].map((m) => m[1]);
    expect(replica).toContain("LITESTREAM_REPLICA_URL");
    expect(REPLICA_VARIABLES).toEqual(expect.arrayContaining(replica));
  });

  it(".env.example as copied, with a secret, starts a production store whose links work on this machine", () => {
    const values = Object.fromEntries([...readFileSync(join(PROJECT_ROOT, ".env.example"), "utf8").matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    const config = parseEnv({ ...values, NODE_ENV: "production", SESSION_SECRETS: randomBytes(32).toString("hex") });
    expect(publicUrl(config)).toBe("http://localhost:3000");
  });
});

describe("deployment examples", () => {
  const read = (path: string) => readFileSync(join(PROJECT_ROOT, path), "utf8");
  type Container = {
    image?: string;
    command?: string[];
    args?: string[];
    securityContext?: Record<string, unknown>;
    env?: { name: string; value?: string }[];
    livenessProbe?: { httpGet: { path: string } };
    readinessProbe?: { httpGet: { path: string } };
  };
  type PodSpec = { securityContext?: Record<string, unknown>; containers: Container[] };
  const hardenedPod = { runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } };
  const hardenedContainer = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
  type Manifest = { kind: string; metadata: { labels?: Record<string, string> }; spec: { strategy?: { type: string }; template: { spec: PodSpec } } };

  it("Kubernetes: probes on the health endpoints, one writer, migrations as a Job with the same runner", () => {
    const docs = parseAllDocuments(read("docs/deploy/kubernetes/store.yaml")).map((d) => d.toJS()) as Manifest[];
    const deployment = docs.find((d) => d.kind === "Deployment")!;
    expect(deployment.spec.strategy?.type).toBe("Recreate");
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext).toMatchObject(hardenedPod);
    const container = pod.containers[0]!;
    expect(container.securityContext).toEqual(hardenedContainer);
    expect(container.livenessProbe?.httpGet.path).toBe("/health/live");
    expect(container.readinessProbe?.httpGet.path).toBe("/health/ready");
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    expect(env.MIGRATE_ON_START).toBe("false");
    // Settings a production server accepts (the secret comes from a Secret), links on the public address.
    const production = parseEnv({ ...env, NODE_ENV: "production", SESSION_SECRETS: randomBytes(32).toString("hex") });
    expect(publicUrl(production)).toBe("https://shop.example.com");
    expect(Object.keys(parseEnv({ NODE_ENV: "development" }))).toEqual(
      expect.arrayContaining(Object.keys(env)),
    );

    const job = parse(read("docs/deploy/kubernetes/migrate-job.yaml")) as Manifest;
    expect(job.kind).toBe("Job");
    // args, not command: Kubernetes' command would replace the image's entry
    // script, which restores a lost volume from the replica first.
    expect(job.spec.template.spec.containers[0]!.args).toEqual(["node", "app/cli/cli.ts", "migrate"]);
    expect(job.spec.template.spec.containers[0]!.command).toBeUndefined();
    // `kubectl apply -k . -l app.kubernetes.io/component=migrate` applies the Job alone.
    expect(job.metadata.labels).toEqual({ "app.kubernetes.io/component": "migrate" });

    // One image tag in one place: the Job never migrates with one version while the Deployment serves another.
    const kustomization = parse(read("docs/deploy/kubernetes/kustomization.yaml")) as {
      resources: string[];
      images: { name: string; newName: string; newTag: string }[];
    };
    expect(kustomization.resources.sort()).toEqual(["migrate-job.yaml", "store.yaml"]);
    expect(kustomization.images).toEqual([{ name: "corner-store", newName: expect.any(String), newTag: expect.any(String) }]);
    expect([container.image, job.spec.template.spec.containers[0]!.image]).toEqual(["corner-store", "corner-store"]);
    expect(job.spec.template.spec.securityContext).toMatchObject(hardenedPod);
    expect(job.spec.template.spec.containers[0]!.securityContext).toEqual(hardenedContainer);
  });

  it("the users' CI workflow runs the README's test command, Docker scenarios required, with a read-only token and an audit", () => {
    const workflow = parse(read(".github/workflows/ci.yml")) as {
      permissions?: Record<string, string>;
      jobs: Record<string, { steps: { run?: string; env?: Record<string, string> }[] }>;
    };
    expect(workflow.permissions).toEqual({ contents: "read" });
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
    expect(steps.find((s) => s.run === "npm test")?.env?.REQUIRE_DOCKER).toBe("1");
    const runs = steps.map((s) => s.run);
    expect(runs.indexOf("npm audit --omit=dev --audit-level=high")).toBeGreaterThan(runs.indexOf("npm ci"));
  });

  it("Dependabot watches npm, the Docker base image and the workflow's actions", () => {
    const config = parse(read(".github/dependabot.yml")) as { updates: { "package-ecosystem": string }[] };
    expect(config.updates.map((u) => u["package-ecosystem"]).sort()).toEqual(["docker", "github-actions", "npm"]);
  });
});

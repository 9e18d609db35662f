// Continuous off-site copies with Litestream, off unless
// LITESTREAM_REPLICA_URL is set (docs/operations.md#off-site-replication,
// docs/decisions/031-litestream.md). Its settings are read here, not in
// env.server.ts: the server never needs them, and the entry script removes
// the credentials from its environment before starting it.
import { existsSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { KnownError } from "#app/core/errors.ts";
import { dataPaths, projectRoot } from "#app/core/paths.server.ts";

export class ReplicaConfigError extends KnownError {
  override name = "ReplicaConfigError";
}

export type ReplicaSettings = {
  /** The replica's URL, without a password (none is accepted in it). */
  url: string;
  scheme: "s3" | "file" | "gcs" | "abs";
  /** S3-compatible stores other than AWS (R2, B2, MinIO): Litestream 0.3 takes these as keys, not URL parameters. */
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  /** How often Litestream ships new WAL frames (its default, 1s, is what the RPO figures assume). */
  syncInterval: string;
  /** How far back a point-in-time restore can go: Litestream snapshots this often and deletes older ones. */
  retention: string;
  /** Lines worth printing at startup: settings that work but may not be what was meant. */
  notes: string[];
};

// Go durations as Litestream parses them, in the units an operator uses.
const DURATION = /^\d+(ms|s|m|h)$/;

/** The variables this module reads; any of them set without a URL is a mistake worth stopping for. */
export const REPLICA_VARIABLES = [
  "LITESTREAM_REPLICA_URL",
  "LITESTREAM_ENDPOINT",
  "LITESTREAM_REGION",
  "LITESTREAM_FORCE_PATH_STYLE",
  "LITESTREAM_SYNC_INTERVAL",
  "LITESTREAM_RETENTION",
  "LITESTREAM_ACCESS_KEY_ID",
  "LITESTREAM_SECRET_ACCESS_KEY",
] as const;

/**
 * The replica settings from the environment, checked; undefined when
 * replication is off. Messages name variables and say what to do; they never
 * repeat a value (a URL or key may be a secret).
 */
export function replicaSettings(environment: NodeJS.ProcessEnv, databasePath: string): ReplicaSettings | undefined {
  const get = (name: (typeof REPLICA_VARIABLES)[number]) => environment[name]?.trim() || undefined;
  const raw = get("LITESTREAM_REPLICA_URL");
  if (!raw) {
    const stray = REPLICA_VARIABLES.filter((name) => get(name));
    if (stray.length === 0) return undefined;
    throw new ReplicaConfigError(
      `${stray.join(", ")} ${stray.length === 1 ? "is" : "are"} set but LITESTREAM_REPLICA_URL is not, so nothing would be replicated: ` +
        "set LITESTREAM_REPLICA_URL too (docs/operations.md#off-site-replication), or remove them",
    );
  }

  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ReplicaConfigError(
      "LITESTREAM_REPLICA_URL is not a URL: use s3://<bucket>/<path>, or file:///<absolute path> for a mounted disk",
    );
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== "s3" && scheme !== "file" && scheme !== "gcs" && scheme !== "abs") {
    throw new ReplicaConfigError(
      `LITESTREAM_REPLICA_URL starts with "${scheme}:": use s3:// (AWS, R2, B2, MinIO…), gcs://, abs:// or file://`,
    );
  }
  if (url.username || url.password) {
    throw new ReplicaConfigError(
      "LITESTREAM_REPLICA_URL holds credentials: remove them from the URL and set LITESTREAM_ACCESS_KEY_ID and LITESTREAM_SECRET_ACCESS_KEY",
    );
  }
  if (url.search || url.hash) {
    throw new ReplicaConfigError(
      "LITESTREAM_REPLICA_URL has a ?query or #fragment, which Litestream 0.3 ignores: set LITESTREAM_ENDPOINT and LITESTREAM_REGION instead",
    );
  }

  const notes: string[] = [];
  const settings: ReplicaSettings = {
    url: raw,
    scheme,
    syncInterval: get("LITESTREAM_SYNC_INTERVAL") ?? "1s",
    retention: get("LITESTREAM_RETENTION") ?? "24h",
    notes,
  };
  for (const [name, value] of [["LITESTREAM_SYNC_INTERVAL", settings.syncInterval], ["LITESTREAM_RETENTION", settings.retention]]) {
    if (!DURATION.test(value!)) throw new ReplicaConfigError(`${name} must be a duration such as 1s, 10m or 24h`);
  }

  if (scheme === "file") {
    const path = decodeURIComponent(url.pathname);
    if (url.host) throw new ReplicaConfigError("LITESTREAM_REPLICA_URL: a file:// URL takes an absolute path, file:///mnt/replica (three slashes)");
    if (path === "/" || path === "") throw new ReplicaConfigError("LITESTREAM_REPLICA_URL: give file:// a folder of its own, e.g. file:///app/replica");
    const dataDir = dataPaths(databasePath).folder;
    if (`${resolve(path)}${sep}`.startsWith(`${dataDir}${sep}`) || dataDir.startsWith(`${resolve(path)}${sep}`)) {
      // It works, and it survives a deleted database file, but not the loss of that disk.
      notes.push(`the replica folder shares the database's folder (${dataDir}): mount another disk there, or use object storage`);
    }
  }

  if (scheme === "s3") {
    if (!url.hostname) throw new ReplicaConfigError("LITESTREAM_REPLICA_URL needs a bucket: s3://<bucket>/<path>");
    if (url.pathname.length <= 1) notes.push("the replica URL has no path: Litestream writes at the top of the bucket (s3://<bucket>/store is tidier)");
    const endpoint = get("LITESTREAM_ENDPOINT");
    if (endpoint) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(endpoint);
      } catch {
        // reported below
      }
      if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:") || parsed.pathname.length > 1) {
        throw new ReplicaConfigError(
          "LITESTREAM_ENDPOINT must be the store's https:// address without a path, e.g. https://<account>.r2.cloudflarestorage.com",
        );
      }
      if (parsed.protocol === "http:" && !["localhost", "127.0.0.1", "[::1]"].includes(parsed.hostname)) {
        notes.push("LITESTREAM_ENDPOINT is plain http://: the database's pages cross the network unencrypted");
      }
      settings.endpoint = endpoint;
      // Without a region Litestream 0.3 signs for us-east-1, which R2 and B2 refuse.
      const region = get("LITESTREAM_REGION");
      if (!region) {
        throw new ReplicaConfigError(
          "LITESTREAM_REGION is required with LITESTREAM_ENDPOINT (Cloudflare R2: auto; Backblaze B2: the region in the endpoint, e.g. us-west-004; MinIO: us-east-1)",
        );
      }
      settings.region = region;
    } else if (get("LITESTREAM_REGION")) {
      settings.region = get("LITESTREAM_REGION");
    }
    const pathStyle = get("LITESTREAM_FORCE_PATH_STYLE");
    if (pathStyle !== undefined) {
      if (pathStyle !== "true" && pathStyle !== "false") throw new ReplicaConfigError("LITESTREAM_FORCE_PATH_STYLE must be true or false");
      settings.forcePathStyle = pathStyle === "true";
    }

    const id = get("LITESTREAM_ACCESS_KEY_ID") ?? environment.AWS_ACCESS_KEY_ID?.trim();
    const secret = get("LITESTREAM_SECRET_ACCESS_KEY") ?? environment.AWS_SECRET_ACCESS_KEY?.trim();
    if (Boolean(id) !== Boolean(secret)) {
      throw new ReplicaConfigError(
        `${id ? "LITESTREAM_SECRET_ACCESS_KEY" : "LITESTREAM_ACCESS_KEY_ID"} is missing: an S3 key is a pair, set both (docs/operations.md#off-site-replication)`,
      );
    }
    if (!id) {
      notes.push("no LITESTREAM_ACCESS_KEY_ID: Litestream will use AWS's own credential chain (an instance or pod role)");
    }
  } else {
    for (const name of ["LITESTREAM_ENDPOINT", "LITESTREAM_REGION", "LITESTREAM_FORCE_PATH_STYLE"] as const) {
      if (get(name)) throw new ReplicaConfigError(`${name} applies to s3:// replicas only; LITESTREAM_REPLICA_URL is ${scheme}://`);
    }
  }
  return settings;
}

/**
 * Litestream's configuration file (YAML; JSON strings are valid YAML
 * scalars). It holds no secret: Litestream reads LITESTREAM_ACCESS_KEY_ID
 * and LITESTREAM_SECRET_ACCESS_KEY from its own environment. Read it with
 * `-no-expand-env`, so a `$` in a path stays a `$`.
 */
export function litestreamConfig(databasePath: string, settings: ReplicaSettings): string {
  const replica: [string, string | boolean | undefined][] = [
    ["url", settings.url],
    ["endpoint", settings.endpoint],
    ["region", settings.region],
    ["force-path-style", settings.forcePathStyle],
    ["sync-interval", settings.syncInterval],
    ["retention", settings.retention],
  ];
  return [
    "# Written by `node app/cli/cli.ts replica config` from the LITESTREAM_* settings",
    "# (docs/operations.md#off-site-replication). No secrets: Litestream reads the keys",
    "# from its environment.",
    "dbs:",
    `  - path: ${JSON.stringify(resolve(databasePath))}`,
    "    replicas:",
    ...replica
      .filter(([, value]) => value !== undefined)
      .map(([key, value], i) => `${i === 0 ? "      - " : "        "}${key}: ${JSON.stringify(value)}`),
    "",
  ].join("\n");
}

/**
 * The litestream program: the one on PATH (the image has it in
 * /usr/local/bin), else the npm package's copy in a checkout (linux x64
 * only). Undefined when there is none.
 */
export function litestreamBinary(searchPath = process.env.PATH): string | undefined {
  for (const dir of (searchPath ?? "").split(":").filter(Boolean)) {
    if (existsSync(join(dir, "litestream"))) return join(dir, "litestream");
  }
  const packaged = join(projectRoot(), "node_modules", "@flydotio", "litestream-linux-x64", "litestream");
  return existsSync(packaged) ? packaged : undefined;
}

import { isIP } from "node:net";
import { createContext, type RouterContext } from "react-router";
import { z } from "zod";
import { KnownError } from "#app/core/errors.ts";
import { usableCpus } from "#app/core/cpus.server.ts";
import { currencyProblem } from "#app/core/money.ts";

// Every setting comes from the environment at run time, so one image serves
// every deployment. The entry points read it once at startup; a bad value stops the process
// with a message naming the variable (never its value: it may be a secret).

const DEV_SESSION_SECRET = "dev-only-secret-do-not-use-in-production";

const flag = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0"])
    .optional()
    .transform((v) => (v === undefined ? fallback : v === "true" || v === "1"));

const int = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** An address, a subnet (address/prefix), or one of Express's names for a group of them. */
function trustedProxy(item: string): boolean {
  if (["loopback", "linklocal", "uniquelocal"].includes(item)) return true;
  const [address = "", prefix, ...rest] = item.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/** At most `count` requests per `seconds` per client; a count of 0 turns the limit off. */
export type RateLimit = { count: number; seconds: number };
const rateLimit = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx): RateLimit => {
      const match = /^(\d+)\/(\d+)$/.exec(value.trim());
      // Seconds up to a day: express-rate-limit's timers cannot hold much more.
      if (!match || Number(match[2]) < 1 || Number(match[2]) > 86_400) {
        ctx.addIssue({ code: "custom", message: 'must be "<count>/<seconds>", seconds from 1 to 86400, e.g. "60/60"' });
        return z.NEVER;
      }
      return { count: Number(match[1]), seconds: Number(match[2]) };
    });

/**
 * The store's public address as an origin ("https://shop.example.com"), or
 * null if `value` is not one: http or https, a host and maybe a port, no
 * user name, and nothing after the host but an optional "/". The pages'
 * routes start at the root, so a path ("/shop") could not work anyway.
 */
export function publicOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  const plain = url.username === "" && url.password === "" && url.pathname === "/" && !/[?#]/.test(value);
  return (url.protocol === "http:" || url.protocol === "https:") && plain ? url.origin : null;
}

const regionNames = new Intl.DisplayNames(["en"], { type: "region", fallback: "none" });

/** A country's English name, or undefined for a code that is not one. */
export function countryName(code: string): string | undefined {
  // ZZ is "Unknown Region" to Intl, not a country.
  if (!/^[A-Z]{2}$/.test(code) || code === "ZZ") return undefined;
  try {
    return regionNames.of(code);
  } catch {
    return undefined;
  }
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** An SMTP server's URL: smtp: or smtps:, with a host. */
function smtpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "smtp:" || url.protocol === "smtps:") && url.hostname !== "";
  } catch {
    return false;
  }
}

function schemaFor(nodeEnv: string | undefined) {
  const production = nodeEnv === "production";
  // What each setting means: the configuration table in docs/deploy.md.
  // The comments here add only what that table does not say.
  return z.object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    // Development listens on this machine only: a dev server (with Vite's
    // module graph and source maps) is not for the LAN. Production listens on
    // every interface, as a container must.
    HOST: z.string().min(1).default(production ? "0.0.0.0" : "127.0.0.1"),
    PORT: int(3000, 0, 65535),
    // docs/deploy.md#workers. 1 runs one process with no supervisor; more
    // than one needs the built server (`npm start`).
    WEB_CONCURRENCY: int(production ? usableCpus() : 1, 1, 256),
    // Behind a TLS-terminating proxy or load balancer, trust its
    // X-Forwarded-Proto/Host so the request URL is the one the browser used:
    // React Router rejects form posts whose Origin does not match it.
    // Takes Express's values: true, false, a hop count, or addresses/subnets.
    TRUST_PROXY: z
      .string()
      .default("false")
      .transform((v, ctx): boolean | number | string => {
        if (v === "true" || v === "false") return v === "true";
        if (/^\d+$/.test(v)) return Number(v);
        // Checked now, before anything is opened or migrated.
        const bad = v.split(",").map((item) => item.trim()).find((item) => !trustedProxy(item));
        if (bad === undefined) return v;
        ctx.addIssue({ code: "custom", message: "must be true, false, the number of proxies, or their addresses or subnets" });
        return z.NEVER;
      }),
    // Every absolute link the store hands out starts here, never with the
    // Host a request claims, which anyone can forge. Required by the server
    // in production (publicUrl below).
    PUBLIC_URL: z
      .string()
      .trim()
      .optional()
      .transform((value, ctx) => {
        if (value === undefined) return undefined;
        const origin = publicOrigin(value);
        if (origin) return origin;
        ctx.addIssue({ code: "custom", message: "must be the store's address: http(s)://host[:port], with no path, query or fragment" });
        return z.NEVER;
      }),
    // The SQLite file. Its directory also holds the -wal/-shm files and backups/.
    DATABASE_PATH: z.string().min(1).default("./data/store.db"),
    // false: the server applies nothing and stays not-ready until a release
    // step (`npm run db:migrate`) has applied every pending migration.
    MIGRATE_ON_START: flag(true),
    MIGRATION_LOCK_TIMEOUT_MS: int(30_000, 0, 600_000),
    ORDER_MAX_PER_PRODUCT: int(10, 1, 99),
    ORDER_MAX_ITEMS: int(30, 1, 2_970),
    RATE_LIMIT_POSTS: rateLimit("120/60"),
    RATE_LIMIT_ORDERS: rateLimit("10/600"),
    RATE_LIMIT_LOOKUP_FAILURES: rateLimit("20/600"),
    RATE_LIMIT_SIGN_IN_FAILURES: rateLimit("10/900"),
    // Checkout re-reads stock, so a stale page never sells what is gone.
    CACHE_S_MAXAGE: int(5, 0, 86_400),
    CACHE_STALE_WHILE_REVALIDATE: int(30, 0, 86_400),
    MICRO_CACHE_MS: int(1_000, 0, 60_000),
    MICRO_CACHE_MAX_MB: int(32, 1, 4_096),
    // Before listening, run SQLite's quick_check when the database file is at
    // most this many MiB (0: never). About 1 s per 200 MB when the file is in
    // the page cache; bigger files are checked by `npm run db:check` and by
    // every backup instead, and damage a page runs into stops readiness.
    STARTUP_CHECK_MAX_MB: int(256, 0, 1_000_000),
    BACKUP_KEEP: int(5, 0, 1000),
    SEED_DEMO_DATA: flag(!production),
    // The first signs the cart cookie and every one is accepted, so a secret
    // can be rotated without signing everybody out (docs/security.md).
    // SESSION_SECRET, one secret, is what earlier versions read. Required by
    // the server in production (sessionSecrets below), not by the CLI.
    SESSION_SECRETS: z.string().optional(),
    SESSION_SECRET: z.string().optional(),
    // Holds a password: never logged.
    SMTP_URL: z
      .string()
      .trim()
      .optional()
      .refine((value) => value === undefined || smtpUrl(value), "must be smtp://[user:pass@]host[:port] or smtps://…"),
    // The From of every message, e.g. "Corner Store <orders@shop.example.com>".
    // Required with SMTP_URL in production: a made-up sender is spam.
    MAIL_FROM: z.string().trim().max(300).optional(),
    MAIL_POLL_MS: int(1_000, 10, 60_000),
    MAIL_RETRY_BASE_MS: int(5_000, 10, 3_600_000),
    MAIL_RETRY_MAX_MS: int(900_000, 10, 86_400_000),
    MAIL_GIVE_UP_AFTER_MS: int(86_400_000, 100, 30 * 86_400_000),
    MAIL_SMTP_TIMEOUT_MS: int(30_000, 100, 600_000),
    // Payment (docs/payments.md). The store's currency, as ISO 4217 in lower
    // case; prices are integer amounts of its minor unit (cents, or whole yen),
    // so only a currency with two decimals or none fits (app/core/money.ts).
    STORE_CURRENCY: z
      .string()
      .trim()
      .toLowerCase()
      .default("usd")
      .superRefine((code, ctx) => {
        const problem = currencyProblem(code);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
    // Stripe accepts a Checkout Session that expires 30 minutes to 24 hours later.
    PAYMENT_HOLD_MINUTES: int(30, 30, 1_440),
    PAYMENT_SWEEP_SECONDS: int(60, 1, 3_600),
    // Stripe redelivers for up to 3 days: at least 4.
    PAYMENT_EVENTS_KEEP_DAYS: int(30, 4, 3_650),
    // Both set: payment by Stripe Checkout; both unset: manual payment.
    STRIPE_SECRET_KEY: z.string().trim().optional(),
    STRIPE_WEBHOOK_SECRET: z.string().trim().optional(),
    // Only this machine is accepted, so a stray value cannot send keys elsewhere.
    STRIPE_API_BASE: z
      .string()
      .optional()
      .refine(
        (v) => v === undefined || /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/?$/.test(v),
        "must be http(s)://127.0.0.1:<port> (a local test double), or unset",
      ),
    // Graceful shutdown: readiness fails first, then after SHUTDOWN_DELAY_MS the
    // server stops accepting and drains; past SHUTDOWN_TIMEOUT_MS it exits 1.
    // Together they must end before the platform's SIGKILL: `docker stop`
    // waits 10 s by default, so the defaults add up to less than that.
    SHUTDOWN_DELAY_MS: int(0, 0, 60_000),
    SHUTDOWN_TIMEOUT_MS: int(8_000, 100, 600_000),
    STORE_NAME: z.string().trim().min(1).max(60).default("Corner Store"),
    STORE_CONTACT_EMAIL: z.email({ message: "must be an email address" }).optional(),
    SHIP_TO_COUNTRIES: z
      .string()
      .default("US,CA,GB,IE,FR,DE,NL,AU,NZ")
      .transform((value, ctx): string[] => {
        const codes = [...new Set(value.split(",").map((code) => code.trim().toUpperCase()).filter(Boolean))];
        const bad = codes.find((code) => countryName(code) === undefined);
        if (codes.length > 0 && bad === undefined) return codes;
        ctx.addIssue({
          code: "custom",
          message: bad === undefined ? "must name at least one country" : `has "${bad}", not an ISO 3166-1 alpha-2 country code (like US, GB, DE)`,
        });
        return z.NEVER;
      }),
    STORE_TIME_ZONE: z
      .string()
      .default("UTC")
      .refine(isTimeZone, { message: "must be an IANA time zone such as UTC or Europe/London" }),
  }).transform(({ SESSION_SECRETS, SESSION_SECRET, PUBLIC_URL, ...others }, ctx) => {
    // A development store is where its developer's browser finds it.
    const rest = {
      ...others,
      PUBLIC_URL: PUBLIC_URL ?? (production ? undefined : `http://localhost:${others.PORT}`),
      MAIL_FROM: others.MAIL_FROM ?? `${others.STORE_NAME} <store@localhost>`,
    };
    if (production && others.SMTP_URL && !others.MAIL_FROM) {
      ctx.addIssue({ code: "custom", path: ["MAIL_FROM"], message: 'is required with SMTP_URL in production, e.g. "Shop <orders@shop.example.com>"' });
      return z.NEVER;
    }
    // Half a Stripe set-up would take orders it can never see paid.
    if (Boolean(rest.STRIPE_SECRET_KEY) !== Boolean(rest.STRIPE_WEBHOOK_SECRET)) {
      const missing = rest.STRIPE_SECRET_KEY ? "STRIPE_WEBHOOK_SECRET" : "STRIPE_SECRET_KEY";
      ctx.addIssue({ code: "custom", path: [missing], message: "is required too: set both Stripe keys, or neither for manual payment" });
      return z.NEVER;
    }
    if (SESSION_SECRETS && SESSION_SECRET) {
      ctx.addIssue({ code: "custom", path: ["SESSION_SECRETS"], message: "and SESSION_SECRET are both set: keep only SESSION_SECRETS" });
      return z.NEVER;
    }
    const secrets = (SESSION_SECRETS ?? SESSION_SECRET ?? "").split(",").map((v) => v.trim()).filter(Boolean);
    if (!production) return { ...rest, SESSION_SECRETS: secrets.length > 0 ? secrets : [DEV_SESSION_SECRET] };
    secrets.forEach((secret, i) => {
      const weak = weakSecret(secret);
      if (weak) {
        const which = secrets.length > 1 ? ` (secret ${i + 1} of ${secrets.length})` : "";
        ctx.addIssue({
          code: "custom",
          path: [SESSION_SECRETS ? "SESSION_SECRETS" : "SESSION_SECRET"],
          message: `${weak}${which}: generate one with \`openssl rand -hex 32\``,
        });
      }
    });
    return { ...rest, SESSION_SECRETS: secrets };
  });
}

/** Which payment provider the settings choose: Stripe when both its keys are set. */
export function paymentProvider(config: Env): "manual" | "stripe" {
  return config.STRIPE_SECRET_KEY && config.STRIPE_WEBHOOK_SECRET ? "stripe" : "manual";
}

/**
 * Why a production secret is too easy to guess, or null. Plain rules that
 * catch the usual mistakes (the development value, a placeholder, a word, a
 * pattern) and never refuse a random secret: `openssl rand -hex 16` (or -hex
 * 32, or base64, or a UUID) always passes. Not a proof of randomness.
 */
export function weakSecret(secret: string): string | null {
  const lower = secret.toLowerCase();
  if (lower === DEV_SESSION_SECRET) return "is the public development secret";
  if (secret.length < 32) return "is shorter than 32 characters";
  if (/secret|change|example|password|default|sample|placeholder/.test(lower)) return "looks like a placeholder";
  if (new Set(secret).size < 8) return "has too little variety to be random";
  for (let i = 0; i + 8 <= secret.length; i++) {
    if (secret.indexOf(secret.slice(i, i + 8), i + 1) !== -1) return "repeats itself, so it is not random";
  }
  // Seven characters in a row up or down the alphabet: "abcdefg", "1234567", "9876543".
  for (let i = 0, up = 1, down = 1; i + 1 < secret.length; i++) {
    const step = lower.charCodeAt(i + 1) - lower.charCodeAt(i);
    up = step === 1 ? up + 1 : 1;
    down = step === -1 ? down + 1 : 1;
    if (up >= 7 || down >= 7) return "holds a run like abcdefg or 1234567";
  }
  return null;
}

export type Env = z.infer<ReturnType<typeof schemaFor>>;

export class EnvError extends KnownError {
  override name = "EnvError";
}

export function parseEnv(source: NodeJS.ProcessEnv): Env {
  // Treat empty strings as unset, as a blank line in .env usually means.
  const values = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ""));
  const result = schemaFor(values.NODE_ENV).safeParse(values);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".")} ${i.message}`);
    throw new EnvError(`Invalid environment: ${problems.join("; ")}`);
  }
  return result.data;
}

/**
 * Whether messages leave the store: SMTP_URL is set, or development writes
 * them to files. Order messages are queued either way (production keeps
 * them until SMTP_URL is set); a staff link is queued only when it will go
 * out, since the row holds the link's only copy. (Here, not beside the
 * outbox: `db:status` asks it in the tutorial's sandbox, which has no outbox.)
 */
export function mailConfigured(config: Pick<Env, "SMTP_URL" | "NODE_ENV">): boolean {
  return Boolean(config.SMTP_URL) || config.NODE_ENV !== "production";
}

/** The secrets that sign and check session cookies, newest first; throws if production has none. */
export function sessionSecrets(config: Pick<Env, "SESSION_SECRETS">): string[] {
  if (config.SESSION_SECRETS.length === 0) {
    throw new EnvError(
      "Invalid environment: SESSION_SECRETS is required in production (generate one: openssl rand -hex 32)",
    );
  }
  return config.SESSION_SECRETS;
}

/**
 * The origin every absolute link starts with (no trailing slash); throws if
 * production has none. Checked by the server at startup, and by a CLI
 * command before it makes a link (db:migrate and the rest need none).
 */
export function publicUrl(config: Env): string {
  if (config.PUBLIC_URL === undefined) {
    throw new EnvError(
      "Invalid environment: PUBLIC_URL is required in production: the address people use to reach the store, like https://shop.example.com",
    );
  }
  return config.PUBLIC_URL;
}

// server.ts runs this module directly while the app bundle has its own copy
// (decision 001), so the key lives on globalThis.
const shared = globalThis as typeof globalThis & { __storeConfig?: RouterContext<Env> };

/** The settings server.ts parsed at startup, for loaders, actions and middleware. */
export const configContext = (shared.__storeConfig ??= createContext<Env>());

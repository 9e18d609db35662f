// Staff passwords, hashed with Argon2id from Node's own crypto module
// (node:crypto argon2, Node 24.7+ with OpenSSL 3.2+): no native addon, no
// dependency. docs/decisions/015-argon2id-passwords.md says why these
// parameters, and why not scrypt or bcrypt.
//
// Stored in the PHC string format every Argon2 library reads:
//   $argon2id$v=19$m=19456,t=2,p=1$<salt, base64>$<hash, base64>
// The parameters travel with the hash, so raising them later only affects
// new hashes; needsRehash() tells sign-in to upgrade an old one.
import * as crypto from "node:crypto";
import { promisify } from "node:util";
import { KnownError } from "#app/core/errors.ts";

// A namespace import, not `import { argon2 }`: on a Node without it (before
// 24.7) a named import would stop the whole server from loading, shop
// included. Only signing in needs it.
const argon2Async = typeof crypto.argon2 === "function" ? promisify(crypto.argon2) : undefined;

/** OWASP's first recommendation for Argon2id: 19 MiB of memory, 2 passes, 1 lane. */
export const ARGON2_PARAMETERS = { memory: 19_456, passes: 2, parallelism: 1 } as const;
const SALT_BYTES = 16;
const HASH_BYTES = 32;

// What a stored hash may ask for: a row edited by hand (or by an attacker
// with write access) must not make a sign-in allocate gigabytes.
const MAX_MEMORY_KIB = 262_144;
const MAX_PASSES = 10;

type Parameters = { memory: number; passes: number; parallelism: number };

function derive(password: string, salt: Buffer, parameters: Parameters, length: number): Promise<Buffer> {
  if (!argon2Async) throw new KnownError(`staff passwords need Node 24.7 or later (node:crypto argon2); this is ${process.version}`);
  // Runs on libuv's thread pool: the event loop keeps serving meanwhile.
  return argon2Async("argon2id", { message: password, nonce: salt, tagLength: length, ...parameters });
}

const b64 = (bytes: Buffer) => bytes.toString("base64").replace(/=+$/, "");

/** A new Argon2id hash of `password` with a random salt, as a PHC string. */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, ARGON2_PARAMETERS, HASH_BYTES);
  const { memory: m, passes: t, parallelism: p } = ARGON2_PARAMETERS;
  return `$argon2id$v=19$m=${m},t=${t},p=${p}$${b64(salt)}$${b64(hash)}`;
}

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function parse(stored: string) {
  const match = PHC.exec(stored);
  if (!match) return null;
  const [, m, t, p, salt, hash] = match;
  const parameters = { memory: Number(m), passes: Number(t), parallelism: Number(p) };
  const saltBytes = Buffer.from(salt!, "base64");
  const hashBytes = Buffer.from(hash!, "base64");
  const sane =
    parameters.memory >= 8 * parameters.parallelism &&
    parameters.memory <= MAX_MEMORY_KIB &&
    parameters.passes >= 1 &&
    parameters.passes <= MAX_PASSES &&
    parameters.parallelism >= 1 &&
    parameters.parallelism <= 16 &&
    saltBytes.length >= 8 &&
    hashBytes.length >= 16;
  return sane ? { parameters, salt: saltBytes, hash: hashBytes } : null;
}

/** True if `password` matches the stored hash. A malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const candidate = await derive(password, parsed.salt, parsed.parameters, parsed.hash.length);
  return crypto.timingSafeEqual(candidate, parsed.hash);
}

/** True if the hash was made with other parameters than today's: hash the password again. */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  if (!parsed) return true;
  const { memory, passes, parallelism } = parsed.parameters;
  return (
    memory !== ARGON2_PARAMETERS.memory ||
    passes !== ARGON2_PARAMETERS.passes ||
    parallelism !== ARGON2_PARAMETERS.parallelism ||
    parsed.hash.length !== HASH_BYTES
  );
}

let dummy: Promise<string> | undefined;

/**
 * Spends the time a real check takes, for an email with no account (or no
 * password yet), so the response time does not tell which emails exist.
 */
export async function verifyNothing(password: string): Promise<false> {
  dummy ??= hashPassword(crypto.randomBytes(16).toString("hex"));
  await verifyPassword(password, await dummy);
  return false;
}

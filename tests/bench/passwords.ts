// What the staff password check costs (app/staff/password-strength.server.ts,
// docs/decisions/029-password-strength.md): `npm run bench:passwords`, part
// of `npm run bench`, never of `npm test`.
//
//  1. the first check in a fresh process, 5 times: loading zxcvbn-ts and its
//     dictionaries (which the server does on the first check, not at start)
//     plus one check, in CPU and wall time;
//  2. one check, in CPU time (steadier than wall time on a shared machine),
//     for the passwords people choose and for the longest a form accepts;
//  3. what the check adds to the production build (run `npm run build` first):
//     the server chunks holding it, loaded on first use, and the client (none).
import { execFileSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { MAX_PASSWORD_LENGTH } from "#app/core/limits.ts";
import { weakPasswordReason } from "#app/staff/password-strength.server.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const fixed = (n: number) => n.toFixed(n < 10 ? 2 : 0);

// --- 1. the first check ---------------------------------------------------------
const FIRST = `
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const { weakPasswordReason } = await import("#app/staff/password-strength.server.ts");
  const [c, t] = [cpu(), performance.now()];
  await weakPasswordReason("a first password to check", "owner@example.com");
  console.log(JSON.stringify({ cpu: cpu() - c, wall: performance.now() - t }));`;
const firsts = Array.from({ length: 5 }, () => {
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", FIRST], { cwd: ROOT, encoding: "utf8" });
  return JSON.parse(out) as { cpu: number; wall: number };
});
console.log(
  `first check in a fresh process (load + one check), 5 runs: median ${fixed(percentile(firsts.map((f) => f.cpu), 0.5))} ms CPU, ` +
    `${fixed(percentile(firsts.map((f) => f.wall), 0.5))} ms wall`,
);

// --- 2. one check ---------------------------------------------------------------
const pick = (chars: string, n: number) => Array.from({ length: n }, () => chars[randomInt(chars.length)]).join("");
const ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const WORDS = ["otter", "canal", "purple", "drum", "willow", "copper", "lantern", "meadow", "quartz", "harbor", "ember", "thistle"];
const cases: [string, () => string, number][] = [
  ["random, 20 characters (a password manager's)", () => randomBytes(15).toString("base64url"), 500],
  ["random digits, 12", () => pick("0123456789", 12), 500],
  ["four words", () => Array.from({ length: 4 }, () => WORDS[randomInt(WORDS.length)]).join(" "), 500],
  ["common, refused (password1234, qwerty123456…)", () => ["password1234", "qwerty123456", "iloveyou2024", "aaaaaaaaaaaa"][randomInt(4)]!, 500],
  ["random, 64 characters", () => pick(ALNUM, 64), 50],
  [`random, ${MAX_PASSWORD_LENGTH} characters (the longest accepted)`, () => pick(ALNUM, MAX_PASSWORD_LENGTH), 50],
  [`random digits, ${MAX_PASSWORD_LENGTH}`, () => pick("0123456789", MAX_PASSWORD_LENGTH), 50],
];
for (let i = 0; i < 100; i++) await weakPasswordReason(randomBytes(15).toString("base64url"), "owner@example.com"); // warm up
console.log("\n| password | checks | median ms CPU | p99 | max |\n| --- | --- | --- | --- | --- |");
for (const [name, make, count] of cases) {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const password = make();
    const started = cpuMs();
    await weakPasswordReason(password, "owner@example.com");
    times.push(cpuMs() - started);
  }
  console.log(`| ${name} | ${count} | ${fixed(percentile(times, 0.5))} | ${fixed(percentile(times, 0.99))} | ${fixed(Math.max(...times))} |`);
}

// --- 3. the build ---------------------------------------------------------------
const kB = (bytes: number) => `${(bytes / 1000).toFixed(0)} kB`;
const holding = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .map((name) => join(dir, name))
        .filter((path) => path.endsWith(".js") && /ZxcvbnFactory|passwords-common|diceware-common/.test(readFileSync(path, "utf8")))
    : [];
if (!existsSync(join(ROOT, "build", "server", "index.js"))) {
  console.log("\nno production build: run `npm run build` for the bundle sizes");
} else {
  const server = holding(join(ROOT, "build", "server", "assets"));
  const client = holding(join(ROOT, "build", "client", "assets"));
  const startup = ["index.js", "server.js"].filter((f) => /passwords-common|diceware-common/.test(readFileSync(join(ROOT, "build", "server", f), "utf8")));
  console.log(
    `\nbuild: ${server.length} server chunk(s) loaded on the first check, ${kB(server.reduce((n, p) => n + statSync(p).size, 0))}; ` +
      `in the files loaded at start: ${startup.length ? startup.join(", ") : "none"}; in the browser's: ${client.length ? client.join(", ") : "none"}`,
  );
}

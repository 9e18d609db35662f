// Lighthouse on the store's key pages: `npm run bench:lighthouse [-- --runs 3] [-- --only catalog,cart]`.
// Never part of `npm test` (its figures depend on the machine); results in
// docs/benchmarks.md#lighthouse-benchlighthouse.
//
//  1. starts the production build (`npm run build` first) on a fresh database
//     with the demo products, one worker;
//  2. makes a shopper's cart (two products, one of them twice) and a signed-in
//     owner over HTTP, as the forms do, and hands their cookies to Lighthouse;
//  3. runs Lighthouse's default mobile preset (a Moto G Power screen,
//     simulated slow 4G and a 4× slower CPU) on catalog, product, cart,
//     checkout and the staff dashboard, and on a baseline in the same run: a
//     bare node:http server sending a small static page with one image;
//  4. prints the four category scores, LCP, TBT, CLS and bytes per page (the
//     median run by performance score when --runs > 1), and exits 1 when a
//     page scores under 95 in a category that applies to it. SEO does not
//     apply to the cart, checkout and staff pages: they ask not to be indexed.
//
// Chromium: PLAYWRIGHT_CHROMIUM_PATH, else /usr/bin/chromium (as the e2e suite).
// BENCH_LHR_DIR=<dir> keeps each run's full report (JSON) there, to see why;
// BENCH_TRACE_DIR=<dir> keeps each run's Chrome trace (open it in DevTools'
// Performance panel, or read its long tasks with tests/bench/long-tasks.ts).
// `--compare <dir>`: an A/B in one window. <dir> holds another checkout of the
// project, built, with node_modules (e.g. main's: `git archive main | tar -x -C
// <dir>`, a link to node_modules, `npm run build` there); a second server runs
// it on its own copy of the same database, and each run audits a page on this
// build and then on that one, so both see the same machine load. Its rows end
// in "[B]".
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { products } from "#app/db/schema.ts";
import { startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { browser, staffAccount } from "#tests/helpers/staff.ts";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "1" }, only: { type: "string" }, compare: { type: "string" } },
});
/** `--only catalog,cart`: those pages (and the baseline), by the first word of their name. */
const ONLY = values.only?.split(",");
const RUNS = Number(values.runs);
// Made here, not at the first write: a missing folder ended the run after its first audit.
for (const dir of [process.env.BENCH_LHR_DIR, process.env.BENCH_TRACE_DIR]) if (dir) mkdirSync(dir, { recursive: true });
const ROOT = join(import.meta.dirname, "..", "..");
const CHROMIUM = process.env.PLAYWRIGHT_CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);
const THRESHOLD = 95;
const CATEGORIES = ["performance", "accessibility", "best-practices", "seo"] as const;
type Category = (typeof CATEGORIES)[number];

const scratch = mkdtempSync(join(tmpdir(), "store-bench-lighthouse-"));
const databasePath = join(scratch, "store.db");
let store: ServerProcess | undefined;
let other: ServerProcess | undefined;

/** The baseline: a small static page with one image, from a bare node:http server. */
function startBaseline(): Promise<{ url: string; close: () => void }> {
  const image = readFileSync(join(ROOT, "public/images/products/stoneware-mug.svg"));
  const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>A static page</title>
<meta name="description" content="One heading, a paragraph and one picture, from node:http.">
<style>body{font-family:system-ui,sans-serif;margin:0 auto;max-width:40rem;padding:1rem;color:#1c1917}img{width:100%;height:auto}</style>
</head>
<body>
<main>
<h1>A static page</h1>
<p>The baseline for bench:lighthouse: nothing to run, nothing to wait for.</p>
<img src="/mug.svg" alt="A stoneware mug" width="400" height="400">
</main>
</body>
</html>
`;
  const server = createServer((request, response) => {
    if (request.url === "/mug.svg") {
      response.writeHead(200, { "Content-Type": "image/svg+xml", "Content-Length": image.length, "Cache-Control": "public, max-age=31536000, immutable" });
      response.end(image);
    } else if (request.url === "/favicon.ico") {
      response.writeHead(204);
      response.end();
    } else if (request.url === "/") {
      response.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Length": Buffer.byteLength(page) });
      response.end(page);
    } else {
      response.writeHead(404, { "Content-Type": "text/plain" });
      response.end("Not found");
    }
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://localhost:${port}/`, close: () => server.close() });
    });
  });
}

type Result = {
  name: string;
  scores: Record<Category, number>;
  lcp: number;
  tbt: number;
  cls: number;
  bytes: number;
  lcpElement: string;
};

/** One Lighthouse run of `url`; a run that lost its trace (NO_NAVSTART) is run again once. */
async function auditOnce(port: number, name: string, url: string, run: number, cookie?: string): Promise<Result> {
  for (let retried = false; ; retried = true) {
    const answer = await lighthouse(url, {
      port,
      output: "json",
      logLevel: "error",
      onlyCategories: [...CATEGORIES],
      ...(cookie ? { extraHeaders: { Cookie: cookie } } : {}),
    });
    if (!answer) throw new Error(`Lighthouse gave no result for ${url}`);
    const { lhr } = answer;
    const file = `${name.split(" ")[0]!.replace(/\W/g, "")}${name.endsWith("[B]") ? "-B" : ""}-${run}`;
    if (process.env.BENCH_LHR_DIR) writeFileSync(join(process.env.BENCH_LHR_DIR, `${file}.json`), JSON.stringify(lhr));
    // The raw trace (Chrome's own events, unthrottled), to see what a long task was.
    if (process.env.BENCH_TRACE_DIR) writeFileSync(join(process.env.BENCH_TRACE_DIR, `${file}.trace.json`), JSON.stringify(answer.artifacts.Trace));
    // Now and then the trace misses its navigation start on a loaded machine
    // (NO_NAVSTART): Lighthouse says to run it again, so once it is.
    if (lhr.runtimeError && !retried) {
      console.log(`  ${name}: ${lhr.runtimeError.code}, running it again`);
      continue;
    }
    if (lhr.runtimeError) throw new Error(`${name}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
    const numeric = (id: string) => lhr.audits[id]?.numericValue ?? Number.NaN;
    const lcpParts = (lhr.audits["lcp-breakdown-insight"]?.details as { items?: { type: string; snippet?: string }[] } | undefined)?.items;
    // Below the threshold: what Lighthouse holds against the page, so a failure says why.
    for (const c of CATEGORIES) {
      const category = lhr.categories[c];
      if (!category || (category.score ?? 0) * 100 >= THRESHOLD) continue;
      const failing = category.auditRefs
        .filter((ref) => ref.weight > 0 && (lhr.audits[ref.id]?.score ?? 1) < 0.9)
        .map((ref) => `${ref.id} (${lhr.audits[ref.id]?.displayValue ?? lhr.audits[ref.id]?.score})`);
      console.log(`  ${name} ${c} ${Math.round((category.score ?? 0) * 100)}: ${failing.join(", ")}`);
    }
    return {
      name,
      scores: Object.fromEntries(CATEGORIES.map((c) => [c, Math.round((lhr.categories[c]?.score ?? 0) * 100)])) as Record<Category, number>,
      lcp: numeric("largest-contentful-paint"),
      tbt: numeric("total-blocking-time"),
      cls: numeric("cumulative-layout-shift"),
      bytes: numeric("total-byte-weight"),
      lcpElement: lcpParts?.find((item) => item.type === "node")?.snippet ?? "?",
    };
  }
}

const load = () => loadavg().map((l) => l.toFixed(1)).join(", ");

/** The median run by performance score (then LCP). */
const median = (runs: Result[]) => [...runs].sort((a, b) => a.scores.performance - b.scores.performance || a.lcp - b.lcp)[Math.floor(runs.length / 2)]!;

let chrome: chromeLauncher.LaunchedChrome | undefined;
let baseline: { url: string; close: () => void } | undefined;
try {
  store = await startServer({ env: { DATABASE_PATH: databasePath, SEED_DEMO_DATA: "true", PUBLIC_URL: "http://localhost" } });
  // localhost, not 127.0.0.1: Lighthouse counts only localhost as a secure origin over HTTP.
  const base = store.url.replace("127.0.0.1", "localhost");
  baseline = await startBaseline();

  // A shopper with two products in the cart, one of them twice.
  const db = openDatabase(databasePath);
  const [first, second] = db.select({ id: products.id, slug: products.slug }).from(products).orderBy(products.id).limit(2).all();
  const shopper = browser(base);
  for (const [product, quantity] of [[first!, "2"], [second!, "1"]] as const) {
    const reply = await shopper.post(`/products/${product.slug}`, { productId: String(product.id), quantity });
    if (reply.status !== 302) throw new Error(`adding ${product.slug} to the cart answered ${reply.status}`);
  }
  const cookieOf = (jar: Map<string, string>) => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  // The owner, signed in through the form.
  await staffAccount(db, "owner@lighthouse.test", "owner");
  closeDatabase(db);
  const owner = browser(base);
  await owner.signIn("owner@lighthouse.test");
  // The other build gets a copy of this database (same products, cart-free:
  // the cookies are signed with the same secret and the cart lives in them;
  // the owner's session row comes along in the copy).
  let otherBase: string | undefined;
  if (values.compare) {
    const otherPath = join(scratch, "other.db");
    const copy = openDatabase(databasePath);
    copy.$client.exec(`VACUUM INTO '${otherPath}'`);
    closeDatabase(copy);
    other = await startServer({ cwd: values.compare, env: { DATABASE_PATH: otherPath, PUBLIC_URL: "http://localhost" } });
    otherBase = other.url.replace("127.0.0.1", "localhost");
  }

  chrome = await chromeLauncher.launch({
    chromePath: CHROMIUM,
    chromeFlags: ["--headless=new", "--disable-gpu", ...(process.getuid?.() === 0 ? ["--no-sandbox"] : [])],
  });
  console.log(
    `bench:lighthouse on ${cpus().length} × ${cpus()[0]?.model ?? "?"}, Lighthouse ${(await import("lighthouse/package.json", { with: { type: "json" } })).default.version}, ` +
      `mobile preset (simulated throttling), ${RUNS} run${RUNS === 1 ? "" : "s"} per page${RUNS > 1 ? " (median by performance)" : ""}` +
      `${values.compare ? `, [B] = the build in ${values.compare}` : ""}; load average ${load()} at the start\n`,
  );
  const pages: { name: string; url: string; cookie?: string; seo: boolean }[] = [
    { name: "baseline: static page, one image", url: baseline.url, seo: true },
    { name: "catalog /", url: `${base}/`, seo: true },
    { name: `product /products/${first!.slug}`, url: `${base}/products/${first!.slug}`, seo: true },
    { name: "cart /cart (2 lines, 3 items)", url: `${base}/cart`, cookie: cookieOf(shopper.jar), seo: false },
    { name: "checkout /checkout", url: `${base}/checkout`, cookie: cookieOf(shopper.jar), seo: false },
    { name: "dashboard /admin (owner)", url: `${base}/admin`, cookie: cookieOf(owner.jar), seo: false },
  ];
  const results: (Result & { seo: boolean })[] = [];
  for (const page of pages.filter((p, i) => i === 0 || !ONLY || ONLY.includes(p.name.split(" ")[0]!))) {
    const variants = [{ name: page.name, url: page.url }];
    if (otherBase && page.url.startsWith(base)) variants.push({ name: `${page.name} [B]`, url: otherBase + page.url.slice(base.length) });
    const runs = new Map<string, Result[]>(variants.map((v) => [v.name, []]));
    for (let i = 1; i <= RUNS; i++) for (const v of variants) runs.get(v.name)!.push(await auditOnce(chrome.port, v.name, v.url, i, page.cookie));
    for (const v of variants) results.push({ ...median(runs.get(v.name)!), seo: page.seo });
  }

  const header = ["page".padEnd(44), "perf", "a11y", "b.p.", " seo", "   LCP", "  TBT", "   CLS", "   bytes"].join("  ");
  console.log(`\n${header}\n${"-".repeat(header.length)}`);
  const failures: string[] = [];
  for (const r of results) {
    const cell = (c: Category) => (c === "seo" && !r.seo ? `(${r.scores[c]})` : String(r.scores[c])).padStart(4);
    console.log(
      [
        r.name.padEnd(44),
        ...CATEGORIES.map(cell),
        `${(r.lcp / 1000).toFixed(2)} s`.padStart(6),
        `${r.tbt.toFixed(0)} ms`.padStart(5),
        r.cls.toFixed(3).padStart(6),
        `${(r.bytes / 1000).toFixed(0)} kB`.padStart(8),
      ].join("  "),
    );
    for (const c of CATEGORIES) if ((c !== "seo" || r.seo) && r.scores[c] < THRESHOLD) failures.push(`${r.name}: ${c} ${r.scores[c]}`);
  }
  console.log(`\nload average ${load()} at the end`);
  console.log("\nLCP element per page:");
  for (const r of results) console.log(`  ${r.name}: ${r.lcpElement.slice(0, 160)}`);
  console.log("(SEO in brackets: the page asks not to be indexed, so the score does not apply.)");
  if (failures.length > 0) {
    console.log(`\nUnder ${THRESHOLD}:\n  ${failures.join("\n  ")}`);
    process.exitCode = 1;
  } else {
    console.log(`\nEvery page at ${THRESHOLD} or more in every category that applies.`);
  }
} finally {
  chrome?.kill();
  baseline?.close();
  if (store) await stopServer(store);
  if (other) await stopServer(other);
  rmSync(scratch, { recursive: true, force: true });
}

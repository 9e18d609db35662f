// What a Lighthouse run's Total Blocking Time is made of:
// `node tests/bench/long-tasks.ts [<report.json>] [<report.trace.json>]`, on files kept by
// `BENCH_LHR_DIR=<dir> BENCH_TRACE_DIR=<dir> npm run bench:lighthouse`.
//
// From the report: the simulated FCP, TTI and TBT, and Lighthouse's own
// simulated long tasks (start, duration, the script it blames). Under the
// mobile preset every task the browser ran is stretched 4× (2× if it laid the
// page out), and each one over 50 ms after that adds its excess to TBT where
// it falls between FCP and TTI: a task of 12.5 ms on this machine counts.
// From the trace: the page's main-thread tasks as they ran here (unthrottled),
// each over 3 ms, with the events that took its time (self time).
import { readFileSync } from "node:fs";

type Audit = { numericValue?: number; details?: { debugData?: { urls: string[]; tasks: { startTime: number; duration: number; urlIndex: number }[] } } };
type TraceEvent = {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { beginData?: { url?: string }; data?: { documentLoaderURL?: string; url?: string; functionName?: string } };
};

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tests/bench/long-tasks.ts [<report.json>] [<report.trace.json>]");
  process.exit(2);
}
const path = (url: string | undefined) => (url ?? "?").replace(/^https?:\/\/[^/]+/, "");
const ms = (value: number | undefined) => `${Math.round(value ?? Number.NaN)} ms`;
for (const file of files) {
  if (file.endsWith(".trace.json")) trace(file);
  else report(file);
}

function report(file: string) {
  const lhr = JSON.parse(readFileSync(file, "utf8")) as { audits: Record<string, Audit>; categories: { performance: { score: number } } };
  const fcp = lhr.audits["first-contentful-paint"]?.numericValue ?? 0;
  console.log(
    `${file}: perf ${Math.round(lhr.categories.performance.score * 100)}; simulated FCP ${ms(fcp)}, ` +
      `LCP ${ms(lhr.audits["largest-contentful-paint"]?.numericValue)}, TTI ${ms(lhr.audits["interactive"]?.numericValue)}, ` +
      `TBT ${ms(lhr.audits["total-blocking-time"]?.numericValue)}`,
  );
  const debug = lhr.audits["long-tasks"]?.details?.debugData;
  if (!debug) return;
  console.log("simulated long tasks: start, duration, about how much counts (after FCP, less 50 ms), blamed on");
  for (const task of [...debug.tasks].sort((a, b) => a.startTime - b.startTime)) {
    const end = task.startTime + task.duration;
    const counted = Math.max(0, end - Math.max(task.startTime, fcp) - 50);
    console.log(`  ${ms(task.startTime).padStart(8)} ${ms(task.duration).padStart(7)} ${`~${Math.round(counted)}`.padStart(6)}  ${path(debug.urls[task.urlIndex]).slice(0, 60)}`);
  }
}

function trace(file: string) {
  const { traceEvents: events } = JSON.parse(readFileSync(file, "utf8")) as { traceEvents: TraceEvent[] };
  // The page's renderer main thread: where its document was parsed (not about:blank's).
  const parse = events.find((e) => e.name === "ParseHTML" && /^https?:/.test(e.args?.beginData?.url ?? ""));
  if (!parse) throw new Error(`${file}: no ParseHTML of a page`);
  const navStart = events.find((e) => e.name === "navigationStart" && e.pid === parse.pid && /^https?:/.test(e.args?.data?.documentLoaderURL ?? ""));
  const main = events
    .filter((e) => e.pid === parse.pid && e.tid === parse.tid && e.ph === "X" && e.dur !== undefined)
    .sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const origin = navStart?.ts ?? main[0]!.ts;
  // Self time: an event's length less its direct children's, from the nesting.
  const self = new Map<TraceEvent, number>(main.map((e) => [e, e.dur!]));
  const taskOf = new Map<TraceEvent, TraceEvent>();
  const stack: TraceEvent[] = [];
  for (const e of main) {
    while (stack.length > 0 && stack.at(-1)!.ts + stack.at(-1)!.dur! <= e.ts) stack.pop();
    const parent = stack.at(-1);
    if (parent) {
      self.set(parent, self.get(parent)! - e.dur!);
      taskOf.set(e, taskOf.get(parent) ?? parent);
    }
    stack.push(e);
  }
  const kinds = new Map<TraceEvent, Map<string, number>>();
  for (const [e, task] of taskOf) {
    const where = [e.args?.data?.functionName, e.args?.data?.url && path(e.args.data.url).slice(0, 40)].filter(Boolean).join(" ");
    const label = where ? `${e.name}(${where})` : e.name;
    const byLabel = kinds.get(task) ?? new Map<string, number>();
    byLabel.set(label, (byLabel.get(label) ?? 0) + self.get(e)!);
    kinds.set(task, byLabel);
  }
  console.log(`${file}: main-thread tasks over 3 ms as they ran (start from navigationStart, length, what took the time)`);
  let total = 0;
  for (const task of main.filter((e) => !taskOf.has(e))) {
    total += task.dur!;
    if (task.dur! < 3000) continue;
    const top = [...(kinds.get(task) ?? [])]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([label, time]) => `${label} ${(time / 1000).toFixed(1)}`);
    console.log(`  ${((task.ts - origin) / 1000).toFixed(0).padStart(6)} ms ${(task.dur! / 1000).toFixed(1).padStart(6)} ms  ${top.join(", ")}`);
  }
  console.log(`  (all tasks: ${(total / 1000).toFixed(0)} ms)`);
}

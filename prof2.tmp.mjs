import { chromium } from "@playwright/test";
const url = process.argv[2] ?? "http://localhost:4391/";
const b = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
const results = [];
for (let run = 0; run < Number(process.argv[3] ?? 3); run++) {
  const ctx = await b.newContext({ viewport: { width: 412, height: 823 } });
  const p = await ctx.newPage();
  const cdp = await ctx.newCDPSession(p);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  await p.addInitScript(() => {
    window.__long = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push([Math.round(e.startTime), Math.round(e.duration)]); }).observe({ type: "longtask", buffered: true });
  });
  await p.goto(url);
  await p.waitForFunction(() => !("__reactRouterContext" in window) || "__reactRouterDataRouter" in window);
  await p.waitForTimeout(2000);
  const r = await p.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const fcp = performance.getEntriesByName("first-contentful-paint")[0]?.startTime;
    const tbt = window.__long.filter(([s]) => s > fcp).reduce((a, [, d]) => a + Math.max(0, d - 50), 0);
    return { fcp: Math.round(fcp), load: Math.round(nav.loadEventStart), long: window.__long, tbtAfterFcp: tbt };
  });
  results.push(r);
  console.log(JSON.stringify(r));
  await ctx.close();
}
await b.close();

import { chromium } from "@playwright/test";
const b = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
for (let i = 0; i < 3; i++) {
const ctx = await b.newContext();
const p = await ctx.newPage();
const cdp = await ctx.newCDPSession(p);
await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
await p.route("http://localhost:4391/probe", (route) => route.fulfill({ contentType: "text/html", body: `<!doctype html><p>x</p><script>
let t0=performance.now(); let key=Math.random().toString(32).slice(2); history.replaceState({key},""); let t1=performance.now();
let v=sessionStorage.getItem("k"); let t2=performance.now(); JSON.parse(v||"{}"); 
let f=new Intl.DateTimeFormat("en-US",{weekday:"short",month:"short",day:"numeric",timeZone:"UTC"}); let t3=performance.now();
let g=new Intl.NumberFormat("en-US",{style:"currency",currency:"USD"}); let t4=performance.now();
window.r={replaceState:t1-t0, sessionStorage:t2-t1, dateTimeFormat:t3-t2, numberFormat:t4-t3};
</script>` }));
await p.goto("http://localhost:4391/probe");
console.log(await p.evaluate(() => window.r));
await ctx.close();
}
await b.close();

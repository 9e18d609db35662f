// The rewrite that starts React Router's scripts after the page has loaded
// (app/web/scripts-after-load.server.ts) on its own: however React's stream
// cuts the document into chunks, the hints leave the head, the module script
// becomes the deferred start with the same nonce and the same code, nothing
// else changes, and multi-byte text comes out intact. The deferred start is
// run here too, in a stand-in for the browser's globals.
// tests/e2e/page-loading.spec.ts checks the real pages in a browser.
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { scriptsAfterLoad } from "#app/web/scripts-after-load.server.ts";

const head =
  '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/><title>Café – Ünïcode ☕</title>' +
  '<link rel="stylesheet" href="/assets/app.css" data-precedence="default"/>' +
  '<link rel="modulepreload" href="/assets/entry.client.js" nonce="abc"/>' +
  '<link rel="modulepreload" fetchpriority="low" href="/assets/jsx-runtime.js" nonce="abc"/>' +
  '<link rel="modulepreload" href="/assets/catalog.js" nonce="abc"/></head>';
const code = 'import * as route0 from "/assets/root.js";\nwindow.__reactRouterRouteModules = {"root":route0};\n\nimport("/assets/entry.client.js");';
const before =
  '<body><p>Crème brûlée</p><pre>&lt;link rel="modulepreload"</pre><link rel="modulepreload" href="/late.js"/>' +
  '<script nonce="abc">window.__reactRouterContext = {"a":"</scr" + "ipt>"};</script>';
const moduleScript = `<script nonce="abc" type="module" async="">${code}</script>`;
// After the module script: streamed loader data, which may mention the same markup.
const after =
  '<script nonce="abc">enqueue("<script nonce=\\"x\\" type=\\"module\\" async=\\"\\">é");</script><!--$--></body></html>';
const whole = Buffer.from(head + before + moduleScript + after, "utf8");

const rewritten = async (chunks: Buffer[]) => text(Readable.from(chunks).pipe(scriptsAfterLoad()));

describe("scriptsAfterLoad", () => {
  it("takes the hints out of the head and defers the module script, at every place the stream may cut the document", async () => {
    const expected = await rewritten([whole]);
    const hintsGone = head.replace(/<link rel="modulepreload"[^>]*>/g, "");
    expect(expected.startsWith(hintsGone + before + '<script nonce="abc">(function(code,hrefs,nonce){')).toBe(true);
    expect(expected.endsWith(`</script>${after}`)).toBe(true);
    expect(expected).not.toContain('type="module" async=""><');
    // The body's own text and links are not the head's hints: left alone.
    expect(expected).toContain('<link rel="modulepreload" href="/late.js"/>');
    for (let cut = 0; cut <= whole.length; cut++) {
      expect(await rewritten([whole.subarray(0, cut), whole.subarray(cut)]), `cut at byte ${cut}`).toBe(expected);
    }
    // React's own writes are small: one byte at a time as the worst case.
    expect(await rewritten([...whole].map((byte) => Buffer.from([byte])))).toBe(expected);
  });

  it("starts the same code, with the hints and the nonce, after the load event and the next frame", async () => {
    const html = await rewritten([whole]);
    const start = /<script nonce="abc">(\(function\(code,hrefs,nonce\)[\s\S]*?)<\/script>/.exec(html)![1]!;
    const appended: Record<string, string>[] = [];
    const listeners: Record<string, () => void> = {};
    const frames: (() => void)[] = [];
    const timers: (() => void)[] = [];
    runInNewContext(start, {
      document: {
        hidden: false,
        currentScript: { nonce: "abc" },
        createElement: (tag: string) => ({ tag }),
        head: { append: (element: Record<string, string>) => appended.push(element) },
      },
      addEventListener: (type: string, listener: () => void) => (listeners[type] = listener),
      requestAnimationFrame: (callback: () => void) => frames.push(callback),
      setTimeout: (callback: () => void) => timers.push(callback),
    });
    // Nothing before the load event, nor before the frame after it.
    expect(appended).toEqual([]);
    listeners.load!();
    expect(appended).toEqual([]);
    frames.shift()!();
    expect(appended).toEqual([]);
    timers.shift()!();
    expect(appended).toEqual([
      { tag: "link", rel: "modulepreload", href: "/assets/entry.client.js", nonce: "abc" },
      { tag: "link", rel: "modulepreload", href: "/assets/jsx-runtime.js", nonce: "abc" },
      { tag: "link", rel: "modulepreload", href: "/assets/catalog.js", nonce: "abc" },
      { tag: "script", type: "module", nonce: "abc", textContent: code },
    ]);
  });

  it("leaves a document without React Router's module script as it was, but for the head's hints", async () => {
    const plain = `${head}<body><p>é</p><script nonce="abc">x()</script></body></html>`;
    expect(await rewritten([Buffer.from(plain, "utf8")])).toBe(plain.replace(/<link rel="modulepreload"[^>]*>/g, ""));
    // A document cut short in its head.
    expect(await rewritten([Buffer.from('<head><link rel="modulepreload" href="/a.js"/><p>é', "utf8")])).toBe("<head><p>é");
  });
});

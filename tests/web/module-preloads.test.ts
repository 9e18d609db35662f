// The head rewrite that lowers the scripts' modulepreload priority
// (app/web/module-preloads.server.ts) on its own: however React's stream cuts
// the document into chunks, every hint in the head gets the attribute once,
// nothing after </head> changes, and multi-byte text comes out intact.
// tests/e2e/page-loading.spec.ts checks the real pages.
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { lowPriorityModulePreloads } from "#app/web/module-preloads.server.ts";

const head =
  '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/><title>Café – Ünïcode ☕</title>' +
  '<link rel="stylesheet" href="/assets/app.css" data-precedence="default"/>' +
  '<link rel="modulepreload" href="/assets/manifest.js" nonce="abc"/>' +
  '<link rel="modulepreload" href="/assets/entry.client.js" nonce="abc"/>' +
  '<link rel="modulepreload" href="/assets/catalog.js" nonce="abc"/></head>';
// A body that happens to show the same markup as text must not change.
const body = '<body><p>Crème brûlée</p><pre>&lt;link rel="modulepreload"</pre><link rel="modulepreload" href="/late.js"/></body></html>';

const rewritten = async (chunks: Buffer[]) => text(Readable.from(chunks).pipe(lowPriorityModulePreloads()));

describe("lowPriorityModulePreloads", () => {
  it("marks each hint in the head low, once, at every place the stream may cut the document", async () => {
    const whole = Buffer.from(head + body, "utf8");
    const expected = head.replaceAll('<link rel="modulepreload"', '<link rel="modulepreload" fetchpriority="low"') + body;
    expect((await rewritten([whole])).match(/fetchpriority="low"/g)).toHaveLength(3);
    for (let cut = 0; cut <= whole.length; cut++) {
      expect(await rewritten([whole.subarray(0, cut), whole.subarray(cut)]), `cut at byte ${cut}`).toBe(expected);
    }
    // React's own writes are small: one byte at a time as the worst case.
    expect(await rewritten([...whole].map((byte) => Buffer.from([byte])))).toBe(expected);
  });

  it("passes a document with no </head> through, hints marked", async () => {
    expect(await rewritten([Buffer.from('<link rel="modulepreload" href="/a.js"/><p>é')])).toBe(
      '<link rel="modulepreload" fetchpriority="low" href="/a.js"/><p>é',
    );
  });
});

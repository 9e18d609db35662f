import { Transform } from "node:stream";

// React Router's <Scripts> renders a <link rel="modulepreload"> for every
// module the page hydrates with (14 files, ~130 kB gzip on the catalog), and
// React 19 hoists them into the head. Chrome fetches a modulepreload at High
// priority, and Lighthouse's simulation counts a High-priority script that
// arrived before the first paint as render-blocking: FCP and LCP ~2.3 s on
// every page instead of ~1 s (docs/benchmarks.md#lighthouse-benchlighthouse).
// The page needs none of them to paint: it is rendered on the server and
// works without JavaScript. `fetchpriority="low"` keeps the early fetch
// (hydration still starts without a discovery waterfall) but lets the
// stylesheet and the first pictures go first. Neither React Router nor React
// lets a page set attributes on those links, so the document's head is
// rewritten on its way out; everything after `</head>` passes untouched.
const PRELOAD = '<link rel="modulepreload"';
const LOW = '<link rel="modulepreload" fetchpriority="low"';
const HEAD_END = "</head>";

/**
 * A stream that adds `fetchpriority="low"` to every modulepreload link in the
 * document's head. Safe across chunk boundaries: a chunk that ends inside a
 * tag keeps that tail back until the next one. Bytes go through as latin1,
 * which maps each byte to one character and back, so UTF-8 text split
 * between chunks is not altered.
 */
export function lowPriorityModulePreloads(): Transform {
  let held = "";
  let inHead = true;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (!inHead) return callback(null, chunk);
      const text = held + chunk.toString("latin1");
      const headEnd = text.indexOf(HEAD_END);
      if (headEnd !== -1) {
        inHead = false;
        held = "";
        return callback(null, Buffer.from(text.slice(0, headEnd).replaceAll(PRELOAD, LOW) + text.slice(headEnd), "latin1"));
      }
      // Both strings looked for begin with "<" and contain no other, so only
      // a tail from the last "<" can be the start of one.
      const lastOpen = text.lastIndexOf("<");
      const cut = lastOpen !== -1 && text.length - lastOpen < PRELOAD.length ? lastOpen : text.length;
      held = text.slice(cut);
      callback(null, Buffer.from(text.slice(0, cut).replaceAll(PRELOAD, LOW), "latin1"));
    },
    flush(callback) {
      callback(null, held ? Buffer.from(inHead ? held.replaceAll(PRELOAD, LOW) : held, "latin1") : undefined);
    },
  });
}

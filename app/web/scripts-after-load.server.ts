import { Transform } from "node:stream";

// The store's pages are rendered on the server and work without JavaScript,
// so nothing on the first screen waits for the scripts: they only make links
// and forms faster once they run. React Router's <Scripts> starts them at
// once, though: a <link rel="modulepreload"> per module (14 files, ~130 kB
// gzip on the catalog), hoisted into the head by React, and a module script
// at the end of the body that imports the route modules. On a slow phone
// line they share the bandwidth with the first pictures, and Lighthouse
// counts every request that finished before the largest picture painted into
// its estimate of that paint, whatever its priority: catalog LCP ~2.4 s
// instead of ~1.0 s (docs/benchmarks.md#lighthouse-benchlighthouse,
// decision 043).
//
// So the document is rewritten on its way out:
// - the modulepreload links leave the head;
// - React Router's module script becomes a small classic script (same
//   nonce) that, once the page has loaded and painted, puts those links back
//   and adds the module script, unchanged, to the head.
// Neither React Router nor React lets a page defer these, or set attributes
// on them. If the markup ever stops matching (a React Router upgrade), the
// module script is left as it is and the page hydrates at once, as before.
// A page hydrates ~one frame plus the scripts' download after its load event;
// until then links and forms work as plain HTML (the no-JavaScript path).

const PRELOAD = /<link rel="modulepreload"[^>]*?\shref="([^"]+)"[^>]*>/g;
const MODULE_SCRIPT = /<script(?: nonce="([^"]*)")? type="module" async="">/;
const SCRIPT_END = "</script>";
const HEAD_END = "</head>";

/**
 * The classic script that starts React Router's module script after the load
 * event and the next frame (the one that paints what loaded last). A hidden
 * tab paints no frame, so it goes straight on.
 */
function deferredStart(code: string, hrefs: string[]): string {
  // JSON is valid JavaScript; "<" escaped so no "</script>" can end it early.
  const json = (value: unknown) => JSON.stringify(value).replaceAll("<", "\\u003c");
  return (
    `(function(code,hrefs,nonce){function start(){hrefs.forEach(function(href){var link=document.createElement("link");` +
    `link.rel="modulepreload";link.href=href;link.nonce=nonce;document.head.append(link)});` +
    `var script=document.createElement("script");script.type="module";script.nonce=nonce;script.textContent=code;document.head.append(script)}` +
    `addEventListener("load",function(){if(document.hidden)setTimeout(start);else requestAnimationFrame(function(){setTimeout(start)})},{once:true})})` +
    `(${json(code)},${json(hrefs)},document.currentScript.nonce)`
  );
}

/**
 * A stream that starts React Router's scripts after the page has loaded
 * (above). It holds back only the head, then the body up to the end of the
 * module script, both written in React's first flush; the rest streams
 * through untouched. Bytes go through as latin1, which maps each byte to one
 * character and back, so UTF-8 split between chunks is not altered.
 */
export function scriptsAfterLoad(): Transform {
  let state: "head" | "body" | "done" = "head";
  let held = "";
  const hrefs: string[] = [];
  const out = (text: string) => Buffer.from(text, "latin1");
  const stripHints = (head: string) =>
    head.replace(PRELOAD, (_link, href: string) => {
      hrefs.push(href);
      return "";
    });

  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (state === "done") return callback(null, chunk);
      held += chunk.toString("latin1");
      let emit = "";
      if (state === "head") {
        const headEnd = held.indexOf(HEAD_END);
        if (headEnd === -1) return callback();
        emit = stripHints(held.slice(0, headEnd));
        held = held.slice(headEnd);
        state = "body";
      }
      const open = MODULE_SCRIPT.exec(held);
      if (open) {
        const codeStart = open.index + open[0].length;
        const codeEnd = held.indexOf(SCRIPT_END, codeStart);
        if (codeEnd === -1) return callback(null, emit ? out(emit) : undefined);
        const nonce = open[1] === undefined ? "" : ` nonce="${open[1]}"`;
        emit += held.slice(0, open.index) + `<script${nonce}>${deferredStart(held.slice(codeStart, codeEnd), hrefs)}`;
        emit += held.slice(codeEnd);
        held = "";
        state = "done";
        return callback(null, out(emit));
      }
      // No module script yet: pass on all but an unfinished tag at the end,
      // which may be its start.
      const lastOpen = held.lastIndexOf("<");
      const cut = lastOpen !== -1 && held.indexOf(">", lastOpen) === -1 ? lastOpen : held.length;
      emit += held.slice(0, cut);
      held = held.slice(cut);
      callback(null, emit ? out(emit) : undefined);
    },
    flush(callback) {
      // A document that ended early: what was held, hints stripped if still in the head.
      const rest = state === "head" ? stripHints(held) : held;
      callback(null, rest ? out(rest) : undefined);
    },
  });
}

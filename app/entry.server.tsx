import { PassThrough } from "node:stream";

import type { EntryContext, HandleErrorFunction, RouterContextProvider } from "react-router";
import { createReadableStreamFromReadable } from "@react-router/node";
import { isRouteErrorResponse, ServerRouter } from "react-router";
import { isbot } from "isbot";
import type { RenderToPipeableStreamOptions } from "react-dom/server";
import { renderToPipeableStream } from "react-dom/server";
import { isCorrupt, isDiskFull, reportDamage } from "#app/db/connection.server.ts";
import { errorMessage } from "#app/core/errors.ts";
import { NonceProvider, requestInfoContext } from "#app/core/request-info.ts";
import { scriptsAfterLoad } from "#app/web/scripts-after-load.server.ts";

export const streamTimeout = 5_000;

// Unexpected errors only: a thrown 404/400 is an answer, not a fault, and a
// request the client abandoned is not worth a stack trace. (Form posts from
// another origin never get here: server.ts refuses them first.)
export const handleError: HandleErrorFunction = (error, { request, context }) => {
  if (request.signal.aborted || isRouteErrorResponse(error)) return;
  // A full disk refuses a write (SQLite rolls the transaction back: nothing
  // half-written). Not a bug: one line, and the page answers 503 (recordRoute).
  if (isDiskFull(error)) {
    context.get(requestInfoContext).unavailable = "disk full";
    console.error(`[store] a write was refused: the disk holding the database is full (${errorMessage(error)}); answered 503`);
    return;
  }
  // A damaged database file: one line, once, and server.ts stops serving.
  if (isCorrupt(error)) {
    if (reportDamage(error)) {
      console.error(
        `[store] the database is damaged (${errorMessage(error)}): not ready, store pages answer 503. ` +
          "Stop the store and restore the newest backup (docs/operations.md#restore)",
      );
    }
    return;
  }
  console.error(error);
};

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  routerContext: EntryContext,
  loadContext: RouterContextProvider,
) {
  // This response's Content-Security-Policy nonce (server.ts): every script
  // React and React Router render must carry it, or the browser refuses it.
  const { nonce } = loadContext.get(requestInfoContext);
  // https://httpwg.org/specs/rfc9110.html#HEAD
  if (request.method.toUpperCase() === "HEAD") {
    return new Response(null, {
      status: responseStatusCode,
      headers: responseHeaders,
    });
  }

  return new Promise((resolve, reject) => {
    let shellRendered = false;
    const userAgent = request.headers.get("user-agent");

    // Ensure requests from bots and SPA Mode renders wait for all content to load before responding
    // https://react.dev/reference/react-dom/server/renderToPipeableStream#waiting-for-all-content-to-load-for-crawlers-and-static-generation
    const readyOption: keyof RenderToPipeableStreamOptions =
      (userAgent && isbot(userAgent)) || routerContext.isSpaMode
        ? "onAllReady"
        : "onShellReady";

    // Abort the rendering stream after the `streamTimeout` so it has time to
    // flush down the rejected boundaries
    let timeoutId: ReturnType<typeof setTimeout> | undefined = setTimeout(
      () => abort(),
      streamTimeout + 1000,
    );

    const { pipe, abort } = renderToPipeableStream(
      <NonceProvider value={nonce}>
        <ServerRouter context={routerContext} url={request.url} nonce={nonce} />
      </NonceProvider>,
      {
        nonce,
        [readyOption]() {
          shellRendered = true;
          const body = new PassThrough({
            final(callback) {
              // Clear the timeout to prevent retaining the closure and memory leak
              clearTimeout(timeoutId);
              timeoutId = undefined;
              callback();
            },
          });
          // The scripts start after the page has loaded: app/web/scripts-after-load.server.ts.
          const stream = createReadableStreamFromReadable(body.pipe(scriptsAfterLoad()));

          responseHeaders.set("Content-Type", "text/html");

          pipe(body);

          resolve(
            new Response(stream, {
              headers: responseHeaders,
              status: responseStatusCode,
            }),
          );
        },
        onShellError(error: unknown) {
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          // Log streaming rendering errors from inside the shell.  Don't log
          // errors encountered during initial shell rendering since they'll
          // reject and get logged in handleDocumentRequest.
          if (shellRendered) {
            console.error(error);
          }
        },
      },
    );
  });
}

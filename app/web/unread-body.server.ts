// A request body nobody read. Many answers go out before the body of their
// request is read: a rate limit's 429 page, a 404, a 405, a redirect to
// sign in, a staff page's 403. The browser may already be sending its next
// request on the same keep-alive connection, and that one is read only once
// the body before it is.
//
// Node reads and drops an unread body by itself (so Express's own refusals
// were never a problem), unless something began reading it. React Router's
// Express adapter always has: it hands the body to the page's Request as a
// stream, which takes what arrives first and then pauses the socket until
// someone reads the rest. When nobody does, the connection wedges: the next
// request on it waits until the client gives up.
//
// So once an answer is sent, what is left of its request's body is read and
// dropped, exactly as Node does for a body nobody touched. Not closed
// instead: a browser still uploading would get a reset, and show a
// connection error instead of the page that says what went wrong. The
// server's request timeout (app/web/drain.server.ts) bounds how long a
// client may keep sending.
import type { IncomingMessage, ServerResponse } from "node:http";

/** Installs the rule above for one request; the HTTP server calls it for every request, before the app. */
export function settleUnreadBody(req: IncomingMessage, res: ServerResponse) {
  res.once("finish", () => {
    if (req.readableEnded) return;
    // What Node's own IncomingMessage._dump does: whoever was reading will
    // not be, so drop their listeners and let the bytes flow to nowhere.
    req.removeAllListeners("data");
    req.resume();
  });
}

// Many answers go out before their request's body is read (a 429, a 404, a
// redirect to sign in). Node drops an unread body by itself unless something
// began reading it, and React Router's Express adapter always has: its stream
// pauses the socket until someone reads the rest, so the next request on that
// keep-alive connection waits until the client gives up. So once an answer
// is sent, the rest of the body is read and dropped. Not closed instead: a
// browser still uploading would get a reset and show a connection error. The
// request timeout (app/web/drain.server.ts) bounds how long a client may send.
import type { IncomingMessage, ServerResponse } from "node:http";

export function settleUnreadBody(req: IncomingMessage, res: ServerResponse) {
  res.once("finish", () => {
    if (req.readableEnded) return;
    // What Node's own IncomingMessage._dump does: whoever was reading will
    // not be, so drop their listeners and let the bytes flow to nowhere.
    req.removeAllListeners("data");
    req.resume();
  });
}

// Stopping without dropping a request (decision 013). Node's `server.close()`
// destroys every connection with no request in progress, including one
// accepted a moment ago whose request is not yet parsed (the client gets
// ECONNRESET), and the kernel's accept queue is reset too. So, in steps:
//
//   1. keep accepting until the kernel's accept queue is empty, so every
//      connection a client opened before the stop is taken and answered
//      (under load Node accepts one queued connection per turn of the
//      event loop, so no fixed wait is enough: the queue is empty when the
//      loop has polled twice in a row without accepting anything);
//   2. close the listener only (net.Server's close, not http.Server's);
//   3. every response from now on says `Connection: close`, so Node closes
//      its connection once it is sent. A response whose head went out
//      before the stop told the client to keep the connection: the client
//      may send its next request on it the moment the response ends, so the
//      connection stays (that request is answered, with `Connection: close`)
//      until step 4 finds it idle. Closing it at once reset that request;
//   4. after QUIET_GRACE_MS, close the connections that still have no
//      request in progress: idle keep-alive ones, and ones that never sent a
//      whole request (a half-sent request must not hold the stop hostage).
//
// The caller's deadline (SHUTDOWN_TIMEOUT_MS) covers requests that never end.
import { Server as NetServer, type Socket } from "node:net";
import { createServer, type RequestListener, type ServerResponse } from "node:http";
import { settleUnreadBody } from "#app/web/unread-body.server.ts";

/** A stop under a flood of new connections stops accepting after this, queue or not. */
const MAX_ACCEPT_MS = 2_000;
/** Long enough for a request already sent on an open connection to arrive and be parsed. */
const QUIET_GRACE_MS = 1_000;

// Slow clients cannot keep a connection (or a stop) waiting for long: the
// whole header block within 10 s, the whole request within 2 minutes (a
// shopper's form is a few hundred bytes; a staff member's product image is
// up to 5 MB, which needs about 350 kbit/s to arrive in time).
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 120_000;
// An idle keep-alive connection stays open longer than the proxies in front
// of stores usually keep theirs (60 s for nginx's upstreams and AWS load
// balancers): when the server closes first, a request the proxy sends at
// that moment fails with a 502. A stop closes idle connections anyway.
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * Closes `server`'s listener once the kernel's accept queue is empty (step 1
 * above), or after MAX_ACCEPT_MS under a flood; resolves when the listener is
 * closed. `accepted` counts the connections it has taken so far. (The
 * primary of several workers stops its listener the same way:
 * app/ops/cluster.server.ts.)
 */
export function closeListenerWhenQuiet(server: NetServer, accepted: () => number): Promise<void> {
  return new Promise((resolve) => {
    const giveUpAt = performance.now() + MAX_ACCEPT_MS;
    let seen = accepted();
    // -1: the first check runs in the turn that handled the signal, after
    // only part of its poll; it must not count as a quiet turn.
    let quietTurns = -1;
    // setImmediate runs once per turn of the loop, right after it polled.
    const acceptQueued = () => {
      quietTurns = accepted() === seen ? quietTurns + 1 : 0;
      seen = accepted();
      if (quietTurns < 2 && performance.now() < giveUpAt) return void setImmediate(acceptQueued);
      // net.Server's close, not http.Server's: the listener only.
      NetServer.prototype.close.call(server);
      resolve();
    };
    setImmediate(acceptQueued);
  });
}

/**
 * Runs `fn` once `ms` have passed *and* the event loop has since polled for
 * I/O: a timer alone can fire while connections wait to be accepted, or
 * requests to be read, because a busy loop (rendering pages) has not polled
 * yet. setImmediate callbacks run right after the next poll phase.
 */
function afterPolling(ms: number, fn: () => void) {
  setTimeout(() => setImmediate(fn), ms).unref();
}

/** The store's HTTP server, with the timeouts above and a stop that drops nothing. */
export function createDrainableServer(handler: RequestListener) {
  const server = createServer({
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // How often Node enforces the two timeouts above (default 30 s).
    connectionsCheckingInterval: 1_000,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
  });

  const inFlight = new Map<Socket, Set<ServerResponse>>();
  let draining = false;
  let accepted = 0;
  /** Set once no more connections will come: resolves when the last one closes. */
  let allClosed: (() => void) | undefined;

  server.on("connection", (socket: Socket) => {
    accepted++;
    inFlight.set(socket, new Set());
    socket.once("close", () => {
      inFlight.delete(socket);
      if (inFlight.size === 0) allClosed?.();
    });
  });
  // Registered before the app's handler, which may answer synchronously.
  server.on("request", (req, res: ServerResponse) => {
    const responses = inFlight.get(req.socket);
    if (!responses) return;
    responses.add(res);
    if (draining) res.setHeader("Connection", "close");
    res.once("close", () => responses.delete(res));
  });
  // An answer sent before its body was read must not wedge the connection.
  server.on("request", settleUnreadBody);
  server.on("request", handler);

  return {
    server,
    /**
     * From now on every response says `Connection: close`, and Node closes
     * its connection once it is sent: keep-alive clients reconnect, and
     * find another instance (or the next one) instead of this one.
     */
    closeAfterResponses() {
      draining = true;
      for (const responses of inFlight.values()) {
        for (const res of responses) if (!res.headersSent) res.setHeader("Connection", "close");
      }
    },
    /**
     * A connection accepted elsewhere: a worker's, handed over by the
     * primary, which listens for all of them (app/ops/cluster.server.ts).
     */
    take(socket: Socket) {
      // What net.Server does to the connections it accepts itself (an
      // http.Server's noDelay is on): without it, Nagle's algorithm held
      // each response back ~40 ms, for a quarter of the pages per second.
      socket.setNoDelay(true);
      server.emit("connection", socket);
    },
    /**
     * Stops accepting (a listening server) and resolves once every
     * connection is closed. A server that is handed its connections calls
     * this once the primary says no more will come.
     */
    async drain(): Promise<void> {
      this.closeAfterResponses();
      if (server.listening) await closeListenerWhenQuiet(server, () => accepted);
      const closed = new Promise<void>((resolve) => (allClosed = resolve));
      if (inFlight.size === 0) allClosed!();
      afterPolling(QUIET_GRACE_MS, () => {
        for (const [socket, responses] of inFlight) if (responses.size === 0) socket.destroy();
      });
      return closed;
    },
    abort() {
      for (const socket of inFlight.keys()) socket.destroy();
    },
  };
}

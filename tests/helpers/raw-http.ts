// Raw HTTP over a TCP socket, for requests no HTTP client will send: bad
// Host headers, absolute-form targets, odd methods, half-sent requests.
import { connect, type Socket } from "node:net";

export type RawReply = { status: number; head: string; body: string } | { error: string };

/** Sends `text` as is and reads until the server closes or `timeoutMs` passes. */
export function rawRequest(port: number, text: string | Buffer, timeoutMs = 5_000): Promise<RawReply> {
  return startRequest(port, text, timeoutMs).reply;
}

/**
 * rawRequest, with `sent`: resolves once the whole request has been written
 * to the connection (connected, and flushed to the kernel).
 */
export function startRequest(port: number, text: string | Buffer, timeoutMs = 5_000) {
  let sent!: Promise<void>;
  const reply = new Promise<RawReply>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let received = Buffer.alloc(0);
    const finish = (error?: string) => {
      clearTimeout(timer);
      socket.destroy();
      const raw = received.toString("latin1");
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1];
      if (!status) return resolve({ error: error ?? (raw ? `not HTTP: ${raw.slice(0, 40)}` : "closed without a response") });
      const split = raw.indexOf("\r\n\r\n");
      resolve({ status: Number(status), head: raw.slice(0, split), body: raw.slice(split + 4) });
    };
    const timer = setTimeout(() => finish(), timeoutMs);
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      // One response is enough: stop at the end of a Content-Length body.
      const raw = received.toString("latin1");
      const split = raw.indexOf("\r\n\r\n");
      const length = /\r\ncontent-length: *(\d+)/i.exec(raw.slice(0, split))?.[1];
      if (split !== -1 && length !== undefined && received.length >= split + 4 + Number(length)) finish();
    });
    socket.on("end", () => finish());
    socket.on("error", (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    sent = new Promise((done) => socket.write(text, () => done()));
  });
  return { sent, reply };
}

/** Opens a connection and sends only part of a request; the caller ends it. */
export function halfRequest(port: number, text: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(text);
      resolve(socket);
    });
    socket.on("error", reject);
  });
}

/** One answer read off a connection, its body decoded from chunks if it came in them. */
export type RawResponse = { status: number; head: string; body: string };

/**
 * Where the answer at the start of `data` ends: after its Content-Length or
 * its last chunk; undefined while it is incomplete (or, with neither, until
 * the connection closes).
 */
function responseEnd(data: Buffer): { end: number; body: Buffer } | undefined {
  const split = data.indexOf("\r\n\r\n");
  if (split === -1) return undefined;
  const head = data.subarray(0, split).toString("latin1");
  const start = split + 4;
  const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
  if (length !== undefined) {
    const end = start + Number(length);
    return data.length >= end ? { end, body: data.subarray(start, end) } : undefined;
  }
  if (!/\r\ntransfer-encoding: *chunked/i.test(head)) return undefined;
  const chunks: Buffer[] = [];
  for (let at = start; ; ) {
    const line = data.indexOf("\r\n", at);
    if (line === -1) return undefined;
    const size = Number.parseInt(data.subarray(at, line).toString("latin1"), 16);
    const next = line + 2 + size + 2;
    if (data.length < next) return undefined;
    if (size === 0) return { end: next, body: Buffer.concat(chunks) };
    chunks.push(data.subarray(line + 2, line + 2 + size));
    at = next;
  }
}

/**
 * A keep-alive connection for requests sent one after another on the same
 * socket, as a browser reuses one: each `request` writes its bytes and reads
 * one whole answer, or says why none came.
 */
export async function keepAliveConnection(port: number) {
  const socket = connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  let received = Buffer.alloc(0);
  let closed = false;
  let changed = () => {};
  socket.on("data", (chunk) => {
    received = Buffer.concat([received, chunk]);
    changed();
  });
  socket.on("close", () => {
    closed = true;
    changed();
  });
  socket.on("error", () => {}); // a reset shows as a close

  /** Resolves once `ready()` holds, or with false after `timeoutMs`. */
  function until(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      changed = () => {
        if (!ready()) return;
        clearTimeout(timer);
        resolve(true);
      };
      changed();
    });
  }

  return {
    async request(text: string | Buffer, timeoutMs = 5_000): Promise<RawResponse | { error: string }> {
      if (!closed) socket.write(text);
      const done = await until(() => closed || responseEnd(received) !== undefined, timeoutMs);
      const found = responseEnd(received);
      if (!found) return { error: done ? "closed without a response" : `no response within ${timeoutMs} ms` };
      const raw = received.subarray(0, found.end).toString("latin1");
      received = received.subarray(found.end);
      return {
        status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1]),
        head: raw.slice(0, raw.indexOf("\r\n\r\n")),
        body: found.body.toString("utf8"),
      };
    },
    /** Whether the server closes the connection within `timeoutMs`. */
    closes: (timeoutMs = 5_000) => until(() => closed, timeoutMs),
    close: () => socket.destroy(),
  };
}

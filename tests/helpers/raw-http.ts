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

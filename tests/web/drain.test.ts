// The stop's treatment of one connection (app/web/drain.server.ts), on a
// real socket, where the whole-server tests (tests/ops/server-lifecycle,
// tests/web/workers) see it only as a rare reset under load.
import { connect, type AddressInfo, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createDrainableServer } from "#app/web/drain.server.ts";

type Drainable = ReturnType<typeof createDrainableServer>;
const servers: Drainable[] = [];
afterEach(() => {
  for (const web of servers.splice(0)) {
    web.abort();
    web.server.close();
  }
});

/** A server whose /slow response sends its head and first bytes, then waits for `release()`. */
async function serverWithSlowPage() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const web = createDrainableServer((req, res) => {
    res.setHeader("Content-Type", "text/plain");
    if (req.url === "/slow") {
      res.write("first half, ");
      void released.then(() => res.end("second half"));
    } else {
      res.end(`answered ${req.url}`);
    }
  });
  servers.push(web);
  await new Promise<void>((resolve) => web.server.listen(0, "127.0.0.1", resolve));
  return { web, port: (web.server.address() as AddressInfo).port, release };
}

/** A raw client connection: what it has received, and waits for text or its end. */
function client(port: number) {
  const socket: Socket = connect(port, "127.0.0.1");
  let received = "";
  let ended = false;
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((w) => w());
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => ((received += chunk), wake()));
  socket.on("close", () => ((ended = true), wake()));
  socket.on("error", () => {});
  const until = (done: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => done() && (waiters.delete(check), resolve());
      waiters.add(check);
      check();
    });
  return {
    send: (path: string) => socket.write(`GET ${path} HTTP/1.1\r\nHost: store.test\r\n\r\n`),
    received: () => received,
    /** Waits until `text` has arrived (true) or the connection closed first (false). */
    waitFor: async (text: string) => (await until(() => received.includes(text) || ended), received.includes(text)),
    closed: () => until(() => ended),
  };
}

describe("a stop and the connections it finds", () => {
  it("leaves a connection whose response had already gone out as keep-alive open: the client's next request on it is answered, with Connection: close", async () => {
    const { web, port, release } = await serverWithSlowPage();
    const shopper = client(port);
    shopper.send("/slow");
    expect(await shopper.waitFor("first half, ")).toBe(true);
    // The stop begins with the head already sent (keep-alive, the client was told).
    web.closeAfterResponses();
    release();
    // A chunked response ends with an empty chunk; the client may send its
    // next request on the connection at once, as undici's pool does.
    expect(await shopper.waitFor("second half\r\n0\r\n\r\n")).toBe(true);
    expect(shopper.received()).not.toMatch(/connection: close/i);
    shopper.send("/next");
    expect(await shopper.waitFor("answered /next")).toBe(true);
    const second = shopper.received().slice(shopper.received().lastIndexOf("HTTP/1.1"));
    expect(second).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(second).toMatch(/connection: close/i);
    // And then it is closed, by the server.
    await shopper.closed();
  });

  it("closes a connection once its response says Connection: close, and an idle one after the grace", async () => {
    const { web, port } = await serverWithSlowPage();
    const idle = client(port);
    idle.send("/one");
    expect(await idle.waitFor("answered /one")).toBe(true);
    const busy = client(port);
    await new Promise((r) => setTimeout(r, 50));
    const drained = web.drain();
    busy.send("/two");
    expect(await busy.waitFor("answered /two")).toBe(true);
    expect(busy.received()).toMatch(/connection: close/i);
    await busy.closed();
    const started = performance.now();
    await idle.closed();
    await drained;
    // The idle one was given the grace (a request it sent meanwhile would be answered).
    expect(performance.now() - started).toBeGreaterThan(500);
  });
});

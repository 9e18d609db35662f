// A real SMTP server for the tests (the smtp-server package) on 127.0.0.1:
// it keeps every message it accepts, and a test tells it how to misbehave
// on the next messages: refuse for now (4xx), refuse for good (5xx), answer
// slowly, or drop the connection in the middle of DATA.
import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";

export type ReceivedMail = {
  from: string;
  to: string[];
  raw: string;
  headers: Record<string, string>;
  /** The decoded text/plain and text/html parts. */
  text: string;
  html: string;
};

export type Behaviour = "accept" | "temporary" | "permanent" | "drop-mid-data" | { delayMs: number };

export type SmtpSink = {
  url: string;
  port: number;
  received: ReceivedMail[];
  /** What the next messages meet, one entry per message; "accept" once the list is empty. */
  plan: Behaviour[];
  /** DATA commands that started, whatever became of them. */
  attempts: () => number;
  /** Connections that ended in an error (a killed client, a planned drop). */
  resets: () => number;
  waitFor: (count: number, timeoutMs?: number) => Promise<ReceivedMail[]>;
  close: () => Promise<void>;
};

export async function startSmtpSink(options: { plan?: Behaviour[] } = {}): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const plan: Behaviour[] = [...(options.plan ?? [])];
  let attempts = 0;
  const server: SMTPServer = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      attempts++;
      const behaviour = plan.shift() ?? "accept";
      const chunks: Buffer[] = [];
      let dropped = false;
      stream.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        if (behaviour === "drop-mid-data" && !dropped) {
          dropped = true;
          for (const connection of server.connections) connection._socket.destroy();
        }
      });
      stream.on("end", () => {
        if (dropped) return;
        const reply = (error?: Error & { responseCode?: number }) => callback(error ?? null, "2.0.0 queued");
        if (behaviour === "temporary") return reply(Object.assign(new Error("4.3.0 try again later"), { responseCode: 451 }));
        if (behaviour === "permanent") {
          // Real servers name the mailbox they refuse: the sender must not pass it on.
          const to = session.envelope.rcptTo[0]?.address ?? "";
          return reply(Object.assign(new Error(`5.1.1 <${to}> mailbox unavailable`), { responseCode: 550 }));
        }
        const keep = () => {
          received.push(parse(Buffer.concat(chunks).toString("utf8"), session));
          reply();
        };
        if (typeof behaviour === "object") setTimeout(keep, behaviour.delayMs);
        else keep();
      });
    },
  });
  // A store killed with -9 (or a drop we planned) resets its connections; smtp-server
  // re-emits that as "error", which with no listener would crash the test process. The
  // tests judge what arrived, so a client's reset is counted, not thrown.
  let resets = 0;
  server.on("error", () => resets++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}?requireTLS=false`,
    port,
    received,
    plan,
    attempts: () => attempts,
    resets: () => resets,
    async waitFor(count, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > until) throw new Error(`expected ${count} messages, got ${received.length} in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return received;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function decode(body: string, encoding = ""): string {
  if (/base64/i.test(encoding)) return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (/quoted-printable/i.test(encoding)) {
    const bytes = body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, hex: string) => `%${hex}`);
    return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/gi, "%25"));
  }
  return body;
}

/** Enough MIME to read what nodemailer writes: one level of multipart/alternative. */
export function parse(raw: string, session?: SMTPServerSession): ReceivedMail {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = parseHeaders(raw.slice(0, split));
  const body = raw.slice(split).replace(/^\r?\n\r?\n/, "");
  let text = "";
  let html = "";
  const boundary = /boundary="?([^";]+)"?/.exec(headers["content-type"] ?? "")?.[1];
  const parts = boundary ? body.split(`--${boundary}`).slice(1, -1) : [`${raw.slice(0, split)}\r\n\r\n${body}`];
  for (const part of parts) {
    const at = part.search(/\r?\n\r?\n/);
    const partHeaders = parseHeaders(part.slice(0, at).replace(/^\r?\n/, ""));
    const content = decode(part.slice(at).replace(/^\r?\n\r?\n/, "").replace(/\r?\n$/, ""), partHeaders["content-transfer-encoding"]);
    if ((partHeaders["content-type"] ?? "").startsWith("text/html")) html = content;
    else if ((partHeaders["content-type"] ?? "").startsWith("text/plain")) text = content;
  }
  return {
    from: session?.envelope.mailFrom ? session.envelope.mailFrom.address : "",
    to: session?.envelope.rcptTo.map((r) => r.address) ?? [],
    raw,
    headers,
    text: text.replace(/\r\n/g, "\n"),
    html,
  };
}

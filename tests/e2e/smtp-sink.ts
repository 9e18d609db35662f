// The browser tests' SMTP server (playwright.config.ts starts it beside the
// store): smtp-server on 127.0.0.1:E2E_SMTP_PORT, writing each message it
// accepts to E2E_MAIL_DIR as <n>.eml, which a journey reads as the shopper's
// inbox (tests/helpers/browser.ts, `inbox`).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";

const dir = process.env.E2E_MAIL_DIR!;
const port = Number(process.env.E2E_SMTP_PORT);
mkdirSync(dir, { recursive: true });
let count = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS", "AUTH"],
  logger: false,
  onData(stream, _session, callback) {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      writeFileSync(join(dir, `${String(++count).padStart(5, "0")}.eml`), Buffer.concat(chunks));
      callback(null, "2.0.0 kept");
    });
  },
});
server.listen(port, "127.0.0.1");
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

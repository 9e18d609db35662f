// Where messages go (docs/decisions/037-mail-transport.md):
//   SMTP_URL set         nodemailer over SMTP: STARTTLS required on smtp://
//                        unless the URL says ?requireTLS=false (a local mail
//                        catcher), TLS from the start on smtps://
//   unset, development   an .eml file per message under <data dir>/mail
//   unset, production    nowhere: messages stay queued, and the dashboard and
//                        db:status say so, until SMTP_URL is set
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { createTransport } from "nodemailer";
import { parseConnectionUrl } from "nodemailer/lib/shared";
import type { Env } from "#app/core/env.server.ts";

export type OutgoingMessage = {
  id: number;
  kind: string;
  from: string;
  /** Where a customer's reply goes: STORE_CONTACT_EMAIL, when set. */
  replyTo?: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  messageId: string;
};

export type MailTransport = {
  /** For log lines: "smtp" or "files". */
  name: string;
  /** Resolves once the server accepted the message (or the file is written); where, for files. */
  send(message: OutgoingMessage): Promise<{ file?: string }>;
  close(): void;
};

/** nodemailer's options for an SMTP_URL: its host, port and login, STARTTLS required by default. */
export function smtpOptions(url: string, timeoutMs: number) {
  const parsed = parseConnectionUrl(url);
  return {
    // smtp:// on port 587 upgrades with STARTTLS when offered; required, so
    // a server (or a man in the middle) that does not offer it gets no
    // password and no customer's address in the clear.
    requireTLS: parsed.secure !== true,
    ...parsed,
    // A few connections reused for many messages: a new TLS handshake per
    // message would cap the sender at a few dozen a second.
    pool: true as const,
    maxConnections: 3,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // nodemailer's own logging is off: it would print addresses.
    logger: false,
  };
}

export function smtpTransport(url: string, timeoutMs: number): MailTransport {
  const transporter = createTransport(smtpOptions(url, timeoutMs));
  return {
    name: "smtp",
    async send(m) {
      await transporter.sendMail({
        from: m.from,
        replyTo: m.replyTo,
        to: m.to,
        subject: m.subject,
        html: m.html,
        text: m.text,
        messageId: m.messageId,
      });
      return {};
    },
    close: () => transporter.close(),
  };
}

/** Development without SMTP: each message as a file any mail program opens. */
export function fileTransport(folder: string): MailTransport {
  const transporter = createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  return {
    name: "files",
    async send(m) {
      const info = await transporter.sendMail({
        from: m.from,
        replyTo: m.replyTo,
        to: m.to,
        subject: m.subject,
        html: m.html,
        text: m.text,
        messageId: m.messageId,
      });
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      const file = join(folder, `${String(m.id).padStart(6, "0")}-${m.kind}.eml`);
      writeFileSync(file, info.message as Buffer, { mode: 0o600 });
      return { file: relative(process.cwd(), file) || file };
    },
    close: () => transporter.close(),
  };
}

/** The folder development writes messages to: `mail/` beside the database. */
export const mailFolder = (databasePath: string) => join(dirname(databasePath), "mail");

/** The transport this configuration sends with, or null: production without SMTP_URL keeps messages queued. */
export function transportFor(config: Env): MailTransport | null {
  if (config.SMTP_URL) return smtpTransport(config.SMTP_URL, config.MAIL_SMTP_TIMEOUT_MS);
  if (config.NODE_ENV === "production") return null;
  return fileTransport(mailFolder(config.DATABASE_PATH));
}

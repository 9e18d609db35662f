// The message templates are .tsx, which plain Node cannot load: the built
// server has them bundled, and development loads them through Vite, so a
// template edit shows in the next message without a restart.
import type { AppDatabase } from "#app/db/connection.server.ts";
import type { Env } from "#app/core/env.server.ts";
import type { renderMessage } from "#app/store/mail/messages/render.server.tsx";
import { outboxCounts } from "#app/store/mail/outbox.server.ts";
import { startSender, type Sender } from "#app/store/mail/sender.server.ts";
import { transportFor } from "#app/store/mail/transport.server.ts";

export type RenderModule = { renderMessage: typeof renderMessage };

/**
 * Starts the sender, or says why messages stay queued (production without
 * SMTP_URL). Returns what to stop at shutdown.
 */
export function startMail(
  db: AppDatabase,
  config: Env,
  loadRender: () => Promise<RenderModule>,
  log: (line: string) => void,
): Sender | null {
  const transport = transportFor(config);
  if (!transport) {
    const { queued } = outboxCounts(db);
    log(`mail: SMTP_URL is not set, so messages stay queued (${queued} waiting) until it is (docs/email.md)`);
    return null;
  }
  return startSender(db, {
    transport,
    render: async (database, subject) => (await loadRender()).renderMessage(database, subject, { origin: config.PUBLIC_URL, name: config.STORE_NAME }),
    from: config.MAIL_FROM,
    replyTo: config.STORE_CONTACT_EMAIL,
    pollMs: config.MAIL_POLL_MS,
    retryBaseMs: config.MAIL_RETRY_BASE_MS,
    retryMaxMs: config.MAIL_RETRY_MAX_MS,
    giveUpAfterMs: config.MAIL_GIVE_UP_AFTER_MS,
    // Longer than one send can take (connect, greet, each step: a timeout
    // each), so no other process claims a row this one is still sending.
    // (5 minutes by default: how long a row a killed process held waits.)
    leaseMs: 10 * config.MAIL_SMTP_TIMEOUT_MS,
    log,
  });
}

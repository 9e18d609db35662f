// What staff see of the store's email (docs/email.md): whether mail goes out
// at all, what is waiting, what failed, and "Send again". Never a message's
// text or address: staff read those on the order itself.
import { z } from "zod";
import type { AppDatabase } from "#app/db/connection.server.ts";
import type { Env } from "#app/core/env.server.ts";
import { idField } from "#app/core/forms.server.ts";
import { failedMessages, mailConfigured, outboxCounts, retryMessage } from "#app/store/mail/outbox.server.ts";

export function mailSummary(db: AppDatabase, config: Env) {
  return {
    ...outboxCounts(db),
    // Production without SMTP_URL: nothing leaves, everything waits.
    configured: mailConfigured(config),
    toFiles: !config.SMTP_URL && mailConfigured(config),
    failedList: failedMessages(db, 10),
  };
}

/** The dashboard's "Send again" button. */
export const resendSchema = z.object({
  intent: z.literal("resend", { error: "Choose Send again." }),
  messageId: idField("That message no longer exists."),
});

const refusals = {
  missing: "That message no longer exists.",
  "not-failed": "That message is already waiting to be sent again (or was sent): nothing changed.",
  "no-link": "That sign-in link was replaced by a newer one: send the person a new link from Staff instead.",
} as const;

/** Queues a failed message again; the refusal to show, or null when queued. */
export function resend(db: AppDatabase, id: number): string | null {
  const result = retryMessage(db, id);
  return result === "queued" ? null : refusals[result];
}

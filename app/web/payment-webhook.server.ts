// Not a form: it sits before the origin check and the form limits, and reads
// the raw body itself because the signature is over the exact bytes. The
// event is applied exactly once (app/store/payment-events.server.ts).
//   400  bad or stale signature (Stripe shows it in its dashboard; no retry helps)
//   200  applied, a duplicate, or an event the store does not act on
//   503  not ready (migrations, shutdown) or the database busy or full: Stripe retries
// Its log line names the event and what it did, never a person.
import express, { type ErrorRequestHandler, type RequestHandler } from "express";
import { isBusy, isDiskFull, type AppDatabase } from "#app/db/connection.server.ts";
import { applyEvent } from "#app/store/payment-events.server.ts";
import { WebhookRefused, type PaymentProvider } from "#app/store/payments.server.ts";

export const WEBHOOK_PATH = "/webhooks/stripe";
// Stripe's checkout events are a few kB; this is far above them.
const MAX_WEBHOOK_BYTES = 256 * 1024;

export function paymentWebhook(options: {
  provider: PaymentProvider;
  database: () => AppDatabase;
  ready: () => boolean;
  log: (line: string) => void;
}): (RequestHandler | ErrorRequestHandler)[] {
  const { provider, log } = options;
  const readBody = express.raw({ type: () => true, limit: MAX_WEBHOOK_BYTES });
  const handle: RequestHandler = (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let event;
    try {
      event = provider.readWebhook(body, req.get("stripe-signature"));
    } catch (error) {
      if (!(error instanceof WebhookRefused)) throw error;
      log("payments: webhook refused: bad or stale signature");
      return void res.status(400).type("text/plain").send("Bad signature.");
    }
    if (!options.ready()) return void res.status(503).set("Retry-After", "5").type("text/plain").send("Not ready.");
    try {
      const applied = applyEvent(options.database(), event);
      log(
        `payments: webhook ${event.id} ${event.type === "other" ? event.name : event.type}: ${applied.outcome}` +
          (applied.duplicate ? " (duplicate)" : "") +
          (applied.orderId === null ? "" : ` order=${applied.orderId}`),
      );
      res.status(200).json({ received: true });
    } catch (error) {
      if (!isBusy(error) && !isDiskFull(error)) throw error;
      log(`payments: webhook ${event.id}: database ${isBusy(error) ? "busy" : "full"}, answered 503 for a retry`);
      res.status(503).set("Retry-After", "5").type("text/plain").send("Busy, try again.");
    }
  };
  // express.raw's own refusals (too large, a bad encoding) as plain 4xx.
  const refused: ErrorRequestHandler = (error: { status?: number; type?: string }, _req, res, next) => {
    const status = Number(error.status);
    if (!(status >= 400 && status < 500)) return next(error);
    res.status(status).type("text/plain").send(status === 413 ? "Too large." : "Bad request.");
  };
  return [readBody, handle, refused];
}

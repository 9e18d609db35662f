// Stripe Checkout behind the PaymentProvider interface, with the official
// client. The store never sees card data: the shopper pays on Stripe's
// hosted page, and the store learns the outcome from signed webhooks (or by
// asking for the session). Amounts are integer minor units, as in the
// database; metadata carries the order id back.
import Stripe from "stripe";
import type { Env } from "#app/core/env.server.ts";
import {
  ProviderUnavailable,
  WebhookRefused,
  type PaymentProvider,
  type SessionState,
} from "#app/store/payments.server.ts";

// Stripe's own default: a signature older than this is refused (replays).
const WEBHOOK_TOLERANCE_SECONDS = 300;

function sessionState(session: Stripe.Checkout.Session): SessionState {
  const orderId = Number(session.metadata?.order_id ?? session.client_reference_id);
  const intent = session.payment_intent;
  return {
    id: session.id,
    status: session.status === "complete" ? "complete" : session.status === "expired" ? "expired" : "open",
    paid: session.payment_status === "paid",
    amount: session.amount_total,
    currency: session.currency,
    orderId: Number.isSafeInteger(orderId) && orderId > 0 ? orderId : null,
    paymentIntent: typeof intent === "string" ? intent : (intent?.id ?? null),
    url: session.url,
  };
}

const SESSION_EVENTS = {
  "checkout.session.completed": "session.completed",
  "checkout.session.async_payment_succeeded": "session.async_succeeded",
  "checkout.session.async_payment_failed": "session.async_failed",
  "checkout.session.expired": "session.expired",
} as const;

export function stripeProvider(config: Env): PaymentProvider {
  const secret = config.STRIPE_SECRET_KEY!;
  const webhookSecret = config.STRIPE_WEBHOOK_SECRET!;
  const base = config.STRIPE_API_BASE ? new URL(config.STRIPE_API_BASE) : undefined;
  const stripe = new Stripe(secret, {
    // A checkout waits for this call: fail in seconds, not the default 80 s.
    timeout: 10_000,
    maxNetworkRetries: 1,
    ...(base && {
      host: base.hostname,
      port: Number(base.port || (base.protocol === "https:" ? 443 : 80)),
      protocol: base.protocol === "https:" ? "https" : "http",
    }),
  });

  async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      // The message names the operation and Stripe's error type, never keys or customer data.
      const type = error instanceof Stripe.errors.StripeError ? error.type : "network";
      throw new ProviderUnavailable(`Stripe ${what} failed (${type})`, { cause: error });
    }
  }

  return {
    name: "stripe",
    async createSession(input) {
      const session = await call("create session", () =>
        stripe.checkout.sessions.create(
          {
            mode: "payment",
            line_items: input.lines.map((line) => ({
              quantity: line.quantity,
              price_data: { currency: input.currency, unit_amount: line.unitAmount, product_data: { name: line.name } },
            })),
            client_reference_id: String(input.orderId),
            metadata: { order_id: String(input.orderId), order_number: input.orderNumber },
            payment_intent_data: { metadata: { order_id: String(input.orderId), order_number: input.orderNumber } },
            customer_email: input.email,
            expires_at: Math.floor(input.expiresAt.getTime() / 1000),
            success_url: input.successUrl,
            cancel_url: input.cancelUrl,
          },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
      return sessionState(session);
    },
    async getSession(id) {
      return sessionState(await call("read session", () => stripe.checkout.sessions.retrieve(id)));
    },
    async expireSession(id) {
      try {
        return sessionState(await stripe.checkout.sessions.expire(id));
      } catch (error) {
        // Only an open session can be expired: a paid or already expired one
        // answers 400. Read it to learn which.
        if (error instanceof Stripe.errors.StripeInvalidRequestError) return this.getSession(id);
        throw new ProviderUnavailable("Stripe expire session failed", { cause: error });
      }
    },
    async refund({ paymentIntent, amount, idempotencyKey }) {
      const refund = await call("refund", () =>
        stripe.refunds.create({ payment_intent: paymentIntent, amount }, { idempotencyKey }),
      );
      return { id: refund.id };
    },
    readWebhook(rawBody, signature) {
      let event: Stripe.Event;
      try {
        event = stripe.webhooks.constructEvent(rawBody, signature ?? "", webhookSecret, WEBHOOK_TOLERANCE_SECONDS);
      } catch (error) {
        throw new WebhookRefused(error instanceof Error ? error.message : "bad signature");
      }
      if (event.type in SESSION_EVENTS) {
        const session = event.data.object as Stripe.Checkout.Session;
        return { id: event.id, type: SESSION_EVENTS[event.type as keyof typeof SESSION_EVENTS], session: sessionState(session) };
      }
      if (event.type === "charge.refunded") {
        const charge = event.data.object;
        const intent = typeof charge.payment_intent === "string" ? charge.payment_intent : charge.payment_intent?.id;
        if (intent) return { id: event.id, type: "refunded", paymentIntent: intent, amountRefunded: charge.amount_refunded, fully: charge.refunded };
      }
      return { id: event.id, type: "other", name: event.type };
    },
  };
}

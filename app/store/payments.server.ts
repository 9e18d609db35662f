// The one interface an online payment provider implements. The store asks
// it for four things and hands it each webhook; everything else (the order
// states, the stock, applying an event exactly once) is the store's own.
// Stripe is app/store/stripe.server.ts; another provider (Adyen,
// Mollie) is one more module like it. Provider `manual` has no module:
// staff record payments by hand (docs/payments.md).
import { href } from "react-router";
import { paymentProvider, publicUrl, type Env } from "#app/core/env.server.ts";
import { KnownError } from "#app/core/errors.ts";

/** What the store knows of a hosted payment page ("session"). */
export type SessionState = {
  id: string;
  /** open: the shopper may still pay; complete: they finished; expired: they never will. */
  status: "open" | "complete" | "expired";
  /** paid only once the money is certain (a delayed method completes unpaid first). */
  paid: boolean;
  /** Minor units and lower-case ISO 4217, as the provider charged them. */
  amount: number | null;
  currency: string | null;
  /** The order the session is for, as the store sent it. */
  orderId: number | null;
  paymentIntent: string | null;
  url: string | null;
};

/** One verified webhook event, in the store's terms. */
export type PaymentEvent =
  | { id: string; type: "session.completed" | "session.async_succeeded" | "session.async_failed" | "session.expired"; session: SessionState }
  | { id: string; type: "refunded"; paymentIntent: string; amountRefunded: number; fully: boolean }
  /** Verified, but nothing the store acts on: acknowledged and forgotten. */
  | { id: string; type: "other"; name: string };

export type NewSession = {
  orderId: number;
  orderNumber: string;
  lines: { name: string; unitAmount: number; quantity: number }[];
  currency: string;
  email: string;
  expiresAt: Date;
  successUrl: string;
  cancelUrl: string;
  /** The same key gives the same session: a retry never opens a second one. */
  idempotencyKey: string;
};

export interface PaymentProvider {
  readonly name: "stripe";
  createSession(session: NewSession): Promise<SessionState>;
  getSession(id: string): Promise<SessionState>;
  /** Closes an open session so it can no longer be paid; returns it as it is now (maybe complete). */
  expireSession(id: string): Promise<SessionState>;
  refund(input: { paymentIntent: string; amount: number; idempotencyKey: string }): Promise<{ id: string }>;
  /** Verifies the signature over the raw body, then reads the event; throws WebhookRefused. */
  readWebhook(rawBody: Buffer, signature: string | undefined): PaymentEvent;
}

/** The provider could not be reached, or refused: nothing was decided. */
export class ProviderUnavailable extends KnownError {
  override name = "ProviderUnavailable";
}

/** A webhook whose signature (or timestamp) does not check out. */
export class WebhookRefused extends KnownError {
  override name = "WebhookRefused";
}

let cached: { provider: PaymentProvider | null } | undefined;

/** The online provider the settings choose, or null for manual payment. */
export async function onlinePayments(config: Env): Promise<PaymentProvider | null> {
  if (cached) return cached.provider;
  if (paymentProvider(config) === "manual") {
    cached = { provider: null };
    return null;
  }
  const { stripeProvider } = await import("#app/store/stripe.server.ts");
  cached = { provider: stripeProvider(config) };
  return cached.provider;
}

/**
 * The origins a checkout form's redirect may lead to (the hosted payment
 * page), for the CSP's form-action: Stripe Checkout, or the test double.
 */
export function paymentPageOrigins(config: Env): string[] {
  if (paymentProvider(config) !== "stripe") return [];
  return [config.STRIPE_API_BASE ? new URL(config.STRIPE_API_BASE).origin : "https://checkout.stripe.com"];
}

/** Where the shopper comes back to: the order's page, and its "pay or cancel" page. */
export function returnUrls(publicId: string, config: Env) {
  const base = publicUrl(config);
  return {
    successUrl: `${base}${href("/orders/:publicId", { publicId })}`,
    cancelUrl: `${base}${href("/orders/:publicId/pay", { publicId })}`,
  };
}

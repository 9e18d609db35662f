// A local stand-in for the few Stripe endpoints the store calls, so tests
// drive the real `stripe` client (pointed here by STRIPE_API_BASE) without a
// network: Checkout Sessions create, retrieve and expire, and refunds
// create. It records what the store sent (amounts, currency, metadata,
// idempotency keys), replays an idempotency key's first answer as Stripe
// does, can be told to fail or hang, and serves a tiny "hosted page" whose
// buttons complete or abandon payment and send the store a signed webhook,
// as Stripe would.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";

export const TEST_STRIPE_SECRET_KEY = "sk_test_double_0123456789abcdef";
export const TEST_WEBHOOK_SECRET = "whsec_test_double_0123456789abcdef";

const signer = new Stripe(TEST_STRIPE_SECRET_KEY);

export type DoubleSession = {
  id: string;
  object: "checkout.session";
  status: "open" | "complete" | "expired";
  payment_status: "unpaid" | "paid";
  amount_total: number;
  currency: string;
  client_reference_id: string | null;
  metadata: Record<string, string>;
  payment_intent: string | null;
  customer_email: string | null;
  expires_at: number;
  success_url: string;
  cancel_url: string;
  url: string | null;
  line_items: { name: string; unit_amount: number; quantity: number }[];
};

export type Recorded = { method: string; path: string; form: Record<string, string>; idempotencyKey: string | null };

/** Stripe's form encoding (a[b][0][c]=v) as flat keys. */
function parseForm(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

/** Signs `payload` as Stripe signs webhooks (a past `timestamp` makes a stale one). */
export function signWebhook(payload: string, options: { secret?: string; timestamp?: number } = {}) {
  return signer.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? TEST_WEBHOOK_SECRET, timestamp: options.timestamp });
}

let eventCounter = 0;
/** A Stripe event around `object`, as JSON. */
export function eventJson(type: string, object: unknown, id = `evt_test_${Date.now()}_${++eventCounter}`) {
  return JSON.stringify({ id, object: "event", type, api_version: "2026-11-17", created: Math.floor(Date.now() / 1000), data: { object } });
}

// Stripe's zero-decimal currencies (docs.stripe.com/currencies): an amount in
// one of them is whole units; in any other, hundredths. Written out here, not
// taken from the store, so the hosted page shows what Stripe would charge.
const ZERO_DECIMAL = ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"];

/** "54.00 EUR", "5400 JPY": what the hosted page says it charges. */
export function shownAmount(amount: number, currency: string) {
  const whole = ZERO_DECIMAL.includes(currency);
  return `${whole ? String(amount) : (amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
}

export async function startStripeDouble(options: { latencyMs?: number } = {}) {
  const sessions = new Map<string, DoubleSession>();
  const requests: Recorded[] = [];
  const replies = new Map<string, { status: number; body: string }>();
  const refunds: { id: string; payment_intent: string; amount: number }[] = [];
  let counter = 0;
  let failures = 0;
  let hanging = false;
  /** Where the hosted page delivers webhooks: the store's /webhooks/stripe. */
  let webhookUrl: string | undefined;
  /** Charge this instead of the session's amount (an amount-mismatch test). */
  let chargeOverride: { amount?: number; currency?: string } = {};
  const delivered: { type: string; status: number }[] = [];

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "Content-Type": "application/json" }).end(typeof body === "string" ? body : JSON.stringify(body));
  };
  const invalid = (message: string) => ({ error: { type: "invalid_request_error", message } });

  async function deliver(type: string, object: unknown) {
    if (!webhookUrl) return;
    const payload = eventJson(type, object);
    const response = await fetch(webhookUrl, {
      method: "POST",
      body: payload,
      headers: { "Content-Type": "application/json", "Stripe-Signature": signWebhook(payload) },
    });
    delivered.push({ type, status: response.status });
  }

  /** The session as the API returns it: line items are a separate call at Stripe. */
  function view(session: DoubleSession): Omit<DoubleSession, "line_items"> {
    return Object.fromEntries(Object.entries(session).filter(([key]) => key !== "line_items")) as Omit<DoubleSession, "line_items">;
  }

  function handleApi(req: IncomingMessage, res: ServerResponse, path: string, form: Record<string, string>) {
    const now = Math.floor(Date.now() / 1000);
    if (req.method === "POST" && path === "/v1/checkout/sessions") {
      const expiresAt = Number(form.expires_at);
      if (!(expiresAt - now >= 30 * 60 && expiresAt - now <= 24 * 3600)) {
        return send(res, 400, invalid("expires_at must be between 30 minutes and 24 hours from now"));
      }
      const lines: DoubleSession["line_items"] = [];
      for (let i = 0; form[`line_items[${i}][quantity]`] !== undefined; i++) {
        lines.push({
          name: form[`line_items[${i}][price_data][product_data][name]`] ?? "",
          unit_amount: Number(form[`line_items[${i}][price_data][unit_amount]`]),
          quantity: Number(form[`line_items[${i}][quantity]`]),
        });
      }
      const currencies = new Set(Object.entries(form).filter(([k]) => k.endsWith("[price_data][currency]")).map(([, v]) => v));
      if (currencies.size !== 1) return send(res, 400, invalid("one currency per session"));
      const id = `cs_test_${++counter}`;
      const metadata = Object.fromEntries(
        Object.entries(form)
          .filter(([k]) => /^metadata\[[^\]]+\]$/.test(k))
          .map(([k, v]) => [k.slice(9, -1), v]),
      );
      const session: DoubleSession = {
        id,
        object: "checkout.session",
        status: "open",
        payment_status: "unpaid",
        amount_total: lines.reduce((sum, l) => sum + l.unit_amount * l.quantity, 0),
        currency: [...currencies][0]!,
        client_reference_id: form.client_reference_id ?? null,
        metadata,
        payment_intent: null,
        customer_email: form.customer_email ?? null,
        expires_at: expiresAt,
        success_url: form.success_url!,
        cancel_url: form.cancel_url!,
        url: `${double.url}/pay/${id}`,
        line_items: lines,
      };
      sessions.set(id, session);
      return send(res, 200, view(session));
    }
    const retrieve = /^\/v1\/checkout\/sessions\/([\w-]+)$/.exec(path);
    if (req.method === "GET" && retrieve) {
      const session = sessions.get(retrieve[1]!);
      return session ? send(res, 200, view(session)) : send(res, 404, invalid("No such checkout.session"));
    }
    const expire = /^\/v1\/checkout\/sessions\/([\w-]+)\/expire$/.exec(path);
    if (req.method === "POST" && expire) {
      const session = sessions.get(expire[1]!);
      if (!session) return send(res, 404, invalid("No such checkout.session"));
      if (session.status !== "open") return send(res, 400, invalid(`Only open sessions can be expired (this one is ${session.status})`));
      session.status = "expired";
      session.url = null;
      send(res, 200, view(session));
      void deliver("checkout.session.expired", view(session));
      return;
    }
    if (req.method === "POST" && path === "/v1/refunds") {
      const paid = [...sessions.values()].find((s) => s.payment_intent === form.payment_intent);
      if (!paid) return send(res, 400, invalid("No such payment_intent"));
      const refund = { id: `re_test_${++counter}`, object: "refund", payment_intent: form.payment_intent!, amount: Number(form.amount ?? paid.amount_total), status: "succeeded" };
      refunds.push(refund);
      return send(res, 200, refund);
    }
    send(res, 404, invalid(`the double does not implement ${req.method} ${path}`));
  }

  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      void (async () => {
        const url = new URL(req.url ?? "/", "http://double");
        const path = url.pathname;
        if (path.startsWith("/v1/")) {
          const form = req.method === "GET" ? Object.fromEntries(url.searchParams) : parseForm(body);
          const idempotencyKey = (req.headers["idempotency-key"] as string | undefined) ?? null;
          requests.push({ method: req.method!, path, form, idempotencyKey });
          if (hanging) return; // never answers: the client's timeout must fire
          if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
          if (failures > 0) {
            failures--;
            return send(res, 500, { error: { type: "api_error", message: "the double was told to fail" } });
          }
          if (idempotencyKey && req.method === "POST") {
            const seen = replies.get(idempotencyKey);
            if (seen) return send(res, seen.status, seen.body);
            const original = res.end.bind(res);
            res.end = ((chunk: string) => {
              if (res.statusCode < 500) replies.set(idempotencyKey, { status: res.statusCode, body: chunk });
              return original(chunk);
            }) as typeof res.end;
          }
          return handleApi(req, res, path, form);
        }
        // The hosted payment page.
        const page = /^\/pay\/([\w-]+)(\/complete)?$/.exec(path);
        const session = page ? sessions.get(page[1]!) : undefined;
        if (!session) return void res.writeHead(404).end("no such session");
        if (req.method === "GET") {
          const lines = session.line_items.map((l) => `<li>${l.quantity} × ${l.name}</li>`).join("");
          const open = session.status === "open";
          res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(
            `<!doctype html><html lang="en"><head><title>Pay · Stripe test double</title><link rel="icon" href="data:,"></head><body><main>` +
              `<h1>Stripe test double</h1><ul>${lines}</ul><p>Total ${shownAmount(session.amount_total, session.currency)}</p>` +
              (open
                ? `<form method="post" action="/pay/${session.id}/complete"><button>Pay</button></form>` +
                  `<p><a href="${session.cancel_url}">Back to the store</a></p>`
                : `<p>This session is ${session.status}.</p>`) +
              `</main></body></html>`,
          );
          return;
        }
        if (req.method === "POST" && page![2] && session.status === "open") {
          session.status = "complete";
          session.payment_status = "paid";
          session.payment_intent = `pi_test_${++counter}`;
          const charged = { ...view(session), amount_total: chargeOverride.amount ?? session.amount_total, currency: chargeOverride.currency ?? session.currency };
          Object.assign(session, { amount_total: charged.amount_total, currency: charged.currency });
          await deliver("checkout.session.completed", charged);
          res.writeHead(303, { Location: session.success_url }).end();
          return;
        }
        res.writeHead(400).end("not open");
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const double = {
    url: `http://127.0.0.1:${port}`,
    sessions,
    requests,
    refunds,
    delivered,
    /** The store's settings that point it at this double. */
    env: { STRIPE_SECRET_KEY: TEST_STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, STRIPE_API_BASE: `http://127.0.0.1:${port}` },
    /** The hosted page sends its webhooks here. */
    deliverTo(url: string | undefined) {
      webhookUrl = url;
    },
    /** The next `count` API calls answer 500. */
    fail(count: number) {
      failures = count;
    },
    /** API calls get no answer at all until hang(false). */
    hang(on = true) {
      hanging = on;
    },
    chargeInstead(override: { amount?: number; currency?: string }) {
      chargeOverride = override;
    },
    /** Marks a session paid without the hosted page (no webhook sent). */
    pay(id: string) {
      const session = sessions.get(id)!;
      Object.assign(session, { status: "complete", payment_status: "paid", payment_intent: `pi_test_${++counter}` });
      return view(session);
    },
    view: (id: string) => view(sessions.get(id)!),
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return double;
}
export type StripeDouble = Awaited<ReturnType<typeof startStripeDouble>>;

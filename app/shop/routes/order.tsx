import { data, href, Link } from "react-router";
import { databaseContext } from "#app/db/connection.server.ts";
import { configContext } from "#app/core/env.server.ts";
import { getOrder } from "#app/shop/orders.server.ts";
import { confirmSooner } from "#app/shop/pay.server.ts";
import { onlinePayments } from "#app/store/payments.server.ts";
import { orderStatusLabel } from "#app/store/order-status.ts";
import { NoBreak } from "#app/ui/kit.tsx";
import { OrderSummary } from "#app/ui/order-summary.tsx";
import { formatDate } from "#app/ui/time-zone.ts";
import type { RouteHandle } from "#app/web/request-route.server.ts";
import type { Route } from "./+types/order";

// Counted by the rate limits (app/web/rate-limits.server.ts), however the path is written.
export const handle: RouteHandle = { rateLimit: { GET: "order lookup" } };

export function meta({ loaderData: data }: Route.MetaArgs) {
  return [
    { title: data ? `Order ${data.order.number} · Corner Store` : "Order not found · Corner Store" },
    // The URL is the key to the order (128 random bits: whoever has it sees
    // the order): keep it out of search engines, and never send it on as a
    // Referer when the shopper follows a link. (This page has no form: with
    // no-referrer, a browser would post one with `Origin: null`.)
    { name: "robots", content: "noindex" },
    { name: "referrer", content: "no-referrer" },
  ];
}

export async function loader({ params, context }: Route.LoaderArgs) {
  const db = context.get(databaseContext);
  let order = getOrder(db, params.publicId);
  if (!order) throw data("No such order", { status: 404 });
  // Back from Stripe before its webhook: ask for the session, through the
  // same path the webhook takes. What the page says comes from the
  // database either way, never from the address the shopper came back to.
  const provider = order.status === "awaiting_payment" ? await onlinePayments(context.get(configContext)) : null;
  if (provider) {
    await confirmSooner(db, provider, params.publicId);
    order = getOrder(db, params.publicId)!;
  }
  return { order, publicId: params.publicId };
}

const PAYMENT_NOTES = {
  placed: ["Waiting for your payment", "Pay by bank transfer or in person as the store tells you: we ship once the payment has arrived."],
  awaiting_payment: ["Confirming your payment…", "This takes a moment after you pay. If you did not finish paying, you can pay now or cancel the order."],
  paid: ["Payment received", "Thank you: we will ship your order soon."],
  shipped: ["Shipped", "Your payment was received and the order is on its way."],
  cancelled: ["Cancelled", "This order was cancelled and nothing is owed. Its items went back on the shelf."],
  refunded: ["Refunded", "Your payment was refunded in full."],
} as const;

export default function Order({ loaderData }: Route.ComponentProps) {
  const { order, publicId } = loaderData;
  const [heading, note] = PAYMENT_NOTES[order.status];
  return (
    <section className="mx-auto max-w-2xl">
      <p className="text-sm font-medium text-green-800">Thank you for your order</p>
      <h1 className="mt-1 text-3xl font-semibold tracking-tight">
        Order <NoBreak>{order.number}</NoBreak>
      </h1>
      <p className="mt-3 text-stone-700">
        {`Placed on ${formatDate(order.createdAt)}. Status: ${orderStatusLabel(order.status)}. `}
        Keep the order number: with your email it finds this page again.
      </p>
      <div role="status" className="mt-6 rounded border border-stone-300 bg-white px-4 py-3">
        <h2 className="font-medium">{heading}</h2>
        <p className="mt-1 text-sm text-stone-700">{note}</p>
        {order.status === "awaiting_payment" && (
          <Link to={href("/orders/:publicId/pay", { publicId: publicId })} className="mt-2 inline-block text-sm font-medium underline">
            Pay now or cancel the order
          </Link>
        )}
      </div>

      <OrderSummary order={order} lineHref={(line) => href("/products/:slug", { slug: line.slug })} />

      <Link to={href("/")} className="mt-10 inline-block rounded bg-stone-900 px-4 py-2 text-white hover:bg-stone-700">
        Continue shopping
      </Link>
    </section>
  );
}

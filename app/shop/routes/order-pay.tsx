import { data, Form, href, Link, redirect } from "react-router";
import { databaseContext } from "#app/db/connection.server.ts";
import { configContext } from "#app/core/env.server.ts";
import { formValues, readForm } from "#app/core/forms.server.ts";
import { getOrder } from "#app/shop/orders.server.ts";
import { cancelUnpaidOrder, payForOrder } from "#app/shop/pay.server.ts";
import { onlinePayments } from "#app/store/payments.server.ts";
import { NoBreak } from "#app/ui/kit.tsx";
import { OrderSummary } from "#app/ui/order-summary.tsx";
import { useIsPending } from "#app/ui/use-is-pending.ts";
import type { Route } from "./+types/order-pay";

// Where Stripe's "back" link lands (the session's cancel_url), and where a
// checkout goes when Stripe could not be reached: pay for the same order
// again, or cancel it and put its items back. Never a second order.

export function meta({ loaderData: data }: Route.MetaArgs) {
  return [
    { title: data ? `Pay for order ${data.order.number} · Corner Store` : "Order not found · Corner Store" },
    { name: "robots", content: "noindex" },
    // The address is the order's key: never sent to another site. Same-origin
    // (not no-referrer, as on the order page): its forms must carry an Origin.
    { name: "referrer", content: "same-origin" },
  ];
}

const UNREACHABLE = "We could not reach the payment provider, so nothing was charged. Your items are still held: try paying again in a moment.";

export function loader({ params, request, context }: Route.LoaderArgs) {
  const order = getOrder(context.get(databaseContext), params.publicId);
  if (!order) throw data("No such order", { status: 404 });
  // Nothing to pay: the order page says why.
  if (order.status !== "awaiting_payment") throw redirect(href("/orders/:publicId", { publicId: params.publicId }));
  // Checkout sends the shopper here when its call to the provider failed.
  const unreachable = new URL(request.url).searchParams.has("retry");
  return { order, publicId: params.publicId, notice: unreachable ? UNREACHABLE : null };
}

export async function action({ request, params, context }: Route.ActionArgs) {
  const { intent } = formValues(await readForm(request), ["intent"]);
  if (intent !== "pay" && intent !== "cancel") return data({ error: "Choose to pay or to cancel the order." }, { status: 400 });
  const db = context.get(databaseContext);
  const provider = await onlinePayments(context.get(configContext));
  const result =
    intent === "pay"
      ? provider
        ? await payForOrder(db, provider, params.publicId, context.get(configContext))
        : ({ status: "unavailable" } as const)
      : await cancelUnpaidOrder(db, provider, params.publicId);
  if (result.status === "missing") throw data("No such order", { status: 404 });
  if (result.status === "redirect") return redirect(result.url, 303);
  if (result.status === "unavailable") {
    return data(
      {
        error:
          intent === "pay"
            ? UNREACHABLE
            : "We could not reach the payment provider to close your payment page, so the order was not cancelled yet. Try again in a moment.",
      },
      { status: 503, headers: { "Retry-After": "5" } },
    );
  }
  return redirect(href("/orders/:publicId", { publicId: params.publicId }), 303);
}

export default function OrderPay({ loaderData, actionData }: Route.ComponentProps) {
  const { order, publicId } = loaderData;
  const error = actionData?.error ?? loaderData.notice;
  const paying = useIsPending({ fields: { intent: "pay" } });
  const cancelling = useIsPending({ fields: { intent: "cancel" } });
  return (
    <section className="mx-auto max-w-2xl">
      <h1 className="text-3xl font-semibold tracking-tight">
        Pay for order <NoBreak>{order.number}</NoBreak>
      </h1>
      <p className="mt-3 text-stone-700">
        {`Your order is not paid yet. Its ${order.items.reduce((n, i) => n + i.quantity, 0)} items are held for you for a while; after that the order is cancelled.`}
      </p>
      {error && (
        <p role="alert" className="mt-4 rounded border border-red-700 bg-red-50 px-4 py-3 text-sm text-red-900">
          {error}
        </p>
      )}
      {/* What the shopper is about to pay for and where it ships, drawn as the order page draws it. */}
      <OrderSummary order={order} lineHref={(line) => href("/products/:slug", { slug: line.slug })} />
      <div className="mt-8 flex flex-wrap items-start gap-4">
        <Form method="post">
          <input type="hidden" name="intent" value="pay" />
          <button
            type="submit"
            disabled={paying || cancelling}
            className="rounded bg-stone-900 px-5 py-3 font-medium text-white hover:bg-stone-700 disabled:opacity-60"
          >
            {paying ? "Opening the payment page…" : error ? "Try paying again" : "Pay now"}
          </button>
        </Form>
        <Form method="post">
          <input type="hidden" name="intent" value="cancel" />
          <button
            type="submit"
            disabled={paying || cancelling}
            className="rounded border border-stone-400 bg-white px-5 py-3 font-medium hover:bg-stone-50 disabled:opacity-60"
          >
            {cancelling ? "Cancelling…" : "Cancel the order"}
          </button>
        </Form>
      </div>
      <Link to={href("/orders/:publicId", { publicId })} className="mt-8 inline-block text-sm underline">
        Back to the order
      </Link>
    </section>
  );
}

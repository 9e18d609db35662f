import { data, Form, href, Link, redirect, type ShouldRevalidateFunctionArgs } from "react-router";
import {
  buttonClass,
  formatPrice,
  FormAlert,
  formatDateTime,
  linkClass,
  NoBreak,
  PageHeading,
  StatusBadge,
} from "#app/ui/kit.tsx";
import { OrderSummary } from "#app/ui/order-summary.tsx";
import { ConfirmAction } from "#app/ui/confirm-action.tsx";
import { refundConsequences } from "#app/ui/refund-consequences.ts";
import { useIsPending } from "#app/ui/use-is-pending.ts";
import { databaseContext } from "#app/db/connection.server.ts";
import { configContext } from "#app/core/env.server.ts";
import { code, notice } from "#app/core/notice.ts";
import { formFailure, formValues, readForm } from "#app/core/forms.server.ts";
import { getOrderForStaff, paymentAcceptable, staffMoves, transitionOrder, transitionSchema } from "#app/staff/order-admin.server.ts";
import { idParam } from "#app/web/route-params.server.ts";
import { signedInStaff } from "#app/staff/staff-auth.server.ts";
import { setNotice } from "#app/staff/staff-session.server.ts";
import { refundable } from "#app/store/refund.server.ts";
import type { Route } from "./+types/order";

export function meta({ loaderData }: Route.MetaArgs) {
  return [{ title: `Order ${loaderData?.order.number ?? ""} · Store admin` }];
}

export function loader({ params, context }: Route.LoaderArgs) {
  const order = getOrderForStaff(context.get(databaseContext), idParam(params.orderId, "order"));
  if (!order) throw data("There is no such order.", { status: 404 });
  // The owner alone refunds, on a confirmation page (order-refund.tsx).
  const owner = signedInStaff(context).staff.role === "owner";
  const canRefund = owner && refundable(order.status);
  // A flagged Stripe payment: the owner may accept it (order-accept-payment.tsx).
  const canAccept = owner && paymentAcceptable(order);
  return { order, moves: staffMoves(order.status), canRefund, canAccept };
}

// A 409 means someone else changed the order: show it as it is now.
export function shouldRevalidate({ actionStatus, defaultShouldRevalidate }: ShouldRevalidateFunctionArgs) {
  return actionStatus === 409 || defaultShouldRevalidate;
}

const done = {
  placed: "is placed",
  awaiting_payment: "is awaiting payment",
  paid: "was marked paid",
  shipped: "was shipped",
  cancelled: "was cancelled",
  refunded: "was refunded",
} as const;

const notices = {
  paid: (n: string) => notice`Order ${code(n)} is marked paid: it can be shipped.`,
  shipped: (n: string) => notice`Order ${code(n)} is marked shipped.`,
  cancelled: (n: string) => notice`Order ${code(n)} is cancelled; its items are back in stock.`,
} as const;

export async function action({ request, params, context }: Route.ActionArgs) {
  const { staff, sessionId } = signedInStaff(context);
  const orderId = idParam(params.orderId, "order");
  const values = formValues(await readForm(request), ["intent", "status"]);
  const parsed = transitionSchema.safeParse(values);
  if (!parsed.success) return formFailure(values, parsed.error);

  const db = context.get(databaseContext);
  const result = transitionOrder(db, {
    orderId,
    intent: parsed.data.intent,
    expected: parsed.data.status,
    staffId: staff.id,
    origin: context.get(configContext).PUBLIC_URL,
  });
  if (result.status === "missing") throw data("There is no such order.", { status: 404 });
  if (result.status === "conflict") {
    // Another member of staff acted first (or this page is old): nothing
    // changed, and the page reloads with the order as it is now.
    return formFailure(
      values,
      {
        form: `Nothing changed: this order ${done[result.current]} meanwhile, probably by someone else. The page now shows it as it is.`,
      },
      409,
    );
  }
  const to = result.order.status as keyof typeof notices;
  setNotice(db, sessionId, notices[to](result.order.number));
  return redirect(href("/admin/orders/:orderId", { orderId: String(orderId) }));
}

const reasons = { initial: "Opening balance", sale: "Sold", cancellation: "Returned to stock", adjustment: "Adjustment" } as const;

export default function Order({ loaderData, actionData }: Route.ComponentProps) {
  const { order, moves, canRefund, canAccept } = loaderData;
  const paying = useIsPending({ fields: { intent: "pay" } });
  const shipping = useIsPending({ fields: { intent: "ship" } });
  const cancelling = useIsPending({ fields: { intent: "cancel" } });
  const busy = paying || shipping || cancelling;
  const names = new Map(order.items.map((i) => [i.productId, i.productName]));
  return (
    <section>
      <p className="mb-2 text-sm">
        <Link to={href("/admin/orders")} className={linkClass}>
          ← Orders
        </Link>
      </p>
      <PageHeading title={<>Order <NoBreak>{order.number}</NoBreak></>}>
        <StatusBadge status={order.status} />
      </PageHeading>
      <p className="text-stone-700">{`Placed ${formatDateTime(order.createdAt)} · last changed ${formatDateTime(order.updatedAt)}`}</p>

      <FormAlert message={actionData?.errors.form ?? actionData?.errors.status ?? actionData?.errors.intent} />
      {order.paymentIssue && (
        <p role="alert" className="mt-4 rounded border border-red-700 bg-red-50 px-4 py-3 text-sm text-red-900">
          {`Payment needs a look: ${order.paymentIssue} See docs/payments.md, "When money and orders disagree".`}
        </p>
      )}
      {(moves.length > 0 || canRefund || canAccept) && (
        <div className="mt-6 flex flex-wrap items-start gap-4">
          {moves.includes("pay") && (
            <Form method="post">
              <input type="hidden" name="intent" value="pay" />
              <input type="hidden" name="status" value={order.status} />
              <button type="submit" disabled={busy} className={buttonClass}>
                {paying ? "Marking paid…" : "Mark paid"}
              </button>
            </Form>
          )}
          {moves.includes("ship") && (
            <Form method="post">
              <input type="hidden" name="intent" value="ship" />
              <input type="hidden" name="status" value={order.status} />
              <button type="submit" disabled={busy} className={buttonClass}>
                {shipping ? "Marking shipped…" : "Mark shipped"}
              </button>
            </Form>
          )}
          {moves.includes("cancel") && (
            <ConfirmAction
              id="cancel"
              trigger="Cancel order…"
              title={<>Cancel order <NoBreak>{`${order.number}?`}</NoBreak></>}
              confirm={cancelling ? "Cancelling…" : "Cancel order and return stock"}
              keep="Keep the order"
              fields={{ intent: "cancel", status: order.status }}
            >
              {`${order.customerName}'s order is cancelled and its items go back in stock; they are told by email. This cannot be undone.`}
            </ConfirmAction>
          )}
          {canAccept && (
            <Link to={href("/admin/orders/:orderId/accept-payment", { orderId: String(order.id) })} className={buttonClass}>
              Mark paid…
            </Link>
          )}
          {canRefund && (
            <ConfirmAction
              id="refund"
              trigger="Refund…"
              title={<>Refund order <NoBreak>{`${order.number}?`}</NoBreak></>}
              confirm={`Refund ${formatPrice(order.totalCents, order.currency)}`}
              keep="Keep the payment"
              fields={{ status: order.status }}
              action={href("/admin/orders/:orderId/refund", { orderId: String(order.id) })}
            >
              {refundConsequences(order)}
            </ConfirmAction>
          )}
        </div>
      )}
      {order.status === "placed" && (
        <p className="mt-3 text-sm text-stone-700">Ship it once the payment has arrived and is marked paid.</p>
      )}

      <h2 className="mt-8 text-lg font-medium">Payment</h2>
      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm text-stone-700">
        <dt className="font-medium">Provider</dt>
        <dd>{order.paymentProvider === "stripe" ? "Stripe Checkout" : "Manual (bank transfer, cash)"}</dd>
        <dt className="font-medium">Currency</dt>
        <dd>{order.currency.toUpperCase()}</dd>
        {order.paymentReference && (
          <>
            <dt className="font-medium">Reference</dt>
            <dd className="font-mono">{order.paymentReference}</dd>
          </>
        )}
        {order.paidAt && (
          <>
            <dt className="font-medium">Paid</dt>
            <dd>{formatDateTime(order.paidAt)}</dd>
          </>
        )}
        {order.holdExpiresAt && (
          <>
            <dt className="font-medium">Stock held until</dt>
            <dd>{formatDateTime(order.holdExpiresAt)}</dd>
          </>
        )}
      </dl>

      <OrderSummary order={order} lineHref={(line) => href("/admin/products/:productId", { productId: String(line.productId) })} staff />

      <h2 className="mt-8 text-lg font-medium">Emails to the customer</h2>
      {order.messages.length === 0 ? (
        <p className="mt-2 text-sm text-stone-700">None yet.</p>
      ) : (
        <ul className="mt-2 text-sm text-stone-700">
          {order.messages.map((m) => (
            <li key={m.id}>
              {`${m.label}: `}
              {m.status === "sent" && m.sentAt
                ? `sent ${formatDateTime(m.sentAt)}`
                : m.status === "failed"
                  ? `failed after ${m.attempts} attempt${m.attempts === 1 ? "" : "s"} (${m.lastError ?? "no reason recorded"}); the dashboard can send it again`
                  : m.attempts === 0
                    ? `waiting to be sent (queued ${formatDateTime(m.createdAt)})`
                    : `waiting: attempt ${m.attempts} failed (${m.lastError ?? "no reason recorded"}), next try ${formatDateTime(m.dueAt)}`}
            </li>
          ))}
        </ul>
      )}

      {order.movements.length > 0 && (
        <>
          <h2 className="mt-8 text-lg font-medium">Stock</h2>
          <ul className="mt-2 text-sm text-stone-700">
            {order.movements.map((m) => (
              <li key={m.id}>
                {`${formatDateTime(m.createdAt)}: ${reasons[m.reason]} ${Math.abs(m.delta)} × ${names.get(m.productId) ?? "product"}`}
                {m.staffEmail && ` (by ${m.staffEmail})`}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

import { data, Form, href, Link, redirect } from "react-router";
import { formatPrice } from "#app/core/money.ts";
import { formValues, readForm } from "#app/core/forms.server.ts";
import { databaseContext } from "#app/db/connection.server.ts";
import { configContext } from "#app/core/env.server.ts";
import { code, notice } from "#app/core/notice.ts";
import { orderStatuses } from "#app/db/schema.ts";
import { getOrderForStaff } from "#app/staff/order-admin.server.ts";
import { requireOwnerToRefund, signedInStaff } from "#app/staff/staff-auth.server.ts";
import { setNotice } from "#app/staff/staff-session.server.ts";
import { refundable, refundOrder } from "#app/store/refund.server.ts";
import { onlinePayments } from "#app/store/payments.server.ts";
import { orderStatusLabel } from "#app/store/order-status.ts";
import { dangerButtonClass, FormAlert, linkClass, NoBreak, PageHeading } from "#app/ui/kit.tsx";
import { useIsPending } from "#app/ui/use-is-pending.ts";
import { refundConsequences } from "#app/ui/refund-consequences.ts";
import { idParam } from "#app/web/route-params.server.ts";
import type { Route } from "./+types/order-refund";

// A refund gives money back and cannot be undone: the owner only. It is
// asked for on the order page, through the confirm step every destructive
// action uses (app/ui/confirm-action.tsx, decision 041), whose form posts
// here. This page is where a refused refund lands (Stripe unreachable, the
// order changed), with the reason and the button to try again, and what an
// old link to it shows.
export const middleware: Route.MiddlewareFunction[] = [requireOwnerToRefund];

export function meta({ loaderData }: Route.MetaArgs) {
  return [{ title: `Refund order ${loaderData?.order.number ?? ""} · Store admin` }];
}

export function loader({ params, context }: Route.LoaderArgs) {
  const order = getOrderForStaff(context.get(databaseContext), idParam(params.orderId, "order"));
  if (!order) throw data("There is no such order.", { status: 404 });
  return { order, refundable: refundable(order.status) };
}

export async function action({ request, params, context }: Route.ActionArgs) {
  const { staff, sessionId } = signedInStaff(context);
  const orderId = idParam(params.orderId, "order");
  const values = formValues(await readForm(request), ["status"]);
  const expected = orderStatuses.find((s) => s === values.status);
  if (!expected) return data({ error: "This page is out of date. Reload it and try again." }, { status: 400 });
  const db = context.get(databaseContext);
  const result = await refundOrder(db, await onlinePayments(context.get(configContext)), { orderId, expected, staffId: staff.id });
  if (result.status === "missing") throw data("There is no such order.", { status: 404 });
  if (result.status === "conflict") {
    return data({ error: `Nothing was refunded: this order is ${orderStatusLabel(result.current).toLowerCase()} now.` }, { status: 409 });
  }
  if (result.status === "unavailable") {
    return data(
      { error: "Stripe could not be reached, so nothing was refunded. Try again in a moment (a second try never refunds twice)." },
      { status: 503, headers: { "Retry-After": "5" } },
    );
  }
  setNotice(
    db,
    sessionId,
    notice`Order ${code(result.number)} is refunded${result.restocked ? "; its items are back in stock" : ""}.`,
  );
  return redirect(href("/admin/orders/:orderId", { orderId: String(orderId) }));
}

export default function OrderRefund({ loaderData, actionData }: Route.ComponentProps) {
  const { order } = loaderData;
  const refunding = useIsPending();
  return (
    <section>
      <p className="mb-2 text-sm">
        <Link to={href("/admin/orders/:orderId", { orderId: String(order.id) })} className={linkClass}>
          ← Order <NoBreak>{order.number}</NoBreak>
        </Link>
      </p>
      <PageHeading title={<>Refund order <NoBreak>{order.number}</NoBreak></>} />
      <FormAlert message={actionData?.error} />
      {loaderData.refundable ? (
        <>
          <p className="text-stone-700">{refundConsequences(order)}</p>
          <Form method="post" className="mt-6">
            <input type="hidden" name="status" value={order.status} />
            <button type="submit" disabled={refunding} className={dangerButtonClass}>
              {refunding ? "Refunding…" : `Refund ${formatPrice(order.totalCents, order.currency)}`}
            </button>
          </Form>
        </>
      ) : (
        <p className="text-stone-700">{`Only a paid or shipped order can be refunded; this one is ${orderStatusLabel(order.status).toLowerCase()}.`}</p>
      )}
    </section>
  );
}

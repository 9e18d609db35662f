import { data, Form, href, Link, redirect } from "react-router";
import { formatPrice } from "#app/core/money.ts";
import { formValues, readForm } from "#app/core/forms.server.ts";
import { databaseContext } from "#app/db/connection.server.ts";
import { configContext } from "#app/core/env.server.ts";
import { code, notice } from "#app/core/notice.ts";
import { acceptFlaggedPayment, getOrderForStaff, paymentAcceptable } from "#app/staff/order-admin.server.ts";
import { requireOwnerToAcceptPayment, signedInStaff } from "#app/staff/staff-auth.server.ts";
import { setNotice } from "#app/staff/staff-session.server.ts";
import { orderStatusLabel } from "#app/store/order-status.ts";
import { buttonClass, FormAlert, linkClass, NoBreak, PageHeading } from "#app/ui/kit.tsx";
import { useIsPending } from "#app/ui/use-is-pending.ts";
import { idParam } from "#app/web/route-params.server.ts";
import type { Route } from "./+types/order-accept-payment";

// Stripe took another amount or currency than the order's, so the webhook
// flagged the order instead of marking it paid (docs/payments.md). After
// checking the payment in Stripe, the owner may accept it: a page of its own
// that says what will happen, with one button (a form post, so it works
// without JavaScript). Money is the owner's call, as refunds are.
export const middleware: Route.MiddlewareFunction[] = [requireOwnerToAcceptPayment];

export function meta({ loaderData }: Route.MetaArgs) {
  return [{ title: `Mark order ${loaderData?.order.number ?? ""} paid · Store admin` }];
}

export function loader({ params, context }: Route.LoaderArgs) {
  const order = getOrderForStaff(context.get(databaseContext), idParam(params.orderId, "order"));
  if (!order) throw data("There is no such order.", { status: 404 });
  return { order, acceptable: paymentAcceptable(order) };
}

export async function action({ request, params, context }: Route.ActionArgs) {
  const { staff, sessionId } = signedInStaff(context);
  const orderId = idParam(params.orderId, "order");
  // The issue the page showed: if Stripe's next event changed it, the owner
  // has not seen what they would accept.
  const { issue } = formValues(await readForm(request), ["issue"]);
  if (!issue) return data({ error: "This page is out of date. Reload it and try again." }, { status: 400 });
  const db = context.get(databaseContext);
  const result = acceptFlaggedPayment(db, { orderId, issue, staffId: staff.id, origin: context.get(configContext).PUBLIC_URL });
  if (result.status === "missing") throw data("There is no such order.", { status: 404 });
  if (result.status === "conflict") {
    return data(
      { error: `Nothing changed: this order is ${orderStatusLabel(result.current).toLowerCase()} now, or its payment note changed. The page shows it as it is.` },
      { status: 409 },
    );
  }
  setNotice(db, sessionId, notice`Order ${code(result.number)} is marked paid: it can be shipped.`);
  return redirect(href("/admin/orders/:orderId", { orderId: String(orderId) }));
}

export default function OrderAcceptPayment({ loaderData, actionData }: Route.ComponentProps) {
  const { order, acceptable } = loaderData;
  const accepting = useIsPending();
  return (
    <section>
      <p className="mb-2 text-sm">
        <Link to={href("/admin/orders/:orderId", { orderId: String(order.id) })} className={linkClass}>
          ← Order <NoBreak>{order.number}</NoBreak>
        </Link>
      </p>
      <PageHeading title={<>Mark order <NoBreak>{order.number}</NoBreak> paid</>} />
      <FormAlert message={actionData?.error} />
      {acceptable ? (
        <>
          <p role="note" className="rounded border border-red-700 bg-red-50 px-4 py-3 text-sm text-red-900">
            {order.paymentIssue}
          </p>
          <p className="mt-4 text-stone-700">
            {`Check the payment in Stripe's Dashboard first${order.paymentReference ? ` (session ${order.paymentReference})` : ""}. `}
            {`If you accept what Stripe took, the order (${formatPrice(order.totalCents, order.currency)}) becomes paid and can be shipped, and ${order.customerName} gets the confirmation email. `}
            Nothing is charged or refunded; if you do not accept it, refund the payment in Stripe instead.
          </p>
          <Form method="post" className="mt-6">
            <input type="hidden" name="issue" value={order.paymentIssue ?? ""} />
            <button type="submit" disabled={accepting} className={buttonClass}>
              {accepting ? "Marking paid…" : "Accept the payment and mark paid"}
            </button>
          </Form>
        </>
      ) : (
        <p className="text-stone-700">{`Only a Stripe order whose payment was flagged for a look can be marked paid here; this one is ${orderStatusLabel(order.status).toLowerCase()}${order.paymentIssue ? "" : " and has no payment note"}.`}</p>
      )}
    </section>
  );
}

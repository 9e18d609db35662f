import { Form, href, Link, redirect } from "react-router";
import { formFailure, formValues, readForm } from "#app/core/forms.server.ts";
import { buttonClass, FormAlert, formatDateTime, formatPrice, linkClass, PageHeading, StatusBadge } from "#app/ui/kit.tsx";
import { SalesChart } from "#app/ui/sales-chart.tsx";
import { useIsPending } from "#app/ui/use-is-pending.ts";
import { databaseContext } from "#app/db/connection.server.ts";
import { configContext, mailConfigured } from "#app/core/env.server.ts";
import { mailSummary, resend, resendSchema } from "#app/staff/mail-admin.server.ts";
import { storeSummary } from "#app/staff/order-admin.server.ts";
import { CHART_DAYS, dailySales, lastDays, LOW_STOCK_THRESHOLD, lowStock, recentOrders, topProducts } from "#app/staff/dashboard.server.ts";
import { storeDays } from "#app/core/store-days.ts";
import { signedInStaff } from "#app/staff/staff-auth.server.ts";
import { setNotice } from "#app/staff/staff-session.server.ts";
import type { Route } from "./+types/dashboard";

export function meta() {
  return [{ title: "Dashboard · Store admin" }];
}

export function loader({ context }: Route.LoaderArgs) {
  const db = context.get(databaseContext);
  const config = context.get(configContext);
  // Days in the store's time zone: "today" is the shop's today (app/core/store-days.ts).
  const days = storeDays(new Date(), config.STORE_TIME_ZONE, CHART_DAYS);
  const series = dailySales(db, days);
  return {
    ...storeSummary(db),
    sales: [
      { label: "Today", ...lastDays(series, 1) },
      { label: "Last 7 days", ...lastDays(series, 7) },
      { label: `Last ${CHART_DAYS} days`, ...lastDays(series, CHART_DAYS) },
    ],
    series,
    timeZone: config.STORE_TIME_ZONE,
    top: topProducts(db, days[0]!.start),
    recent: recentOrders(db),
    lowStock: lowStock(db),
    lowStockThreshold: LOW_STOCK_THRESHOLD,
    mail: mailSummary(db, config),
  };
}

// "Send again" for a failed email: a plain form post, so it works without JavaScript.
export async function action({ request, context }: Route.ActionArgs) {
  const { sessionId } = signedInStaff(context);
  const values = formValues(await readForm(request), ["intent", "messageId"]);
  const parsed = resendSchema.safeParse(values);
  if (!parsed.success) return formFailure(values, { form: parsed.error.issues[0]!.message });
  const db = context.get(databaseContext);
  const refused = resend(db, parsed.data.messageId);
  if (refused) return formFailure(values, { form: refused }, 409);
  // Production without SMTP_URL keeps every message queued: say so rather than promise it goes out.
  setNotice(
    db,
    sessionId,
    mailConfigured(context.get(configContext))
      ? "The message is queued and goes out in a moment."
      : "The message is queued. Email is not set up, so it waits until SMTP_URL is set.",
  );
  return redirect(href("/admin"));
}

export default function Dashboard({ loaderData, actionData }: Route.ComponentProps) {
  const { toShip, toPay, sales, series, timeZone, top, recent, lowStock, lowStockThreshold, mail } = loaderData;
  const resending = useIsPending({ fields: { intent: "resend" } });
  return (
    <section>
      <PageHeading title="Dashboard" />
      <section aria-labelledby="sales-heading" className="mb-6 rounded-lg border border-stone-200 bg-white p-5">
        <h2 id="sales-heading" className="text-lg font-medium">Sales</h2>
        <p className="mt-1 text-sm text-stone-700">
          {`A sale is an order that is paid or shipped, on the day it was placed; orders waiting for payment, cancelled or refunded are not counted. Days run midnight to midnight in ${timeZone}.`}
        </p>
        <dl className="mt-4 grid gap-3 sm:grid-cols-3">
          {sales.map((s) => (
            <div key={s.label} className="rounded border border-stone-200 p-3">
              <dt className="text-sm font-medium text-stone-700">{s.label}</dt>
              <dd className="mt-1 text-2xl font-semibold tabular-nums">{formatPrice(s.revenueCents)}</dd>
              <dd className="text-sm text-stone-700 tabular-nums">
                {`${s.orders} ${s.orders === 1 ? "order" : "orders"}, ${s.units} ${s.units === 1 ? "unit" : "units"}`}
              </dd>
            </div>
          ))}
        </dl>
        <h3 className="mt-6 font-medium">{`Revenue, last ${series.length} days`}</h3>
        <div className="mt-2">
          <SalesChart days={series} caption={`Sales by day, last ${series.length} days, newest first`} />
        </div>
      </section>
      <div className="grid gap-6 md:grid-cols-2">
        <div className="rounded-lg border border-stone-200 bg-white p-5">
          <h2 className="text-lg font-medium">Orders to ship</h2>
          <p className="mt-2 text-3xl font-semibold">{toShip}</p>
          <Link to={`${href("/admin/orders")}?status=paid`} className={`mt-3 inline-block text-sm ${linkClass}`}>
            See paid orders waiting to be shipped
          </Link>
          <p className="mt-3 text-sm text-stone-700">{`${toPay} more waiting for payment.`}</p>
        </div>
        <div className="rounded-lg border border-stone-200 bg-white p-5">
          <h2 className="text-lg font-medium">Recent orders</h2>
          {recent.length === 0 ? (
            <p className="mt-2 text-sm text-stone-700">No orders yet.</p>
          ) : (
            <ul className="mt-2 divide-y divide-stone-200 text-sm" aria-label="Recent orders">
              {recent.map((o) => (
                <li key={o.id} className="flex flex-wrap items-baseline justify-between gap-x-3 gap-y-1 py-2">
                  <span className="min-w-0">
                    <Link to={href("/admin/orders/:orderId", { orderId: String(o.id) })} className={`${linkClass} whitespace-nowrap`}>
                      {o.number}
                    </Link>{" "}
                    <span className="text-stone-700">{o.customerName}</span>
                    <span className="block text-xs text-stone-600">{formatDateTime(o.createdAt)}</span>
                  </span>
                  <span className="flex shrink-0 items-center gap-2 tabular-nums">
                    <StatusBadge status={o.status} />
                    {`${o.units} ${o.units === 1 ? "unit" : "units"}, ${formatPrice(o.totalCents)}`}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div className="rounded-lg border border-stone-200 bg-white p-5">
          <h2 className="text-lg font-medium">{`Best sellers, last ${series.length} days`}</h2>
          {top.length === 0 ? (
            <p className="mt-2 text-sm text-stone-700">No sales in these days.</p>
          ) : (
            <ol className="mt-2 divide-y divide-stone-200 text-sm" aria-label="Best sellers">
              {top.map((p) => (
                <li key={p.productId} className="flex flex-wrap items-baseline justify-between gap-x-3 py-2">
                  <Link to={href("/admin/products/:productId", { productId: String(p.productId) })} className={linkClass}>
                    {p.name}
                  </Link>
                  <span className="shrink-0 tabular-nums">{`${p.units} sold, ${formatPrice(p.revenueCents)}`}</span>
                </li>
              ))}
            </ol>
          )}
        </div>
        <div className="rounded-lg border border-stone-200 bg-white p-5">
          <h2 className="text-lg font-medium">{`Running low (${lowStockThreshold} or fewer)`}</h2>
          {lowStock.length === 0 ? (
            <p className="mt-2 text-sm text-stone-700">Every product on sale has more than {lowStockThreshold} in stock.</p>
          ) : (
            <ul className="mt-2 divide-y divide-stone-200 text-sm" aria-label="Running low">
              {lowStock.map((p) => (
                <li key={p.id} className="flex justify-between gap-3 py-2">
                  <Link to={href("/admin/products/:productId/stock", { productId: String(p.id) })} className={linkClass}>
                    {p.name}
                  </Link>
                  <span className="shrink-0">{p.stock === 0 ? "Sold out" : `${p.stock} left`}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div className="rounded-lg border border-stone-200 bg-white p-5 md:col-span-2">
          <h2 className="text-lg font-medium">Email to customers</h2>
          <FormAlert message={actionData?.errors.form} />
          {!mail.configured ? (
            <p role="status" className="mt-2 rounded border border-amber-700 bg-amber-50 px-3 py-2 text-sm text-amber-950">
              {`Email is not set up: ${mail.queued} ${mail.queued === 1 ? "message is" : "messages are"} waiting. ` +
                "Nothing is lost: set SMTP_URL and MAIL_FROM and restart the store to send them (docs/email.md)."}
            </p>
          ) : (
            <p className="mt-2 text-sm text-stone-700">
              {`${mail.queued} waiting to be sent${mail.oldestQueuedAt ? `, the oldest since ${formatDateTime(mail.oldestQueuedAt)}` : ""}.`}
              {mail.toFiles && " Development without SMTP_URL: each message is written to data/mail/ as an .eml file."}
            </p>
          )}
          {mail.failedList.length === 0 ? (
            <p className="mt-2 text-sm text-stone-700">No failed messages.</p>
          ) : (
            <>
              <h3 className="mt-4 font-medium">{`Failed (${mail.failed})`}</h3>
              <ul className="mt-2 divide-y divide-stone-200 text-sm">
                {mail.failedList.map((m) => (
                  <li key={m.id} className="flex flex-wrap items-center justify-between gap-3 py-2">
                    <span>
                      {m.orderId !== null ? (
                        <Link to={href("/admin/orders/:orderId", { orderId: String(m.orderId) })} className={linkClass}>
                          {`${m.label}, order ${m.orderNumber}`}
                        </Link>
                      ) : (
                        `${m.label} for ${m.staffEmail ?? "a removed account"}`
                      )}
                      <span className="block text-stone-600">{m.lastError ?? "No reason recorded."}</span>
                    </span>
                    <Form method="post">
                      <input type="hidden" name="intent" value="resend" />
                      <input type="hidden" name="messageId" value={m.id} />
                      <button type="submit" disabled={resending} className={buttonClass}>
                        Send again
                      </button>
                    </Form>
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      </div>
    </section>
  );
}

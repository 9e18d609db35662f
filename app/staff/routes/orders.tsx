import { Form, href, Link, useSearchParams } from "react-router";
import { buttonClass, formatDateTime, formatPrice, linkClass, PageHeading, StatusBadge } from "#app/ui/kit.tsx";
import { Pagination } from "#app/ui/pagination.tsx";
import { useIsPending } from "#app/ui/use-is-pending.ts";
import { databaseContext } from "#app/db/connection.server.ts";
import { listOrders, parseStatusFilter } from "#app/staff/order-admin.server.ts";
import type { Route } from "./+types/orders";
import { TableScroller } from "#app/ui/table-scroller.tsx";

export function meta({ loaderData }: Route.MetaArgs) {
  const page = loaderData && loaderData.page > 1 ? ` (page ${loaderData.page})` : "";
  return [{ title: `Orders${page} · Store admin` }];
}

export function loader({ request, context }: Route.LoaderArgs) {
  const params = new URL(request.url).searchParams;
  return listOrders(context.get(databaseContext), {
    status: parseStatusFilter(params.get("status")),
    page: Number.parseInt(params.get("page") ?? "1", 10),
  });
}

const filters = [
  { value: "all", label: "All orders" },
  { value: "placed", label: "To be paid by hand (placed)" },
  { value: "awaiting_payment", label: "Paying online (awaiting payment)" },
  { value: "paid", label: "To ship (paid)" },
  { value: "shipped", label: "Shipped" },
  { value: "cancelled", label: "Cancelled" },
  { value: "refunded", label: "Refunded" },
];

export default function Orders({ loaderData }: Route.ComponentProps) {
  const { items, total, page, pageCount, status } = loaderData;
  const [searchParams] = useSearchParams();
  const filtering = useIsPending({ formMethod: "GET" });
  return (
    <section>
      <PageHeading title="Orders" />
      <Form method="get" className="flex flex-wrap items-end gap-3">
        <div className="flex flex-col">
          <label htmlFor="status" className="text-sm font-medium">
            Status
          </label>
          <select id="status" name="status" defaultValue={status} key={status} className="mt-1 rounded border border-stone-400 bg-white px-3 py-2">
            {filters.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" disabled={filtering} className={buttonClass}>
          {filtering ? "Loading…" : "Show"}
        </button>
      </Form>
      <p className="mt-4 text-sm text-stone-600" role="status">
        {`${total} ${total === 1 ? "order" : "orders"}`}
      </p>
      {items.length > 0 && (
        <TableScroller label="Orders">
          <table className="w-full text-left text-sm">
            <thead className="border-b border-stone-300 text-stone-600">
              <tr>
                <th scope="col" className="py-2 pr-4 font-medium">Order</th>
                <th scope="col" className="py-2 pr-4 font-medium">Placed</th>
                <th scope="col" className="py-2 pr-4 font-medium">Customer</th>
                <th scope="col" className="py-2 pr-4 text-right font-medium">Items</th>
                <th scope="col" className="py-2 pr-4 text-right font-medium">Total</th>
                <th scope="col" className="py-2 font-medium">Status</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-stone-200">
              {items.map((order) => (
                <tr key={order.id}>
                  <td className="py-2 pr-4 font-mono">
                    <Link to={href("/admin/orders/:orderId", { orderId: String(order.id) })} className={linkClass}>
                      {order.number}
                    </Link>
                  </td>
                  <td className="py-2 pr-4 whitespace-nowrap">{formatDateTime(order.createdAt)}</td>
                  <td className="py-2 pr-4">{order.customerName}</td>
                  <td className="py-2 pr-4 text-right">{order.itemCount}</td>
                  <td className="py-2 pr-4 text-right">{formatPrice(order.totalCents, order.currency)}</td>
                  <td className="py-2">
                    <StatusBadge status={order.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroller>
      )}
      <Pagination page={page} pageCount={pageCount} searchParams={searchParams} />
    </section>
  );
}

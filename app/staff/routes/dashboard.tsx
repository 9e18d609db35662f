import { Link } from "react-router";
import { linkClass, PageHeading } from "#app/ui/kit.tsx";
import { database } from "#app/db/connection.server.ts";
import { storeSummary } from "#app/staff/order-admin.server.ts";
import type { Route } from "./+types/dashboard";

export function meta() {
  return [{ title: "Dashboard · Store admin" }];
}

export function loader() {
  return storeSummary(database());
}

export default function Dashboard({ loaderData }: Route.ComponentProps) {
  const { toShip, toPay, lowStock, lowStockThreshold } = loaderData;
  return (
    <section>
      <PageHeading title="Dashboard" />
      <div className="grid gap-6 md:grid-cols-2">
        <div className="rounded-lg border border-stone-200 bg-white p-5">
          <h2 className="text-lg font-medium">Orders to ship</h2>
          <p className="mt-2 text-3xl font-semibold">{toShip}</p>
          <Link to="/admin/orders?status=paid" className={`mt-3 inline-block text-sm ${linkClass}`}>
            See paid orders waiting to be shipped
          </Link>
          <p className="mt-3 text-sm text-stone-700">{`${toPay} more waiting for payment.`}</p>
        </div>
        <div className="rounded-lg border border-stone-200 bg-white p-5">
          <h2 className="text-lg font-medium">{`Running low (${lowStockThreshold} or fewer)`}</h2>
          {lowStock.length === 0 ? (
            <p className="mt-2 text-sm text-stone-700">Every product on sale has more than {lowStockThreshold} in stock.</p>
          ) : (
            <ul className="mt-2 divide-y divide-stone-200 text-sm">
              {lowStock.map((p) => (
                <li key={p.id} className="flex justify-between gap-3 py-2">
                  <Link to={`/admin/products/${p.id}/stock`} className={linkClass}>
                    {p.name}
                  </Link>
                  <span className="shrink-0">{p.stock === 0 ? "Sold out" : `${p.stock} left`}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </section>
  );
}

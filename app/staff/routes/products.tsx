import { Form, href, Link, useSearchParams } from "react-router";
import { buttonClass, formatPrice, linkClass, PageHeading, StatusBadge } from "#app/ui/kit.tsx";
import { Pagination } from "#app/ui/pagination.tsx";
import { ProductImage } from "#app/ui/product-image.tsx";
import { useIsPending } from "#app/ui/use-is-pending.ts";
import { databaseContext } from "#app/db/connection.server.ts";
import { MAX_QUERY_LENGTH } from "#app/core/limits.ts";
import { listAdminProducts, parseProductStatus } from "#app/staff/product-admin.server.ts";
import type { Route } from "./+types/products";
import { TableScroller } from "#app/ui/table-scroller.tsx";

export function meta({ loaderData }: Route.MetaArgs) {
  const page = loaderData && loaderData.page > 1 ? ` (page ${loaderData.page})` : "";
  return [{ title: `Products${page} · Store admin` }];
}

export function loader({ request, context }: Route.LoaderArgs) {
  const params = new URL(request.url).searchParams;
  return listAdminProducts(context.get(databaseContext), {
    query: params.get("q"),
    status: parseProductStatus(params.get("status")),
    page: Number.parseInt(params.get("page") ?? "1", 10),
  });
}

const statusOptions = [
  { value: "active", label: "On sale" },
  { value: "archived", label: "Archived" },
  { value: "all", label: "All" },
];

export default function Products({ loaderData }: Route.ComponentProps) {
  const { items, total, page, pageCount, query, status } = loaderData;
  const [searchParams] = useSearchParams();
  const searching = useIsPending({ formMethod: "GET" });
  return (
    <section>
      <PageHeading title="Products">
        <Link to={href("/admin/products/new")} className={buttonClass}>
          New product
        </Link>
      </PageHeading>
      <Form method="get" role="search" className="flex flex-wrap items-end gap-3">
        <div className="flex flex-col">
          <label htmlFor="q" className="text-sm font-medium">
            Name or SKU
          </label>
          <input
            id="q"
            name="q"
            type="search"
            defaultValue={query}
            key={query}
            maxLength={MAX_QUERY_LENGTH}
            className="mt-1 w-64 rounded border border-stone-400 bg-white px-3 py-2"
          />
        </div>
        <div className="flex flex-col">
          <label htmlFor="status" className="text-sm font-medium">
            Show
          </label>
          <select
            id="status"
            name="status"
            defaultValue={status}
            key={status}
            className="mt-1 rounded border border-stone-400 bg-white px-3 py-2"
          >
            {statusOptions.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" disabled={searching} className={buttonClass}>
          {searching ? "Searching…" : "Search"}
        </button>
      </Form>
      <p className="mt-4 text-sm text-stone-600" role="status">
        {`${total} ${total === 1 ? "product" : "products"}${query ? ` matching “${query}”` : ""}`}
      </p>
      {items.length > 0 && (
        <TableScroller label="Products">
          <table className="w-full text-left text-sm">
            <thead className="border-b border-stone-300 text-stone-600">
              <tr>
                <th scope="col" className="py-2 pr-4 font-medium">Product</th>
                <th scope="col" className="py-2 pr-4 font-medium">SKU</th>
                <th scope="col" className="py-2 pr-4 text-right font-medium">Price</th>
                <th scope="col" className="py-2 pr-4 text-right font-medium">Stock</th>
                <th scope="col" className="py-2 font-medium">Status</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-stone-200">
              {items.map((product) => (
                <tr key={product.id}>
                  <td className="py-2 pr-4">
                    <div className="flex items-center gap-3">
                      <ProductImage
                        src={product.image}
                        alt=""
                        sizes="40px"
                        width={40}
                        height={40}
                        loading="lazy"
                        className="size-10 rounded border border-stone-200 object-cover"
                      />
                      <Link to={href("/admin/products/:productId", { productId: String(product.id) })} className={linkClass}>
                        {product.name}
                      </Link>
                    </div>
                  </td>
                  <td className="py-2 pr-4 font-mono">{product.sku}</td>
                  <td className="py-2 pr-4 text-right">{formatPrice(product.priceCents)}</td>
                  <td className="py-2 pr-4 text-right">
                    <Link to={href("/admin/products/:productId/stock", { productId: String(product.id) })} className={linkClass} aria-label={`Stock of ${product.name}: ${product.stock}`}>
                      {product.stock}
                    </Link>
                  </td>
                  <td className="py-2">
                    <StatusBadge status={product.archived ? "archived" : "active"} label={product.archived ? "Archived" : "On sale"} />
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

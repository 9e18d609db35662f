import { useSearchParams } from "react-router";
import { Pagination } from "~/components/pagination";
import { ProductCard } from "~/components/product-card";
import { database } from "~/db/connection.server";
import { listProducts } from "~/lib/products.server";
import type { Route } from "./+types/catalog";

export function meta({ loaderData: data }: Route.MetaArgs) {
  const page = data && data.page > 1 ? ` (page ${data.page})` : "";
  return [
    { title: `Catalog${page} · Corner Store` },
    { name: "description", content: "Mugs, notebooks, planters, candles and lamps for home and desk." },
  ];
}

export function loader({ request }: Route.LoaderArgs) {
  const page = Number.parseInt(new URL(request.url).searchParams.get("page") ?? "1", 10);
  return listProducts(database(), Number.isFinite(page) ? page : 1);
}

export default function Catalog({ loaderData }: Route.ComponentProps) {
  const { items, total, page, pageCount } = loaderData;
  const [searchParams] = useSearchParams();
  return (
    <>
      <h1 className="text-2xl font-semibold tracking-tight">Catalog</h1>
      <p className="mt-1 text-sm text-stone-600">{`${total} products`}</p>
      {items.length === 0 ? (
        <p className="mt-10 text-stone-700">No products yet. Run `npm run db:seed` to add the demo catalog.</p>
      ) : (
        <ul className="mt-6 grid grid-cols-1 gap-6 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-4">
          {items.map((product) => (
            <ProductCard key={product.id} product={product} />
          ))}
        </ul>
      )}
      <Pagination page={page} pageCount={pageCount} searchParams={searchParams} />
    </>
  );
}

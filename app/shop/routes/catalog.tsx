import { Form, Link, useSearchParams } from "react-router";
import { Pagination } from "#app/ui/pagination.tsx";
import { ProductCard } from "#app/ui/product-card.tsx";
import { useIsPending } from "#app/ui/use-is-pending.ts";
import { database } from "#app/db/connection.server.ts";
import { MAX_QUERY_LENGTH } from "#app/core/limits.ts";
import { listProducts } from "#app/store/products.server.ts";
import { LISTS_TAG, sharedPageHeaders } from "#app/web/cache.server.ts";
import type { Route } from "./+types/catalog";

export function meta({ loaderData: data }: Route.MetaArgs) {
  const page = data && data.page > 1 ? ` (page ${data.page})` : "";
  const what = data?.query ? `Search: ${data.query}` : "Catalog";
  return [
    { title: `${what}${page} · Corner Store` },
    { name: "description", content: "Mugs, notebooks, planters, candles and lamps for home and desk." },
  ];
}

// The same page for every visitor without a cookie: the server's micro-cache
// shares it, shared caches its `.data` answer (app/web/cache.server.ts
// decides, per request). Any product change may change a list, so every list
// has the one tag.
export function headers() {
  return sharedPageHeaders(LISTS_TAG);
}

export function loader({ url }: Route.LoaderArgs) {
  const params = url.searchParams;
  return listProducts(database(), {
    page: Number.parseInt(params.get("page") ?? "1", 10),
    query: params.get("q"),
    sort: params.get("sort"),
  });
}

export default function Catalog({ loaderData }: Route.ComponentProps) {
  const { items, total, page, pageCount, query, sort } = loaderData;
  const [searchParams] = useSearchParams();
  const searching = useIsPending({ formMethod: "GET" });
  // The empty value is "the default order": best match for a search, newest
  // otherwise, so typing a new search is never stuck on an old sort.
  const choices = [
    { value: "", label: query ? "Best match" : "Newest" },
    ...(query ? [{ value: "newest", label: "Newest" }] : []),
    { value: "price-asc", label: "Price: low to high" },
    { value: "price-desc", label: "Price: high to low" },
  ];
  const selectedSort = sort === (query ? "relevance" : "newest") ? "" : sort;
  return (
    <>
      <div className="flex flex-col gap-4 md:flex-row md:items-end md:justify-between">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">{query ? "Search results" : "Catalog"}</h1>
          <p className="mt-1 text-sm text-stone-600" role="status">
            {query
              ? `${total} ${total === 1 ? "product matches" : "products match"} “${query}”`
              : `${total} products`}
          </p>
        </div>
        {/* A GET form: the query, sort and page live in the URL, so results can be shared and bookmarked. */}
        <Form method="get" role="search" className="flex flex-wrap items-end gap-2">
          <div className="flex flex-col">
            <label htmlFor="q" className="text-sm font-medium">
              Search products
            </label>
            <input
              id="q"
              name="q"
              type="search"
              defaultValue={query}
              key={query}
              maxLength={MAX_QUERY_LENGTH}
              placeholder="mug, notebook, candle…"
              className="mt-1 w-56 rounded border border-stone-400 bg-white px-3 py-2"
            />
          </div>
          <div className="flex flex-col">
            <label htmlFor="sort" className="text-sm font-medium">
              Sort by
            </label>
            <select
              id="sort"
              name="sort"
              defaultValue={selectedSort}
              key={selectedSort}
              className="mt-1 rounded border border-stone-400 bg-white px-3 py-2"
            >
              {choices.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </div>
          <button
            type="submit"
            disabled={searching}
            className="rounded bg-stone-900 px-4 py-2 font-medium text-white hover:bg-stone-700 disabled:opacity-60"
          >
            {searching ? "Searching…" : "Search"}
          </button>
        </Form>
      </div>
      {items.length === 0 ? (
        <div className="mt-10 text-stone-700">
          {query ? (
            <>
              <p>{`No products match “${query}”. Try fewer or different words.`}</p>
              <Link to="/" className="mt-4 inline-block underline">
                Show all products
              </Link>
            </>
          ) : (
            <p>No products yet. Run `npm run db:seed` to add the demo catalog.</p>
          )}
        </div>
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

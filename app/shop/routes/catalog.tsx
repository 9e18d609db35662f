import { Form, href, Link, useSearchParams, useSubmit } from "react-router";
import { useHydrated } from "#app/ui/use-hydrated.ts";
import { Pagination } from "#app/ui/pagination.tsx";
import { ProductCard } from "#app/ui/product-card.tsx";
import { busyButton, useIsPending } from "#app/ui/use-is-pending.ts";
import { databaseContext } from "#app/db/connection.server.ts";
import { MAX_QUERY_LENGTH } from "#app/core/limits.ts";
import { listProducts } from "#app/store/products.server.ts";
import { sharedPageHeaders } from "#app/web/cache.server.ts";
import { LISTS_TAG } from "#app/store/catalog-changes.server.ts";
import type { RouteHandle } from "#app/web/request-route.server.ts";
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
export const handle: RouteHandle = { shareable: true };

export function headers() {
  return sharedPageHeaders(LISTS_TAG);
}

export function loader({ url, context }: Route.LoaderArgs) {
  const params = url.searchParams;
  return listProducts(context.get(databaseContext), {
    page: Number.parseInt(params.get("page") ?? "1", 10),
    query: params.get("q"),
    sort: params.get("sort"),
  });
}

export default function Catalog({ loaderData }: Route.ComponentProps) {
  const { items, total, page, pageCount, query, sort } = loaderData;
  const [searchParams] = useSearchParams();
  const searching = useIsPending({ formMethod: "GET" });
  const submit = useSubmit();
  // The empty value is "the default order": best match for a search, newest
  // otherwise, so typing a new search is never stuck on an old sort.
  const choices = [
    { value: "", label: query ? "Best match" : "Newest" },
    ...(query ? [{ value: "newest", label: "Newest" }] : []),
    { value: "price-asc", label: "Price: low to high" },
    { value: "price-desc", label: "Price: high to low" },
  ];
  const selectedSort = sort === (query ? "relevance" : "newest") ? "" : sort;
  // The heading says what this page is: the catalog or a search, and which page of it.
  const heading = `${query ? `Results for “${query}”` : "Catalog"}${page > 1 ? `, page ${page}` : ""}`;
  return (
    <>
      <div className="flex flex-col gap-3 md:flex-row md:items-end md:justify-between md:gap-4">
        <div>
          <h1 className="text-xl font-semibold tracking-tight sm:text-2xl">{heading}</h1>
          <p className="mt-1 text-sm text-stone-600" role="status">
            {query
              ? `${total} ${total === 1 ? "product matches" : "products match"} “${query}”`
              : `${total} products`}
          </p>
        </div>
        {/* A GET form: the query, sort and page live in the URL, so results can be shared and bookmarked.
            On a phone it is two short rows (search and its button; sort), so the first products
            still show on the first screen. */}
        <Form method="get" role="search" className="grid grid-cols-[1fr_auto] items-end gap-x-2 gap-y-2 md:flex md:flex-wrap">
          <div className="flex min-w-0 flex-col">
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
              placeholder="Mugs, candles…"
              className="mt-1 w-full rounded border border-stone-400 bg-white px-3 py-2 md:w-56"
            />
          </div>
          <button
            type="submit"
            {...busyButton(searching)}
            className="rounded bg-stone-900 px-4 py-2 font-medium text-white hover:bg-stone-700 aria-disabled:opacity-60 md:order-last"
          >
            {searching ? "Searching…" : "Search"}
          </button>
          <div className="col-span-2 flex flex-wrap items-center gap-2 md:flex-col md:flex-nowrap md:items-start md:gap-0">
            <label htmlFor="sort" className="text-sm font-medium">
              Sort by
            </label>
            {/* With JavaScript a new choice applies at once; without it, the Sort button does.
                The two share a row from 768 px too: with the button under the select, the
                row was 35 px taller until the scripts removed it, and the products jumped up. */}
            <div className="flex max-w-full flex-wrap items-center gap-2 md:mt-1">
              <select
                id="sort"
                name="sort"
                defaultValue={selectedSort}
                key={selectedSort}
                onChange={(event) => submit(event.currentTarget.form)}
                className="max-w-full rounded border border-stone-400 bg-white px-3 py-2"
              >
                {choices.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
              <SortButton />
            </div>
          </div>
        </Form>
      </div>
      {items.length === 0 ? (
        <div className="mt-10 text-stone-700">
          {query ? (
            <>
              <p>{`No products match “${query}”. Try fewer or different words.`}</p>
              <Link to={href("/")} className="mt-4 inline-block underline">
                Show all products
              </Link>
            </>
          ) : (
            <p>No products yet. Run `npm run db:seed` to add the demo catalog.</p>
          )}
        </div>
      ) : (
        <ul className="mt-5 grid grid-cols-2 gap-3 sm:gap-6 lg:grid-cols-3 xl:grid-cols-4">
          {items.map((product, index) => (
            <ProductCard key={product.id} product={product} first={index < 2 ? "high" : index < 4 ? "eager" : undefined} />
          ))}
        </ul>
      )}
      <Pagination page={page} pageCount={pageCount} searchParams={searchParams} />
    </>
  );
}

/**
 * The Sort button, for a page without JavaScript (or not hydrated yet). Its
 * own component, so that when hydration flips useHydrated React renders
 * again only this button, not the whole catalog with every card: that second
 * render is one unbroken task at the end of hydration (docs/benchmarks.md#lighthouse).
 */
function SortButton() {
  const hydrated = useHydrated();
  if (hydrated) return null;
  return (
    <button type="submit" className="rounded border border-stone-400 bg-white px-3 py-2 text-sm font-medium hover:bg-stone-100">
      Sort
    </button>
  );
}

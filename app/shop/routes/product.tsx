import { useEffect, useRef } from "react";
import { data, Form, href, Link, redirect } from "react-router";
import { NoBreak } from "#app/ui/kit.tsx";
import { ProductImage } from "#app/ui/product-image.tsx";
import { busyButton, useIsPending } from "#app/ui/use-is-pending.ts";
import { databaseContext } from "#app/db/connection.server.ts";
import { configContext } from "#app/core/env.server.ts";
import { addToCart, cartLineSchema, orderLimits } from "#app/shop/cart.server.ts";
import { formFailure, formValues, readForm } from "#app/core/forms.server.ts";
import { formatPrice } from "#app/core/money.ts";
import { getProductBySlug } from "#app/store/products.server.ts";
import { getSession, readCart, writeCart } from "#app/web/session.server.ts";
import { CACHE_TAG, sharedPageHeaders } from "#app/web/cache.server.ts";
import { productTag } from "#app/store/catalog-changes.server.ts";
import type { RouteHandle } from "#app/web/request-route.server.ts";
import type { Route } from "./+types/product";

export function meta({ loaderData: data }: Route.MetaArgs) {
  if (!data) return [{ title: "Product not found · Corner Store" }];
  return [
    { title: `${data.product.name} · Corner Store` },
    { name: "description", content: data.product.description },
  ];
}

// The same page for every visitor without a cookie: the server's micro-cache
// shares it, shared caches its `.data` answer (app/web/cache.server.ts
// decides, per request). Tagged with the product it shows, which only the
// loader knows.
export const handle: RouteHandle = { shareable: true };

export function headers({ loaderHeaders }: Route.HeadersArgs) {
  return sharedPageHeaders(loaderHeaders.get(CACHE_TAG));
}

export function loader({ params, context }: Route.LoaderArgs) {
  const product = getProductBySlug(context.get(databaseContext), params.slug);
  if (!product) throw data("No such product", { status: 404 });
  return data({ product, maxPerOrder: orderLimits(context.get(configContext)).perProduct }, { headers: { [CACHE_TAG]: productTag(product.id) } });
}

// "Add to cart". The product id comes from the form (a hidden field), so a
// tampered id is checked like any other input: it must exist in the database.
export async function action({ request, params, context }: Route.ActionArgs) {
  const values = formValues(await readForm(request), ["productId", "quantity"]);
  const limits = orderLimits(context.get(configContext));
  const parsed = cartLineSchema(limits).safeParse(values);
  if (!parsed.success) return formFailure(values, parsed.error);

  const session = getSession(context);
  const change = addToCart(context.get(databaseContext), readCart(session), parsed.data, limits);
  if (!change.ok) return formFailure(values, { quantity: change.error });

  writeCart(session, change.cart);
  session.flash("notice", `Added ${parsed.data.quantity} × ${change.name} to your cart.`);
  // Redirect after the change: the next page is rendered with the new cookie
  // (so the cart count is right even without JavaScript), and reloading it
  // does not post the form again.
  return redirect(href("/products/:slug", params));
}

/** The image's width: half the 1152 px page from 768 px (two columns, 32 px gap), the whole width below. */
const IMAGE_SIZES = "(min-width: 1152px) 544px, (min-width: 768px) calc((100vw - 64px) / 2), calc(100vw - 32px)";

export default function Product({ loaderData, actionData }: Route.ComponentProps) {
  const { product } = loaderData;
  const adding = useIsPending();
  const quantityError = actionData?.errors.productId ?? actionData?.errors.quantity;
  const quantityRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (quantityError) quantityRef.current?.focus();
  }, [actionData, quantityError]);

  return (
    <article className="grid gap-8 md:grid-cols-2">
      <ProductImage
        src={product.image}
        alt={product.name}
        sizes={IMAGE_SIZES}
        width={400}
        height={400}
        // The page's largest paint: ahead of the scripts in the queue.
        fetchPriority="high"
        className="aspect-square w-full rounded-lg border border-stone-200 bg-stone-100 object-cover"
      />
      <div>
        <Link to={href("/")} className="text-sm text-stone-600 hover:underline">
          ← Back to the catalog
        </Link>
        <h1 className="mt-2 text-3xl font-semibold tracking-tight">{product.name}</h1>
        <p className="mt-2 text-2xl">{formatPrice(product.priceCents)}</p>
        {/* Empty only between phase 1 of the SKU migration and its backfill. */}
        {product.sku && (
          <p className="mt-1 text-sm text-stone-600">
            {/* A code: a line that wraps breaks before it, never at its dash (app/ui/kit.tsx). */}
            SKU <NoBreak className="font-mono">{product.sku}</NoBreak>
          </p>
        )}
        <p className="mt-6 leading-relaxed text-stone-700">{product.description}</p>
        <p className="mt-6 text-sm">
          {product.archivedAt ? (
            <span className="font-medium text-stone-700">No longer sold</span>
          ) : product.stock > 0 ? (
            <span className="text-green-800">In stock ({product.stock} left)</span>
          ) : (
            <span className="font-medium text-red-700">Sold out</span>
          )}
        </p>
        {product.stock > 0 && !product.archivedAt && (
          <Form method="post" noValidate className="mt-6">
            <input type="hidden" name="productId" value={product.id} />
            <label htmlFor="quantity" className="block text-sm font-medium">
              Quantity
            </label>
            <div className="mt-1 flex flex-wrap items-start gap-3">
              <input
                ref={quantityRef}
                id="quantity"
                name="quantity"
                type="number"
                inputMode="numeric"
                min={1}
                max={Math.min(product.stock, loaderData.maxPerOrder)}
                step={1}
                required
                defaultValue={actionData?.values.quantity ?? "1"}
                aria-invalid={quantityError ? true : undefined}
                aria-describedby={quantityError ? "quantity-error" : undefined}
                className="w-24 rounded border border-stone-400 bg-white px-3 py-2 aria-invalid:border-red-700"
              />
              <button
                type="submit"
                {...busyButton(adding)}
                className="rounded bg-stone-900 px-5 py-2 font-medium text-white hover:bg-stone-700 aria-disabled:opacity-60"
              >
                {adding ? "Adding…" : "Add to cart"}
              </button>
            </div>
            {quantityError && (
              <p id="quantity-error" className="mt-2 text-sm text-red-700">
                {quantityError}
              </p>
            )}
          </Form>
        )}
      </div>
    </article>
  );
}

import { data, Link } from "react-router";
import { database } from "~/db/connection.server";
import { formatPrice } from "~/lib/money";
import { getProductBySlug } from "~/lib/products.server";
import type { Route } from "./+types/product";

export function meta({ loaderData: data }: Route.MetaArgs) {
  if (!data) return [{ title: "Product not found · Corner Store" }];
  return [
    { title: `${data.product.name} · Corner Store` },
    { name: "description", content: data.product.description },
  ];
}

export function loader({ params }: Route.LoaderArgs) {
  const product = getProductBySlug(database(), params.slug);
  if (!product) throw data("No such product", { status: 404 });
  return { product };
}

export default function Product({ loaderData }: Route.ComponentProps) {
  const { product } = loaderData;
  return (
    <article className="grid gap-8 md:grid-cols-2">
      <img
        src={product.image}
        alt={product.name}
        width={400}
        height={400}
        className="aspect-square w-full rounded-lg border border-stone-200 bg-stone-100 object-cover"
      />
      <div>
        <Link to="/" className="text-sm text-stone-600 hover:underline">
          ← Back to the catalog
        </Link>
        <h1 className="mt-2 text-3xl font-semibold tracking-tight">{product.name}</h1>
        <p className="mt-2 text-2xl">{formatPrice(product.priceCents)}</p>
        {/* Empty only between phase 1 of the SKU migration and its backfill. */}
        {product.sku && (
          <p className="mt-1 text-sm text-stone-600">
            SKU <span className="font-mono">{product.sku}</span>
          </p>
        )}
        <p className="mt-6 leading-relaxed text-stone-700">{product.description}</p>
        <p className="mt-6 text-sm">
          {product.stock > 0 ? (
            <span className="text-green-800">In stock ({product.stock} left)</span>
          ) : (
            <span className="font-medium text-red-700">Sold out</span>
          )}
        </p>
      </div>
    </article>
  );
}

import { Link } from "react-router";
import { formatPrice } from "#app/lib/money.ts";
import type { CatalogItem } from "#app/lib/products.server.ts";

export function ProductCard({ product }: { product: CatalogItem }) {
  return (
    <li className="group overflow-hidden rounded-lg border border-stone-200 bg-white shadow-sm transition hover:shadow-md">
      <Link to={`/products/${product.slug}`} className="block focus-visible:outline-2 focus-visible:outline-amber-600">
        <img
          src={product.image}
          alt=""
          width={400}
          height={400}
          loading="lazy"
          className="aspect-square w-full bg-stone-100 object-cover"
        />
        <div className="flex items-baseline justify-between gap-2 p-4">
          <h2 className="font-medium group-hover:underline">{product.name}</h2>
          <p className="shrink-0 text-stone-800">{formatPrice(product.priceCents)}</p>
        </div>
        {product.stock === 0 && <p className="px-4 pb-4 text-sm font-medium text-red-700">Sold out</p>}
      </Link>
    </li>
  );
}

import { Link } from "react-router";
import { ProductImage } from "#app/ui/product-image.tsx";
import { formatPrice } from "#app/core/money.ts";
import type { CatalogItem } from "#app/store/products.server.ts";

/**
 * How wide a card's image is drawn, for the catalog's grid (app/shop/routes/catalog.tsx:
 * 1 column, 2 from 640 px, 3 from 1024 px, 4 from 1280 px, 24 px gaps, in a
 * 1152 px page with 16 px margins). Change both together.
 */
const CARD_IMAGE_SIZES =
  "(min-width: 1280px) 262px, (min-width: 1024px) calc((100vw - 80px) / 3), (min-width: 640px) calc((100vw - 56px) / 2), calc(100vw - 32px)";

export function ProductCard({ product }: { product: CatalogItem }) {
  return (
    <li className="group overflow-hidden rounded-lg border border-stone-200 bg-white shadow-sm transition hover:shadow-md">
      <Link to={`/products/${product.slug}`} className="block focus-visible:outline-2 focus-visible:outline-amber-600">
        <ProductImage
          src={product.image}
          alt=""
          sizes={CARD_IMAGE_SIZES}
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

import { href, Link } from "react-router";
import { ProductImage } from "#app/ui/product-image.tsx";
import { formatPrice } from "#app/core/money.ts";
import type { CatalogItem } from "#app/store/products.server.ts";

/**
 * How wide a card's image is drawn, for the catalog's grid (app/shop/routes/catalog.tsx:
 * 2 columns with a 12 px gap on phones, 24 px gaps from 640 px, 3 columns
 * from 1024 px, 4 from 1280 px, in a 1152 px page with 16 px margins).
 * Change both together.
 */
const CARD_IMAGE_SIZES =
  "(min-width: 1280px) 262px, (min-width: 1024px) calc((100vw - 80px) / 3), (min-width: 640px) calc((100vw - 56px) / 2), calc((100vw - 44px) / 2)";

/**
 * `first`: the card is in the catalog's first row (2 cards on a phone, up to 4
 * on a wide screen), whose pictures are the page's largest paint: they load
 * at once, not lazily after layout, and the phone row's two ask for high
 * priority, ahead of the scripts (docs/benchmarks.md#lighthouse-benchlighthouse).
 */
export function ProductCard({ product, first }: { product: CatalogItem; first?: "high" | "eager" }) {
  return (
    // The focus ring is drawn around the card (the li), not the link: the
    // card's overflow-hidden would clip the link's own outline.
    <li className="group overflow-hidden rounded-lg border border-stone-200 bg-white shadow-sm transition hover:shadow-md has-focus-visible:outline-3 has-focus-visible:outline-offset-2 has-focus-visible:outline-blue-700">
      <Link to={href("/products/:slug", { slug: product.slug })} className="block focus-visible:outline-none">
        <ProductImage
          src={product.image}
          alt=""
          sizes={CARD_IMAGE_SIZES}
          width={400}
          height={400}
          loading={first ? "eager" : "lazy"}
          fetchPriority={first === "high" ? "high" : undefined}
          className="aspect-square w-full bg-stone-100 object-cover"
        />
        <div className="flex flex-col gap-1 p-3 sm:flex-row sm:items-baseline sm:justify-between sm:gap-2 sm:p-4">
          <h2 className="font-medium group-hover:underline">{product.name}</h2>
          <p className="shrink-0 text-stone-800">{formatPrice(product.priceCents)}</p>
        </div>
        {product.stock === 0 && <p className="px-3 pb-3 text-sm sm:px-4 sm:pb-4 font-medium text-red-700">Sold out</p>}
      </Link>
    </li>
  );
}

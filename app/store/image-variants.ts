// The sizes, formats and names of every uploaded image's variants
// (docs/decisions/027-image-variants.md), in one module so the writer, the
// pages and `images prune` agree on every file name. The product row keeps
// the largest JPEG's address, whose name carries the size the others follow from.

/**
 * The most pixels an upload may have (checked in images.server.ts, said on the
 * form): 40 megapixels, more than a phone's usual photo (12–24), far less
 * than a decompression bomb.
 */
export const MAX_IMAGE_PIXELS = 40_000_000;

export const VARIANT_WIDTHS = [400, 800, 1200] as const;
export const LARGEST_WIDTH = VARIANT_WIDTHS[VARIANT_WIDTHS.length - 1]!;
export const VARIANT_FORMATS = ["webp", "jpg"] as const;
export type VariantFormat = (typeof VARIANT_FORMATS)[number];

export const PRODUCT_UPLOADS_URL = "/uploads/products";

/** The address a product row keeps: its largest JPEG. */
const MAIN_VARIANT = /^\/uploads\/products\/([0-9a-f]{64})-([1-9]\d{0,4})x([1-9]\d{0,4})\.jpg$/;

export type Size = { width: number; height: number };
export type Variant = Size & { format: VariantFormat; name: string; url: string };

/** The size of the largest variant for a picture of `size` (already turned upright). */
export function largestSize(size: Size): Size {
  const width = Math.min(size.width, LARGEST_WIDTH);
  return { width, height: scaledHeight(size, width) };
}

function scaledHeight(size: Size, width: number) {
  return Math.max(1, Math.round((size.height * width) / size.width));
}

/** Every variant of a picture whose largest variant is `largest`, smallest first, WebP before JPEG. */
export function variantsOf(hash: string, largest: Size): Variant[] {
  const widths = [...VARIANT_WIDTHS.filter((w) => w < largest.width), largest.width];
  return widths.flatMap((width) => {
    const height = width === largest.width ? largest.height : scaledHeight(largest, width);
    return VARIANT_FORMATS.map((format) => {
      const name = `${hash}-${width}x${height}.${format}`;
      return { width, height, format, name, url: `${PRODUCT_UPLOADS_URL}/${name}` };
    });
  });
}

/**
 * The variants behind a product's image address, or undefined for any other
 * address: the demo pictures, the placeholder, and uploads stored as sent
 * before variants existed (served as they are until `images variants` runs).
 */
export function variantsOfUrl(url: string): Variant[] | undefined {
  const match = MAIN_VARIANT.exec(url);
  if (!match) return undefined;
  const largest = { width: Number(match[2]), height: Number(match[3]) };
  if (largest.width > LARGEST_WIDTH) return undefined;
  return variantsOf(match[1]!, largest);
}

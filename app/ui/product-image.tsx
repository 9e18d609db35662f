import { variantsOfUrl } from "#app/store/image-variants.ts";

/**
 * A product's picture. An upload has variants (app/store/image-variants.ts):
 * the browser picks the smallest width that fills `sizes` on its screen, as
 * WebP, or as JPEG if it cannot show WebP. The demo pictures (SVG), the
 * placeholder and uploads from before variants existed are one file.
 *
 * `sizes` says how wide the image is drawn at each screen width; it must
 * follow the layout around it. `width` and `height` reserve the space before
 * the file arrives (no layout shift): the picture's own for an upload, the
 * given ones otherwise.
 */
export function ProductImage({
  src,
  alt,
  sizes,
  width,
  height,
  className,
  loading,
  fetchPriority,
}: {
  src: string;
  alt: string;
  sizes: string;
  width: number;
  height: number;
  className?: string;
  loading?: "lazy" | "eager";
  fetchPriority?: "high" | "low" | "auto";
}) {
  const variants = variantsOfUrl(src);
  if (!variants) return <img src={src} alt={alt} width={width} height={height} loading={loading} fetchPriority={fetchPriority} className={className} />;
  const srcSet = (format: "webp" | "jpg") =>
    variants
      .filter((v) => v.format === format)
      .map((v) => `${v.url} ${v.width}w`)
      .join(", ");
  const largest = variants.at(-1)!;
  return (
    // A block the size of its image, where the <img> would have been. Not
    // display: contents: the <source> would then take a place in a grid.
    <picture className="block">
      <source type="image/webp" srcSet={srcSet("webp")} sizes={sizes} />
      <img
        src={largest.url}
        srcSet={srcSet("jpg")}
        sizes={sizes}
        alt={alt}
        width={largest.width}
        height={largest.height}
        loading={loading}
        fetchPriority={fetchPriority}
        className={className}
      />
    </picture>
  );
}

// Product images uploaded by staff. Nothing is stored as sent: an upload is
// checked (PNG, JPEG or WebP by its first bytes; its pixel count read from
// the header before anything is decoded, so a bomb is refused at once), then
// decoded and re-encoded with sharp from pixels alone, so no metadata (EXIF
// with GPS) and no polyglot survives. Files are written under a temporary
// name and renamed, named by the upload's SHA-256, so a name never points at
// other bytes. Why and how: docs/decisions/027-image-variants.md.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dataPaths } from "#app/core/paths.server.ts";
import type { Metadata, SharpConstructor } from "sharp";
import {
  largestSize,
  MAX_IMAGE_PIXELS,
  PRODUCT_UPLOADS_URL,
  variantsOf,
  variantsOfUrl,
  type Variant,
} from "#app/store/image-variants.ts";

export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
export const UPLOADS_URL = "/uploads";
/** What new products show until an image is uploaded. */
export const PLACEHOLDER_IMAGE = "/images/products/placeholder.svg";

let library: Promise<SharpConstructor> | undefined;

/**
 * sharp, loaded on first use: its native library takes about as long to load
 * as the whole store takes to start (0.2–0.4 s), and only uploads need it.
 */
function imageLibrary() {
  library ??= import("sharp").then(({ default: sharp }) => {
    // libvips reads dozens of formats, some through large parsers (SVG, PDF,
    // TIFF, HEIF…). Only the three loaders we accept, from memory, may run.
    sharp.block({ operation: ["VipsForeignLoad"] });
    sharp.unblock({ operation: ["VipsForeignLoadPngBuffer", "VipsForeignLoadJpegBuffer", "VipsForeignLoadWebpBuffer"] });
    // Every upload is a new picture: libvips' operation cache would only hold memory.
    sharp.cache(false);
    return sharp;
  });
  return library;
}

export type ImageType = "png" | "jpg" | "webp";
/**
 * What a stored file's name looks like: only these are ever served. A
 * variant, or an upload stored as sent before variants existed (kept
 * working until `images variants` replaces it).
 */
export const STORED_IMAGE = /^\/products\/[0-9a-f]{64}(?:\.(?:png|jpg|webp)|-[1-9]\d{0,4}x[1-9]\d{0,4}\.(?:webp|jpg))$/;

/** The image type from the file's first bytes, or null if it is none of ours. */
export function sniffImageType(bytes: Uint8Array): ImageType | null {
  const starts = (...signature: number[]) => signature.every((b, i) => bytes[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "png";
  if (starts(0xff, 0xd8, 0xff)) return "jpg";
  // "RIFF" <size> "WEBP"
  if (starts(0x52, 0x49, 0x46, 0x46) && [0x57, 0x45, 0x42, 0x50].every((b, i) => bytes[8 + i] === b)) return "webp";
  return null;
}

export function uploadsDirectory(databasePath: string) {
  return dataPaths(databasePath).uploads;
}

function productsFolder(databasePath: string) {
  return dataPaths(databasePath).productImages;
}

/** What the form says of an upload of `bytes` over MAX_IMAGE_BYTES ("5.0 MB" would read as allowed). */
export function imageTooLargeMessage(bytes: number) {
  const most = MAX_IMAGE_BYTES / 1024 / 1024;
  const size = (bytes / 1024 / 1024).toFixed(1);
  return `The image is ${Number(size) > most ? `${size} MB` : `just over ${most} MB`}; the most is ${most} MB. Make it smaller and upload it again.`;
}

export type StoreResult = { ok: true; url: string } | { ok: false; error: string };

const UNREADABLE = "This image could not be read. Save it again as PNG, JPEG or WebP and upload that.";
const number = (n: number) => n.toLocaleString("en-US");

/**
 * Checks an upload and stores its variants; returns the address the product
 * keeps (its largest JPEG), or a message for the form. A refused image
 * writes nothing. Uploading stored bytes again encodes nothing: it touches
 * the files, so `images prune` counts them as new.
 */
export async function storeImage(databasePath: string, bytes: Uint8Array): Promise<StoreResult> {
  if (bytes.byteLength > MAX_IMAGE_BYTES) {
    return { ok: false, error: imageTooLargeMessage(bytes.byteLength) };
  }
  if (!sniffImageType(bytes)) return { ok: false, error: "Upload a PNG, JPEG or WebP image. (SVG and other files are not accepted.)" };

  // The header only: size and orientation, nothing decoded yet (so no pixel
  // limit here: it would refuse a bomb without saying how big it claims to be).
  const sharp = await imageLibrary();
  let header: Metadata;
  try {
    header = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    return { ok: false, error: UNREADABLE };
  }
  if (header.width * header.height > MAX_IMAGE_PIXELS) {
    return {
      ok: false,
      error:
        `The image is ${number(header.width)} × ${number(header.height)} pixels; the most is ` +
        `${MAX_IMAGE_PIXELS / 1_000_000} megapixels. Make it smaller and upload it again.`,
    };
  }

  const hash = createHash("sha256").update(bytes).digest("hex");
  const variants = variantsOf(hash, largestSize(header.autoOrient));
  const folder = productsFolder(databasePath);
  const missing = variants.filter((v) => !existsSync(join(folder, v.name)));
  let encoded;
  try {
    encoded = missing.length > 0 ? await encodeVariants(sharp, bytes, missing, variants.at(-1)!) : [];
  } catch {
    return { ok: false, error: UNREADABLE };
  }
  mkdirSync(folder, { recursive: true });
  for (const variant of encoded) {
    const target = join(folder, variant.name);
    const temporary = `${target}.${process.pid}.tmp`;
    writeFileSync(temporary, variant.bytes);
    renameSync(temporary, target);
  }
  // Already stored: young again, so `images prune` leaves it for its grace
  // period, like a new file (the form holding it may not be saved yet).
  const now = new Date();
  for (const variant of variants) if (!missing.includes(variant)) utimesSync(join(folder, variant.name), now, now);
  return { ok: true, url: variants.at(-1)!.url };
}

/**
 * Decodes once, upright and at the largest variant's size, as plain sRGB
 * pixels; then encodes each variant from those pixels. Throws if libvips
 * cannot decode the file (truncated or corrupt data, more pixels than
 * declared).
 */
async function encodeVariants(sharp: SharpConstructor, bytes: Uint8Array, variants: Variant[], largest: Variant) {
  const { data, info } = await sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: "error" })
    .autoOrient()
    .resize(largest.width, largest.height, { fit: "fill" })
    .toColourspace("srgb")
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  const pixels = { raw: { width: info.width, height: info.height, channels: info.channels } };
  return Promise.all(
    variants.map(async (variant) => {
      const resized = sharp(data, pixels).resize(variant.width, variant.height, { fit: "fill" });
      // WebP at effort 2 of 6: a quarter of the default's time (4) for files
      // about 5 % larger (npm run bench:images). JPEG has no transparency:
      // transparent pixels become white, like the page.
      const output =
        variant.format === "webp"
          ? resized.webp({ quality: 80, effort: 2 })
          : resized.flatten({ background: "#ffffff" }).jpeg({ quality: 80 });
      return { ...variant, bytes: await output.toBuffer() };
    }),
  );
}

/** Whether every variant behind a product image address is on disk. */
export function variantsStored(databasePath: string, url: string) {
  const variants = variantsOfUrl(url);
  return variants !== undefined && variants.every((v) => existsSync(join(productsFolder(databasePath), v.name)));
}

/** The address of an upload stored as sent, before variants existed (`/uploads/products/<sha256>.png`). */
export const UNPROCESSED_UPLOAD = /^\/uploads\/products\/[0-9a-f]{64}\.(?:png|jpg|webp)$/;

/** A stored image's file name, or a file left half-written by a crash. */
const STORED_FILE = /^[0-9a-f]{64}(?:\.(?:png|jpg|webp)|-[1-9]\d{0,4}x[1-9]\d{0,4}\.(?:webp|jpg))$/;
const TEMPORARY_FILE = /^[0-9a-f]{64}(?:\.(?:png|jpg|webp)|-[1-9]\d{0,4}x[1-9]\d{0,4}\.(?:webp|jpg))\.\d+\.tmp$/;

/** The file names behind the product image addresses given: every variant of each. */
function fileNamesOf(urls: Iterable<string>) {
  const names = new Set<string>();
  for (const url of urls) {
    const variants = variantsOfUrl(url);
    if (variants) for (const v of variants) names.add(v.name);
    else if (url.startsWith(`${PRODUCT_UPLOADS_URL}/`)) names.add(url.slice(PRODUCT_UPLOADS_URL.length + 1));
  }
  return names;
}

/**
 * The images no product uses any more (replaced, or their product deleted),
 * and files left half-written, once untouched for `graceMs`: deleted, or
 * only listed with `dryRun`. A product uses every variant of its image. The
 * grace keeps what a form just uploaded (stored before the product is saved)
 * and what pages already sent still show, since a copy may live in a browser
 * or a CDN for a while.
 */
export function pruneImages(
  databasePath: string,
  usedUrls: Iterable<string>,
  options: { graceMs: number; dryRun?: boolean; now?: number },
): { removed: string[]; bytes: number; kept: number } {
  const folder = productsFolder(databasePath);
  if (!existsSync(folder)) return { removed: [], bytes: 0, kept: 0 };
  const used = fileNamesOf(usedUrls);
  const cutoff = (options.now ?? Date.now()) - options.graceMs;
  const removed: string[] = [];
  let bytes = 0;
  let kept = 0;
  for (const name of readdirSync(folder).sort()) {
    if (!STORED_FILE.test(name) && !TEMPORARY_FILE.test(name)) continue; // not ours: never touched
    const path = join(folder, name);
    const stat = statSync(path);
    if (used.has(name) || stat.mtimeMs > cutoff) {
      kept++;
      continue;
    }
    if (!options.dryRun) unlinkSync(path);
    removed.push(path);
    bytes += stat.size;
  }
  return { removed, bytes, kept };
}

// Product images uploaded by staff (docs/decisions/017-product-images.md).
//
// - Only PNG, JPEG and WebP, recognised by their first bytes. What the
//   browser says (file name, Content-Type) is ignored: an SVG or an HTML
//   page renamed to photo.png is refused. No SVG at all: it can carry script.
// - At most MAX_IMAGE_BYTES.
// - Stored as <data dir>/uploads/products/<sha256 of the bytes>.<type>: the
//   name comes from the content, never from the user, so no path a user
//   controls reaches the filesystem, the same picture is stored once, and a
//   file never changes after it is written, which is what lets the server
//   send it with a year of caching (app/server/uploads.server.ts).
// - The data directory is the volume (./data on the host), so images live
//   and are backed up with the database (docs/admin.md).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
export const UPLOADS_URL = "/uploads";
/** What new products show until an image is uploaded. */
export const PLACEHOLDER_IMAGE = "/images/products/placeholder.svg";

export type ImageType = "png" | "jpg" | "webp";
/** What a stored file's name looks like: only these are ever served. */
export const STORED_IMAGE = /^\/products\/[0-9a-f]{64}\.(png|jpg|webp)$/;

/** The image type from the file's first bytes, or null if it is none of ours. */
export function sniffImageType(bytes: Uint8Array): ImageType | null {
  const starts = (...signature: number[]) => signature.every((b, i) => bytes[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "png";
  if (starts(0xff, 0xd8, 0xff)) return "jpg";
  // "RIFF" <size> "WEBP"
  if (starts(0x52, 0x49, 0x46, 0x46) && [0x57, 0x45, 0x42, 0x50].every((b, i) => bytes[8 + i] === b)) return "webp";
  return null;
}

/** <data dir>/uploads, beside the database file. */
export function uploadsDirectory(databasePath: string) {
  return join(dirname(resolve(databasePath)), "uploads");
}

export type ImageCheck = { ok: true; bytes: Uint8Array; type: ImageType } | { ok: false; error: string };

/** Checks an uploaded file from a form: size first, then the bytes. */
export async function checkImage(file: File): Promise<ImageCheck> {
  if (file.size > MAX_IMAGE_BYTES) {
    return { ok: false, error: `The image is ${(file.size / 1024 / 1024).toFixed(1)} MB; the most is ${MAX_IMAGE_BYTES / 1024 / 1024} MB.` };
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const type = sniffImageType(bytes);
  if (!type) return { ok: false, error: "Upload a PNG, JPEG or WebP image. (SVG and other files are not accepted.)" };
  return { ok: true, bytes, type };
}

/**
 * Stores a checked image and returns the URL pages use for it. Written to a
 * temporary name and renamed, so a reader never sees half a file.
 */
export function storeImage(databasePath: string, image: { bytes: Uint8Array; type: ImageType }): string {
  const name = `${createHash("sha256").update(image.bytes).digest("hex")}.${image.type}`;
  const folder = join(uploadsDirectory(databasePath), "products");
  const target = join(folder, name);
  if (!existsSync(target)) {
    mkdirSync(folder, { recursive: true });
    const temporary = `${target}.${process.pid}.tmp`;
    writeFileSync(temporary, image.bytes);
    renameSync(temporary, target);
  } else {
    // Uploaded again: young again, so `images prune` leaves it for its grace
    // period, like a new file (the form holding it may not be saved yet).
    const now = new Date();
    utimesSync(target, now, now);
  }
  return `${UPLOADS_URL}/products/${name}`;
}

/** A stored image's file name, or a file left half-written by a crash. */
const STORED_FILE = /^[0-9a-f]{64}\.(png|jpg|webp)$/;
const TEMPORARY_FILE = /^[0-9a-f]{64}\.(png|jpg|webp)\.\d+\.tmp$/;

/**
 * The images no product uses any more (replaced, or their product deleted),
 * and files left half-written, once untouched for `graceMs`: deleted, or
 * only listed with `dryRun`. The grace keeps what a form just uploaded
 * (stored before the product is saved) and what pages already sent still
 * show, since a copy may live in a browser or a CDN for a while.
 */
export function pruneImages(
  databasePath: string,
  usedUrls: Iterable<string>,
  options: { graceMs: number; dryRun?: boolean; now?: number },
): { removed: string[]; bytes: number; kept: number } {
  const folder = join(uploadsDirectory(databasePath), "products");
  if (!existsSync(folder)) return { removed: [], bytes: 0, kept: 0 };
  const used = new Set([...usedUrls].map((url) => url.slice(`${UPLOADS_URL}/products/`.length)));
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

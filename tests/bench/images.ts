// What an upload costs: a 12 MP phone photo (4000 × 3000 JPEG with EXIF,
// GPS and a sideways orientation) through storeImage(), the function the
// product form calls, and each step on its own, with AVIF beside WebP and
// JPEG to show why the store does not write AVIF (docs/decisions/027).
//
//   npm run bench:images [-- --runs 5]
//
// Not part of `npm test`. Figures in docs/benchmarks.md.
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { storeImage } from "#app/store/images.server.ts";
import { GPS_EXIF, pngBomb } from "#tests/helpers/images.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } } });
const RUNS = Number(values.runs);
const dir = mkdtempSync(join(tmpdir(), "store-bench-images-"));
const databasePath = join(dir, "store.db");

/**
 * A photo-like 4000 × 3000 JPEG at quality 90 (what phones write): soft
 * shapes (noise at 1/40 scale, enlarged smoothly) plus fine grain, so the
 * encoders see detail at every scale, like a real photo, not a flat test card.
 */
async function phonePhoto(seed: number) {
  const [width, height] = [4000, 3000];
  const noise = (w: number, h: number) => {
    const bytes = Buffer.alloc(w * h * 3);
    let x = seed * 2654435761;
    for (let i = 0; i < bytes.length; i++) bytes[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    return bytes;
  };
  const shapes = await sharp(noise(100, 75), { raw: { width: 100, height: 75, channels: 3 } })
    .resize(width, height, { kernel: "cubic" })
    .raw()
    .toBuffer();
  const grain = noise(width, height);
  for (let i = 0; i < shapes.length; i++) shapes[i] = Math.max(0, Math.min(255, shapes[i]! + ((grain[i]! - 128) >> 4)));
  return sharp(shapes, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .withExif(GPS_EXIF)
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function time(run: (i: number) => Promise<unknown>, runs = RUNS) {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run(i);
    ms.push(performance.now() - started);
  }
  return { median: median(ms), min: Math.min(...ms), max: Math.max(...ms) };
}
const row = (label: string, t: { median: number; min: number; max: number }, extra = "") =>
  console.log(`${label.padEnd(50)} ${t.median.toFixed(0).padStart(6)} ms  (${t.min.toFixed(0)}–${t.max.toFixed(0)})  ${extra}`);
const kB = (bytes: number) => `${(bytes / 1000).toFixed(0)} kB`;

console.log(`bench:images on ${cpus().length} × ${cpus()[0]?.model ?? "?"}, sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}`);
const photos = await Promise.all(Array.from({ length: RUNS }, (_, i) => phonePhoto(i + 1)));
console.log(`input: 4000 × 3000 JPEG q90 with EXIF (GPS, orientation 6), ${kB(photos[0]!.length)}; median of ${RUNS} runs, each a different photo\n`);

// The whole upload, as the product form does it: check, decode, 6 encodes, 6 writes.
row("storeImage(): a new 12 MP photo", await time((i) => storeImage(databasePath, photos[i]!)));
row("storeImage(): the same photo again (touch only)", await time((i) => storeImage(databasePath, photos[i]!)));
const bomb = await pngBomb(50_000, 50_000);
row("storeImage(): 50,000 × 50,000 PNG bomb, refused", await time(() => storeImage(databasePath, bomb)), kB(bomb.length));

// The steps, on the first photo.
console.log("");
const photo = photos[0]!;
row("header only (size, orientation)", await time(() => sharp(photo, { limitInputPixels: false }).metadata()));
const decode = () =>
  sharp(photo).autoOrient().resize(1200, 1600, { fit: "fill" }).toColourspace("srgb").raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
row("decode, upright, 1200 wide, raw sRGB", await time(decode));
const { data, info } = await decode();
const pixels = { raw: { width: info.width, height: info.height, channels: info.channels } };
for (const [width, height] of [[400, 533], [800, 1067], [1200, 1600]] as const) {
  const at = () => sharp(data, pixels).resize(width, height, { fit: "fill" });
  let size = 0;
  row(`  WebP q80 effort 2 (the store's) at ${width}`, await time(async () => (size = (await at().webp({ quality: 80, effort: 2 }).toBuffer()).length)), kB(size));
  row(`  WebP q80 effort 4 (default) at ${width}`, await time(async () => (size = (await at().webp({ quality: 80 }).toBuffer()).length)), kB(size));
  row(`  JPEG q80 at ${width}`, await time(async () => (size = (await at().jpeg({ quality: 80 }).toBuffer()).length)), kB(size));
  row(`  AVIF q50 effort 4 (default) at ${width}`, await time(async () => (size = (await at().avif({ quality: 50 }).toBuffer()).length), 1), kB(size));
}
rmSync(dir, { recursive: true, force: true });

// Images made for tests, with sharp (the store's own image library) and by
// hand where sharp will not make them: a decompression bomb, polyglots.
import { crc32, createDeflate } from "node:zlib";
import sharp from "sharp";

/** A PNG chunk: length, type, data, CRC of type and data. */
function chunk(type: string, data: Uint8Array) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * A decompression bomb: a valid 1-bit grey PNG of width × height pixels, all
 * black. 50,000 × 50,000 is 2.5 gigapixels (10 GB as RGBA in a browser) in
 * about 303 kB, because runs of zeros compress about 1,000 to 1.
 */
export async function pngBomb(width: number, height: number): Promise<Uint8Array<ArrayBuffer>> {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, no filter, no interlace
  // Each row: filter byte 0, then width bits of 0. All zeros, streamed through deflate.
  const rowBytes = 1 + Math.ceil(width / 8);
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on("data", (part: Buffer) => parts.push(part));
  const done = new Promise((resolve) => deflate.on("end", resolve));
  const block = Buffer.alloc(rowBytes * 1000);
  for (let row = 0; row < height; row += 1000) {
    const rows = Math.min(1000, height - row);
    if (!deflate.write(block.subarray(0, rows * rowBytes))) await new Promise((resolve) => deflate.once("drain", resolve));
  }
  deflate.end();
  await done;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const png = Buffer.concat([signature, chunk("IHDR", header), chunk("IDAT", Buffer.concat(parts)), chunk("IEND", new Uint8Array())]);
  return new Uint8Array(png);
}

type Exif = Record<string, Record<string, string>>;

/**
 * A JPEG of width × height: the left half red, the right half blue, so a
 * test can tell which way up it came out. With `exif`, those EXIF tags
 * (IFD0 is the main image, IFD3 the GPS position); with `orientation`, the
 * EXIF orientation a camera held sideways writes (6: turn 90° clockwise to view).
 */
export async function photo(width: number, height: number, options: { exif?: Exif; orientation?: number } = {}) {
  let image = sharp({ create: { width, height, channels: 3, background: "#0000ff" } })
    .composite([{ input: { create: { width: Math.floor(width / 2), height, channels: 3, background: "#ff0000" } }, left: 0, top: 0 }])
    .jpeg({ quality: 90 });
  if (options.exif) image = image.withExif(options.exif);
  if (options.orientation) image = image.withMetadata({ orientation: options.orientation });
  return new Uint8Array(await image.toBuffer());
}

/** A PNG of width × height in one colour (alpha 0–1). */
export async function png(width: number, height: number, colour = "#336699", alpha = 1) {
  const buffer = await sharp({ create: { width, height, channels: 4, background: { r: 0x33, g: 0x66, b: 0x99, alpha } } })
    .png()
    .toBuffer();
  return colour === "#336699" ? new Uint8Array(buffer) : new Uint8Array(await sharp(buffer).tint(colour).png().toBuffer());
}

/** A GPS position in EXIF's terms: Salisbury Cathedral, 51.0648° N, 1.7973° W. */
export const GPS_EXIF: Exif = {
  IFD0: { Make: "Phone Maker", Model: "Model 7", Copyright: "Shop Owner" },
  IFD3: {
    GPSLatitudeRef: "N",
    GPSLatitude: "51/1 3/1 5328/100",
    GPSLongitudeRef: "W",
    GPSLongitude: "1/1 47/1 5028/100",
  },
};

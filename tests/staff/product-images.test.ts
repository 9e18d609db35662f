// Product images as staff upload them and shoppers get them, over HTTP from
// the production server (issue 22, finding 4): nothing is stored as sent.
// A bomb is refused before it is decoded; metadata is gone from every file;
// sideways photos come out upright; the widths the pages use exist, never
// upscaled; a polyglot comes out as a plain image; pages offer the variants
// with srcset. Every stored file is fetched and decoded again to check.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { products } from "#app/db/schema.ts";
import { variantsOfUrl, type Variant } from "#app/store/image-variants.ts";
import { uploadsDirectory } from "#app/store/images.server.ts";
import { tempDir } from "#tests/helpers/db.ts";
import { GPS_EXIF, photo, png, pngBomb } from "#tests/helpers/images.ts";
import { runCliInProcess } from "#tests/helpers/cli.ts";
import { startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { shopper, text } from "#tests/helpers/shopper.ts";
import { browser, productForm, staffAccount } from "#tests/helpers/staff.ts";

let server: ServerProcess;
let db: AppDatabase;
let path: string;
let staff: ReturnType<typeof browser>;

beforeAll(async () => {
  path = join(tempDir("store-images-"), "store.db");
  // The variants test changes images behind the server's back (as an older
  // release left them): no micro-cache copy of a page from a test before.
  server = await startServer({ env: { DATABASE_PATH: path, SEED_DEMO_DATA: "true", MICRO_CACHE_MS: "0" } });
  db = openDatabase(path);
  await staffAccount(db, "staff@example.com", "staff");
  staff = browser(server.url);
  await staff.signIn("staff@example.com");
});
afterAll(async () => {
  if (db) closeDatabase(db);
  if (server) await stopServer(server);
  expect(server?.output() ?? "").not.toMatch(/Error|at \//);
});

const page = (html: string) => text(html.replace(/<[^>]+>/g, " ")).replace(/\s+/g, " ");
const storedFiles = () => {
  try {
    return readdirSync(join(uploadsDirectory(path), "products")).sort();
  } catch {
    return [];
  }
};
let sku = 0;
/** Creates a product with this image; returns the server's reply and the product's variants. */
async function upload(bytes: Uint8Array<ArrayBuffer>, type = "image/jpeg") {
  const n = ++sku;
  const reply = await staff.post(
    "/admin/products/new",
    productForm(
      { name: `Pictured ${n}`, slug: `pictured-${n}`, sku: "", price: "10", stock: "1", description: "A product with a picture." },
      { bytes, name: `photo-${n}.bin`, type },
    ),
  );
  const product = db.select().from(products).where(eq(products.slug, `pictured-${n}`)).get();
  return { reply, product, variants: product ? (variantsOfUrl(product.image) ?? []) : [] };
}
/** A stored variant, over HTTP as a browser gets it, and what it decodes to. */
async function fetchVariant(variant: Variant) {
  const response = await fetch(`${server.url}${variant.url}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  return { response, bytes, metadata: await sharp(bytes).metadata() };
}
const sizes = (variants: Variant[], format = "jpg") => variants.filter((v) => v.format === format).map((v) => `${v.width}x${v.height}`);

describe("uploads", () => {
  it("refuses a 303 kB PNG that declares 50,000 × 50,000 pixels, with a message, writing nothing", async () => {
    const bomb = await pngBomb(50_000, 50_000);
    expect(bomb.byteLength).toBeLessThan(310_000);
    const before = { files: storedFiles(), products: db.select().from(products).all().length };
    const { reply } = await upload(bomb, "image/png");
    expect(reply.status).toBe(400);
    expect(page(reply.html)).toContain("The image is 50,000 × 50,000 pixels; the most is 40 megapixels. Make it smaller and upload it again.");
    // One pixel over the limit is refused too; exactly the limit is taken.
    const over = await upload(await pngBomb(8000, 5001), "image/png");
    expect(over.reply.status).toBe(400);
    expect(page(over.reply.html)).toContain("The image is 8,000 × 5,001 pixels; the most is 40 megapixels.");
    expect({ files: storedFiles(), products: db.select().from(products).all().length }).toEqual(before);

    const limit = await upload(await pngBomb(8000, 5000), "image/png");
    expect(limit.reply.status).toBe(302);
    expect(sizes(limit.variants)).toEqual(["400x250", "800x500", "1200x750"]);
  });

  it("removes every piece of metadata, the GPS position included, from every file it stores", async () => {
    const original = await photo(1600, 1200, { exif: GPS_EXIF });
    expect((await sharp(original).metadata()).exif).toBeDefined();
    expect(Buffer.from(original).includes("Phone Maker")).toBe(true);

    const { reply, variants } = await upload(original);
    expect(reply.status).toBe(302);
    expect(variants).toHaveLength(6);
    for (const variant of variants) {
      const { response, bytes, metadata } = await fetchVariant(variant);
      expect(response.status).toBe(200);
      expect([metadata.exif, metadata.xmp, metadata.iptc, metadata.icc], variant.name).toEqual([undefined, undefined, undefined, undefined]);
      expect(bytes.includes("Phone Maker"), variant.name).toBe(false);
      expect(bytes.includes("Exif"), variant.name).toBe(false);
    }
  });

  it("turns a photo taken sideways upright: width and height swap, and the left half of the sensor is on top", async () => {
    // Stored 1600 × 1200 with orientation 6: shown turned 90° clockwise, 1200 × 1600.
    const { reply, variants } = await upload(await photo(1600, 1200, { orientation: 6 }));
    expect(reply.status).toBe(302);
    expect(sizes(variants)).toEqual(["400x533", "800x1067", "1200x1600"]);
    for (const variant of variants) {
      const { metadata, bytes } = await fetchVariant(variant);
      expect([metadata.width, metadata.height, metadata.orientation], variant.name).toEqual([variant.width, variant.height, undefined]);
      // Red was the left half; turned clockwise it is the top half.
      const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const pixel = (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
      const [top, bottom] = [pixel(info.width >> 1, info.height >> 3), pixel(info.width >> 1, info.height - (info.height >> 3))];
      expect(top[0]! > 200 && top[2]! < 60, `${variant.name} top ${top}`).toBe(true);
      expect(bottom[2]! > 200 && bottom[0]! < 60, `${variant.name} bottom ${bottom}`).toBe(true);
    }
  });

  it("stores the widths the pages use, as WebP and JPEG, never upscaled", async () => {
    const large = await upload(await photo(2000, 1500));
    const medium = await upload(await png(1000, 500), "image/png");
    const small = await upload(await png(300, 300), "image/png");
    expect(sizes(large.variants, "webp")).toEqual(["400x300", "800x600", "1200x900"]);
    expect(sizes(large.variants, "jpg")).toEqual(["400x300", "800x600", "1200x900"]);
    expect(sizes(medium.variants)).toEqual(["400x200", "800x400", "1000x500"]);
    expect(sizes(small.variants)).toEqual(["300x300"]);
    // The product keeps its largest JPEG's address. Files are the store's user's alone (umask 077).
    expect(large.product!.image).toMatch(/^\/uploads\/products\/[0-9a-f]{64}-1200x900\.jpg$/);
    for (const variant of large.variants) expect(statSync(join(uploadsDirectory(path), "products", variant.name)).mode & 0o777).toBe(0o600);
    for (const variant of [...large.variants, ...medium.variants, ...small.variants]) {
      const { response, metadata } = await fetchVariant(variant);
      expect(response.headers.get("content-type")).toBe(variant.format === "webp" ? "image/webp" : "image/jpeg");
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect([metadata.format, metadata.width, metadata.height]).toEqual([variant.format === "webp" ? "webp" : "jpeg", variant.width, variant.height]);
    }
    // Transparency: kept in WebP; JPEG has none, so the clear pixels turn white, like the page.
    const clear = await upload(await png(50, 50, "#336699", 0), "image/png");
    const [webp, jpg] = clear.variants;
    expect((await fetchVariant(webp!)).metadata.hasAlpha).toBe(true);
    const white = await sharp((await fetchVariant(jpg!)).bytes).raw().toBuffer();
    expect([...white.subarray(0, 3)].every((c) => c > 250)).toBe(true);
  });

  it("turns a polyglot (an image that is also an HTML page) into a plain image", async () => {
    const html = "<html><body><script>alert(document.cookie)</script></body></html>";
    // HTML after the PNG's last chunk, and HTML in a JPEG comment segment.
    const afterPng = new Uint8Array(Buffer.concat([await png(64, 64), Buffer.from(html)]));
    const jpeg = await photo(640, 480);
    const comment = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from([0, html.length + 2]), Buffer.from(html)]);
    const inJpeg = new Uint8Array(Buffer.concat([jpeg.subarray(0, 2), comment, jpeg.subarray(2)]));
    expect(Buffer.from(inJpeg).includes("<script")).toBe(true);
    for (const [bytes, type] of [[afterPng, "image/png"], [inJpeg, "image/jpeg"]] as const) {
      const { reply, variants } = await upload(bytes, type);
      expect(reply.status).toBe(302);
      expect(variants.length).toBeGreaterThan(0);
      for (const variant of variants) {
        const { response, bytes: served, metadata } = await fetchVariant(variant);
        expect(response.headers.get("x-content-type-options")).toBe("nosniff");
        const latin = served.toString("latin1").toLowerCase();
        expect(latin.includes("<script") || latin.includes("<html"), variant.name).toBe(false);
        expect([metadata.format, metadata.width, metadata.height]).toEqual([variant.format === "webp" ? "webp" : "jpeg", variant.width, variant.height]);
      }
    }
  });

  it("refuses a file that only starts like an image, and keeps nothing of it", async () => {
    const before = storedFiles();
    const truncated = (await photo(800, 600)).subarray(0, 400);
    const fake = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...Buffer.from("<html>not a picture</html>")]);
    for (const bytes of [truncated, fake]) {
      const { reply, product } = await upload(bytes);
      expect(reply.status).toBe(400);
      expect(page(reply.html)).toContain("This image could not be read. Save it again as PNG, JPEG or WebP and upload that.");
      expect(product).toBeUndefined();
    }
    expect(storedFiles()).toEqual(before);
  });
});

describe("pages", () => {
  it("offer every variant with srcset and sizes, WebP first, with the picture's width and height", async () => {
    const { variants, product } = await upload(await photo(2000, 1500));
    const set = (format: string) =>
      variants
        .filter((v) => v.format === format)
        .map((v) => `${v.url} ${v.width}w`)
        .join(", ");
    const anyone = shopper(server.url);
    const productPage = (await anyone.get(`/products/${product!.slug}`)).html;
    const catalog = (await anyone.get(`/?q=${encodeURIComponent(product!.name)}`)).html;
    for (const [html, sizes] of [
      [productPage, "(min-width: 1152px) 544px, (min-width: 768px) calc((100vw - 64px) / 2), calc(100vw - 32px)"],
      [catalog, "(min-width: 1280px) 262px, (min-width: 1024px) calc((100vw - 80px) / 3), (min-width: 640px) calc((100vw - 56px) / 2), calc((100vw - 44px) / 2)"], // two cards a row on a phone
    ] as const) {
      const picture = /<picture[^>]*>[\s\S]*?<\/picture>/.exec(html)?.[0] ?? "";
      expect(picture).toContain(`<source type="image/webp" srcSet="${set("webp")}" sizes="${sizes}"/>`);
      expect(picture).toMatch(new RegExp(`<img src="${product!.image}" srcSet="${set("jpg")}" sizes="${sizes.replace(/[()]/g, "\\$&")}"`));
      expect(picture).toMatch(/ width="1200" height="900"/);
    }
    // A demo picture (one SVG) stays a plain image.
    expect((await anyone.get("/products/stoneware-mug")).html).toMatch(/<img src="\/images\/products\/stoneware-mug.svg"[^>]* width="400" height="400"/);
  });
});

describe("images variants, on a store upgraded with uploads stored as sent", () => {
  it("pages show the old files until it runs; then their products show variants without metadata; again, it does nothing; prune takes the originals", async () => {
    const folder = join(uploadsDirectory(path), "products");
    mkdirSync(folder, { recursive: true });
    const monthAgo = new Date(Date.now() - 30 * 86_400_000);
    /** A file as the store stored uploads before variants: <sha256 of the bytes>.<type>, as sent. */
    const legacy = (bytes: Uint8Array, type: string) => {
      const name = `${createHash("sha256").update(bytes).digest("hex")}.${type}`;
      writeFileSync(join(folder, name), bytes);
      utimesSync(join(folder, name), monthAgo, monthAgo);
      return { url: `/uploads/products/${name}`, file: join(folder, name) };
    };
    const sideways = legacy(await photo(1600, 1200, { exif: GPS_EXIF, orientation: 6 }), "jpg");
    const bomb = legacy(await pngBomb(50_000, 50_000), "png");
    const lost = `/uploads/products/${"d".repeat(64)}.webp`;
    const setImage = (slug: string, image: string) => db.update(products).set({ image }).where(eq(products.slug, slug)).run();
    const imageOf = (slug: string) => db.select().from(products).where(eq(products.slug, slug)).get()!.image;
    setImage("stoneware-mug", sideways.url);
    setImage("tea-tin", sideways.url);
    setImage("glass-carafe", bomb.url);
    setImage("bamboo-tray", lost);

    // Not run yet: the page shows the file as it was stored, and it is served.
    const anyone = shopper(server.url);
    const before = (await anyone.get("/products/stoneware-mug")).html;
    expect(before).toMatch(new RegExp(`<img src="${sideways.url}"[^>]* width="400" height="400"`));
    expect(before).not.toContain("<picture");
    expect((await fetch(`${server.url}${sideways.url}`)).status).toBe(200);

    const cli = () => runCliInProcess(["images", "variants"], { env: { DATABASE_PATH: path } });
    const first = await cli();
    const upright = `${sideways.url.slice(0, -".jpg".length)}-1200x1600.jpg`;
    expect(first.output).toContain(`converted ${sideways.url} → ${upright} (2 product(s))`);
    expect(first.output).toContain(`refused ${bomb.url} (used by glass-carafe): The image is 50,000 × 50,000 pixels; the most is 40 megapixels.`);
    expect(first.output).toContain(`missing ${lost} (used by bamboo-tray)`);
    expect(first.output).toContain("images: 1 converted, 1 refused, 1 missing");
    expect(first.code).toBe(1); // pages still show two old files: say so
    expect([imageOf("stoneware-mug"), imageOf("tea-tin"), imageOf("glass-carafe"), imageOf("bamboo-tray")]).toEqual([upright, upright, bomb.url, lost]);

    const variants = variantsOfUrl(upright)!;
    expect(sizes(variants)).toEqual(["400x533", "800x1067", "1200x1600"]);
    for (const variant of variants) {
      const { response, bytes, metadata } = await fetchVariant(variant);
      expect(response.status).toBe(200);
      expect([metadata.exif, metadata.orientation, metadata.width]).toEqual([undefined, undefined, variant.width]);
      expect(bytes.includes("Phone Maker")).toBe(false);
    }
    expect((await anyone.get("/products/tea-tin")).html).toContain(`<source type="image/webp" srcSet="${variants[0]!.url} 400w`);

    // Staff give the other two products new images; then there is nothing left to do.
    setImage("glass-carafe", "/images/products/glass-carafe.svg");
    setImage("bamboo-tray", "/images/products/bamboo-tray.svg");
    const written = variants.map((v) => statSync(join(folder, v.name)).mtimeMs);
    const again = await cli();
    expect([again.code, again.output.trim()]).toEqual([0, "images: nothing to convert, every uploaded product image has its variants"]);
    expect(variants.map((v) => statSync(join(folder, v.name)).mtimeMs)).toEqual(written);

    // The original was touched when converted, so prune keeps it for its grace
    // period (pages sent before may show it); without one, it goes, with the bomb.
    const prune = (days: string) => runCliInProcess(["images", "prune", "--days", days], { env: { DATABASE_PATH: path } });
    expect((await prune("7")).code).toBe(0);
    expect([existsSync(sideways.file), existsSync(bomb.file)]).toEqual([true, false]);
    expect((await prune("0")).code).toBe(0);
    expect(existsSync(sideways.file)).toBe(false);
    expect(variants.filter((v) => !existsSync(join(folder, v.name)))).toEqual([]);
  });
});

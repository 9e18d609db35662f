// `images prune` (node app/cli/cli.ts images prune): uploaded images no
// product uses any more are deleted once untouched for the grace period;
// images in use, young ones, and files that are not the store's stay.
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { closeDatabase } from "#app/db/connection.server.ts";
import { products } from "#app/db/schema.ts";
import { seedDemoProducts } from "#app/db/seed.server.ts";
import { variantsOfUrl } from "#app/store/image-variants.ts";
import { storeImage, uploadsDirectory } from "#app/store/images.server.ts";
import { freshDatabase, productBySlug } from "#tests/helpers/db.ts";
import { png } from "#tests/helpers/images.ts";
import { runNode } from "#tests/helpers/server.ts";
import { runCliInProcess } from "#tests/helpers/cli.ts";

const DAY = 86_400_000;

function age(path: string, days: number) {
  const when = new Date(Date.now() - days * DAY);
  utimesSync(path, when, when);
}

async function stored(path: string, bytes: Uint8Array) {
  const result = await storeImage(path, bytes);
  if (!result.ok) throw new Error(result.error);
  return result.url;
}

/**
 * A seeded store with uploads: one in use (its 400 and 600 wide variants, WebP
 * and JPEG), one replaced long ago, one just uploaded, an upload stored as
 * sent before variants existed still in use and another no longer used, a
 * stray temp file and a file that is not the store's.
 */
async function storeWithUploads() {
  const { db, path } = freshDatabase();
  seedDemoProducts(db);
  const folder = join(uploadsDirectory(path), "products");
  const filesOf = (url: string) => (variantsOfUrl(url) ?? []).map((v) => join(folder, v.name));
  const used = await stored(path, await png(600, 300));
  const replaced = await stored(path, await png(20, 10));
  const fresh = await stored(path, await png(30, 10));
  const legacyUsed = join(folder, `${"b".repeat(64)}.png`);
  const legacyUnused = join(folder, `${"c".repeat(64)}.jpg`);
  writeFileSync(legacyUsed, "as sent");
  writeFileSync(legacyUnused, "as sent");
  db.update(products).set({ image: used }).where(eq(products.id, productBySlug(db, "stoneware-mug").id)).run();
  db.update(products).set({ image: `/uploads/products/${"b".repeat(64)}.png` }).where(eq(products.id, productBySlug(db, "tea-tin").id)).run();
  closeDatabase(db);
  const temporary = join(folder, `${"a".repeat(64)}-400x200.webp.1234.tmp`);
  writeFileSync(temporary, "half");
  const notOurs = join(folder, "README.txt");
  writeFileSync(notOurs, "someone's notes");
  const store = {
    path,
    folder,
    used: filesOf(used),
    replaced: filesOf(replaced),
    fresh: filesOf(fresh),
    legacyUsed,
    legacyUnused,
    temporary,
    notOurs,
  };
  for (const file of [...store.used, ...store.replaced, legacyUsed, legacyUnused, temporary, notOurs]) age(file, 30);
  return store;
}

describe("images prune", () => {
  it("with --dry-run lists what it would delete and deletes nothing", async () => {
    const store = await storeWithUploads();
    const before = readdirSync(store.folder).sort();
    const result = await runNode(["app/cli/cli.ts", "images", "prune", "--dry-run"], { env: { DATABASE_PATH: store.path } });
    expect(result.code).toBe(0);
    for (const file of [...store.replaced, store.legacyUnused, store.temporary]) expect(result.output).toContain(`would delete ${file}`);
    expect(result.output).toContain("images: 4 unused file(s)");
    expect(readdirSync(store.folder).sort()).toEqual(before);
  });

  it("deletes unused images older than --days, and keeps every variant of a used one, young and foreign files", async () => {
    const store = await storeWithUploads();
    expect(store.used).toHaveLength(4); // 400 and 600 wide, WebP and JPEG
    const result = await runCliInProcess(["images", "prune"], { env: { DATABASE_PATH: store.path } });
    expect(result.code).toBe(0);
    expect(result.output).toContain("images: 4 unused file(s), 0.0 MB, deleted; 7 kept");
    expect([...store.replaced, store.legacyUnused, store.temporary].map(existsSync)).toEqual([false, false, false, false]);
    const keep = [...store.used, ...store.fresh, store.legacyUsed, store.notOurs];
    expect(keep.filter((file) => !existsSync(file))).toEqual([]);

    // --days 0: the young one goes too, the ones in use never do.
    const now = await runCliInProcess(["images", "prune", "--days", "0"], { env: { DATABASE_PATH: store.path } });
    expect(now.code).toBe(0);
    expect([...store.used, store.legacyUsed].filter((file) => !existsSync(file))).toEqual([]);
    expect(store.fresh.filter(existsSync)).toEqual([]);
  });

  it("counts an upload of bytes already stored as new, so a form holding it keeps it", async () => {
    const { db, path } = freshDatabase();
    closeDatabase(db);
    const image = await png(500, 100);
    const url = await stored(path, image);
    const files = variantsOfUrl(url)!.map((v) => join(uploadsDirectory(path), "products", v.name));
    for (const file of files) age(file, 30);
    expect(await stored(path, image)).toBe(url);
    for (const file of files) expect(Date.now() - statSync(file).mtimeMs).toBeLessThan(DAY);
  });

  it("refuses a wrong --days or action with its usage, exit 2", async () => {
    const { db, path } = freshDatabase();
    closeDatabase(db);
    mkdirSync(join(uploadsDirectory(path), "products"), { recursive: true });
    for (const args of [["prune", "--days", "-1"], ["prune", "--days", "soon"], ["tidy"], []]) {
      const result = await runCliInProcess(["images", ...args], { env: { DATABASE_PATH: path } });
      expect(result.code).toBe(2);
      expect(result.output).toContain("usage: node app/cli/cli.ts images variants | images prune [--days <n>] [--dry-run]");
    }
  });
});

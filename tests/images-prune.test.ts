// `images prune` (node app/db/cli.ts images prune): uploaded images no
// product uses any more are deleted once untouched for the grace period;
// images in use, young ones, and files that are not the store's stay.
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { closeDatabase } from "#app/db/connection.server.ts";
import { products } from "#app/db/schema.ts";
import { seedDemoProducts } from "#app/db/seed.server.ts";
import { storeImage, uploadsDirectory } from "#app/lib/images.server.ts";
import { freshDatabase, productBySlug } from "#tests/helpers/db.ts";
import { runNode } from "#tests/helpers/server.ts";

const PNG = (seed: number) => new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, seed]);
const DAY = 86_400_000;

function age(path: string, days: number) {
  const when = new Date(Date.now() - days * DAY);
  utimesSync(path, when, when);
}

/** A seeded store with four uploads: one in use, one replaced long ago, one just uploaded, one stray temp file. */
function storeWithUploads() {
  const { db, path } = freshDatabase();
  seedDemoProducts(db);
  const fileOf = (url: string) => join(uploadsDirectory(path), url.replace("/uploads/", ""));
  const used = storeImage(path, { bytes: PNG(1), type: "png" });
  const replaced = storeImage(path, { bytes: PNG(2), type: "png" });
  const fresh = storeImage(path, { bytes: PNG(3), type: "png" });
  const mug = productBySlug(db, "stoneware-mug");
  db.update(products).set({ image: used }).where(eq(products.id, mug.id)).run();
  closeDatabase(db);
  const folder = join(uploadsDirectory(path), "products");
  const temporary = join(folder, `${"a".repeat(64)}.png.1234.tmp`);
  writeFileSync(temporary, "half");
  const notOurs = join(folder, "README.txt");
  writeFileSync(notOurs, "someone's notes");
  for (const file of [fileOf(used), fileOf(replaced), temporary, notOurs]) age(file, 30);
  return { path, folder, used: fileOf(used), replaced: fileOf(replaced), fresh: fileOf(fresh), temporary, notOurs };
}

describe("images prune", () => {
  it("with --dry-run lists what it would delete and deletes nothing", async () => {
    const store = storeWithUploads();
    const before = readdirSync(store.folder).sort();
    const result = await runNode(["app/db/cli.ts", "images", "prune", "--dry-run"], { env: { DATABASE_PATH: store.path } });
    expect(result.code).toBe(0);
    expect(result.output).toContain(`would delete ${store.replaced}`);
    expect(result.output).toContain(`would delete ${store.temporary}`);
    expect(result.output).toContain("images: 2 unused file(s)");
    expect(readdirSync(store.folder).sort()).toEqual(before);
  });

  it("deletes unused images older than --days, and keeps used, young and foreign files", async () => {
    const store = storeWithUploads();
    const result = await runNode(["app/db/cli.ts", "images", "prune"], { env: { DATABASE_PATH: store.path } });
    expect(result.code).toBe(0);
    expect(result.output).toContain("images: 2 unused file(s), 0.0 MB, deleted; 2 kept");
    expect([store.replaced, store.temporary].map(existsSync)).toEqual([false, false]);
    expect([store.used, store.fresh, store.notOurs].map(existsSync)).toEqual([true, true, true]);

    // --days 0: the young one goes too, the one in use never does.
    const now = await runNode(["app/db/cli.ts", "images", "prune", "--days", "0"], { env: { DATABASE_PATH: store.path } });
    expect(now.code).toBe(0);
    expect([store.used, store.fresh].map(existsSync)).toEqual([true, false]);
  });

  it("counts an upload of bytes already stored as new, so a form holding it keeps it", () => {
    const { db, path } = freshDatabase();
    closeDatabase(db);
    const url = storeImage(path, { bytes: PNG(9), type: "png" });
    const file = join(uploadsDirectory(path), url.replace("/uploads/", ""));
    age(file, 30);
    expect(storeImage(path, { bytes: PNG(9), type: "png" })).toBe(url);
    expect(Date.now() - statSync(file).mtimeMs).toBeLessThan(DAY);
  });

  it("refuses a wrong --days or action with its usage, exit 2", async () => {
    const { db, path } = freshDatabase();
    closeDatabase(db);
    mkdirSync(join(uploadsDirectory(path), "products"), { recursive: true });
    for (const args of [["prune", "--days", "-1"], ["prune", "--days", "soon"], ["tidy"]]) {
      const result = await runNode(["app/db/cli.ts", "images", ...args], { env: { DATABASE_PATH: path } });
      expect(result.code).toBe(2);
      expect(result.output).toContain("usage: node app/db/cli.ts images prune [--days <n>] [--dry-run]");
    }
  });
});

// `images variants`: uploads stored as sent, before the store made variants
// (docs/decisions/027-image-variants.md), get them; the originals, with
// their metadata, are then no product's, so `images prune` deletes them
// after its grace. Running it again does nothing.
import { existsSync, readFileSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { eq, like } from "drizzle-orm";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { products } from "#app/db/schema.ts";
import { PRODUCT_UPLOADS_URL } from "#app/store/image-variants.ts";
import { storeImage, UNPROCESSED_UPLOAD, uploadsDirectory, UPLOADS_URL } from "#app/store/images.server.ts";

export type LegacyImageReport =
  | { status: "converted"; from: string; to: string; products: number }
  | { status: "refused"; from: string; slugs: string[]; error: string }
  | { status: "missing"; from: string; slugs: string[] };

export async function convertLegacyImages(db: AppDatabase, databasePath: string): Promise<LegacyImageReport[]> {
  const rows = db
    .select({ image: products.image, slug: products.slug })
    .from(products)
    .where(like(products.image, `${PRODUCT_UPLOADS_URL}/%`))
    .orderBy(products.id)
    .all()
    .filter((row) => UNPROCESSED_UPLOAD.test(row.image));
  const slugsByImage = Map.groupBy(rows, (row) => row.image);

  const reports: LegacyImageReport[] = [];
  for (const [from, users] of slugsByImage) {
    const slugs = users.map((u) => u.slug);
    const file = join(uploadsDirectory(databasePath), from.slice(UPLOADS_URL.length + 1));
    if (!existsSync(file)) {
      reports.push({ status: "missing", from, slugs });
      continue;
    }
    // The same checks and encoding as an upload today: an image stored
    // before them and too big for them now (a bomb) is refused, not served
    // in a new form.
    const stored = await storeImage(databasePath, readFileSync(file));
    if (!stored.ok) {
      reports.push({ status: "refused", from, slugs, error: stored.error });
      continue;
    }
    // Only rows still showing the old file: one edited meanwhile keeps its edit.
    const changed = db.update(products).set({ image: stored.url }).where(eq(products.image, from)).run().changes;
    // Touched, so `images prune` keeps the original for its grace period:
    // pages already sent may still show it.
    const now = new Date();
    utimesSync(file, now, now);
    reports.push({ status: "converted", from, to: stored.url, products: changed });
  }
  return reports;
}

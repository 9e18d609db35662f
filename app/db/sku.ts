// SKUs the store makes up itself: "CS-" and the product id, zero-padded to
// six digits (CS-000042). An id never changes and is never reused (products
// is AUTOINCREMENT), so a SKU made from it is unique and stable. The same
// rule exists twice, once here for new products and once in SQL for the
// backfill of existing ones; tests/ops/sku.test.ts checks that they agree.
//
// SKUs typed in by people (the demo catalog's, for instance) must not look
// like these, or one could collide with a future product's id.

export const GENERATED_SKU = /^CS-\d{6,}$/;

export function skuForId(id: number): string {
  return `CS-${String(id).padStart(6, "0")}`;
}

/** skuForId as a SQL expression over the `id` column of products. */
export const SKU_FROM_ID_SQL = "'CS-' || printf('%06d', `id`)";

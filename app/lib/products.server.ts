import { count, desc, eq } from "drizzle-orm";
import type { AppDatabase } from "~/db/connection.server";
import { products } from "~/db/schema";

export const PAGE_SIZE = 12;

// Pages select only the columns they render: the catalog never reads
// descriptions, and no page reads timestamps.
const cardColumns = {
  id: products.id,
  slug: products.slug,
  name: products.name,
  priceCents: products.priceCents,
  stock: products.stock,
  image: products.image,
};

export type ProductCard = {
  id: number;
  slug: string;
  name: string;
  priceCents: number;
  stock: number;
  image: string;
};

export function listProducts(db: AppDatabase, page: number) {
  const total = db.select({ n: count() }).from(products).get()!.n;
  const pageCount = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const current = Math.min(Math.max(1, page), pageCount);
  const items: ProductCard[] = db
    .select(cardColumns)
    .from(products)
    .orderBy(desc(products.createdAt), desc(products.id))
    .limit(PAGE_SIZE)
    .offset((current - 1) * PAGE_SIZE)
    .all();
  return { items, total, page: current, pageCount };
}

export function getProductBySlug(db: AppDatabase, slug: string) {
  return db
    .select({ ...cardColumns, description: products.description, sku: products.sku })
    .from(products)
    .where(eq(products.slug, slug))
    .get();
}

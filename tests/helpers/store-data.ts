// Realistic store data for migration tests, the tutorial's sandbox and the
// benchmark: products with unicode names, gaps left by deleted products
// (including the newest ones), and orders whose items point at products.
// It writes only the columns that exist before the SKU tutorial, so it can
// fill a database at any migration from 0001 on. Run by Node directly (the
// sandbox, the benchmark): erasable TypeScript, relative imports.
import type Database from "better-sqlite3";

const NOUNS = [
  "Stoneware Mug", "Čajník", "Kaffeebecher Größe L", "湯呑み", "Тарілка", "Ψάθινο καλάθι", "Œuf coquetier",
  "İnce bardak", "ضوء القراءة", "Notebook 📓", "Crème brûlée dish", "Smørbrett", "Łyżka drewniana", "Tazón grande",
  "Zwiebeltopf", "Kőedény", "Ánfora", "Žlica", "Brass Pen", "Linen Throw", "टोकरी", "수저 세트",
];
const ADJECTIVES = ["Small", "Large", "Blue", "Matte", "Speckled", "Olive", "Ivory", "Ash", "Ochre", "Slate"];

/** A small deterministic PRNG (mulberry32), so every run builds the same data. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type StoreData = { products: number; orders: number; orderItems: number; deletedProducts: number };

export type FillOptions = {
  products: number;
  orders: number;
  seed?: number;
  /** Progress for long fills (the benchmark). */
  onProgress?: (done: number) => void;
};

/**
 * Adds products and orders in one transaction. Every 50th product, and the
 * ten newest, are deleted again before any order is placed, so ids have gaps
 * and the AUTOINCREMENT counter is ahead of the highest id (a table rebuild
 * that forgets the counter would hand those ids out again).
 */
export function fillStore(sqlite: Database.Database, options: FillOptions): StoreData {
  const rand = random(options.seed ?? 1);
  const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)]!;
  const insertProduct = sqlite.prepare(
    `INSERT INTO products (slug, name, description, price_cents, stock, image, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  );
  const insertOrder = sqlite.prepare(
    `INSERT INTO orders (public_id, number, checkout_token, email, customer_name, address_line1, address_line2,
       city, postal_code, country, status, total_cents, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  );
  const insertItem = sqlite.prepare(
    "INSERT INTO order_items (order_id, product_id, product_name, unit_price_cents, quantity) VALUES (?, ?, ?, ?, ?)",
  );
  const setTotal = sqlite.prepare("UPDATE orders SET total_cents = ? WHERE id = ?");
  const deleteProduct = sqlite.prepare("DELETE FROM products WHERE id = ?");
  const start = sqlite.prepare("SELECT coalesce(max(id), 0) FROM products").pluck().get() as number;

  return sqlite.transaction(() => {
    const kept: { id: number; name: string; price: number }[] = [];
    const ids: number[] = [];
    let deleted = 0;
    const t0 = 1_700_000_000;
    for (let i = 1; i <= options.products; i++) {
      const n = start + i;
      const name = `${pick(ADJECTIVES)} ${pick(NOUNS)} ${n}`;
      const price = 100 + Math.floor(rand() * 20_000);
      const { id } = insertProduct.get(
        `product-${n}`,
        name,
        `${name}: handmade, ${pick(ADJECTIVES).toLowerCase()} finish. Größe ${1 + (n % 5)} · ${pick(NOUNS)}`,
        price,
        Math.floor(rand() * 200),
        `/images/products/product-${n}.svg`,
        t0 + n,
        t0 + n,
      ) as { id: number };
      ids.push(id);
      if (i % 50 === 0) {
        deleteProduct.run(id);
        deleted++;
      } else {
        kept.push({ id, name, price });
      }
      if (i % 100_000 === 0) options.onProgress?.(i);
    }
    for (const { id } of kept.splice(-Math.min(10, kept.length))) {
      deleteProduct.run(id);
      deleted++;
    }
    let items = 0;
    let orders = 0;
    const orderStart = sqlite.prepare("SELECT coalesce(max(id), 0) FROM orders").pluck().get() as number;
    for (let i = 1; i <= options.orders && kept.length > 0; i++) {
      const n = orderStart + i;
      const customer = pick(["Zoë Ångström", "Łukasz Żółć", "山田 花子", "Ольга Шевченко", "José Nuñez", "Ada Lovelace"]);
      const { id } = insertOrder.get(
        `pub-${n}-${Math.floor(rand() * 1e9).toString(36)}`,
        `CS-${String(n).padStart(7, "0")}`,
        `tok-${n}`,
        `customer${n}@example.com`,
        customer,
        `${1 + (n % 300)} Hauptstraße`,
        n % 3 === 0 ? "Apt 4" : "",
        pick(["Kraków", "München", "東京", "Київ", "São Paulo", "Reykjavík"]),
        String(10_000 + (n % 89_999)),
        pick(["PL", "DE", "JP", "UA", "BR", "IS"]),
        pick(["placed", "shipped", "cancelled"] as const),
        0,
        t0 + n,
        t0 + n,
      ) as { id: number };
      let total = 0;
      const lines = 1 + Math.floor(rand() * 4);
      for (let l = 0; l < lines; l++) {
        const product = pick(kept);
        const quantity = 1 + Math.floor(rand() * 3);
        insertItem.run(id, product.id, product.name, product.price, quantity);
        total += product.price * quantity;
        items++;
      }
      setTotal.run(total, id);
      orders++;
    }
    return { products: kept.length, orders, orderItems: items, deletedProducts: deleted };
  })();
}

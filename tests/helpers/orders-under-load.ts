// Orders placed over HTTP, one after another from several shoppers at once,
// each with the moment the store acknowledged it (the redirect to the
// order's page). What replication tests measure losses against. Built-ins
// and the shopper helper only: the Docker tests use it too.
import { demoProducts } from "#app/db/demo-products.ts";
import { shopper } from "#tests/helpers/shopper.ts";

export type AckedOrder = { publicId: string; ackedAt: number };

// The whole demo catalog (919 items in stock): a store that lives through
// several tests takes several hundred orders of one item each.
const SLUGS = demoProducts.map((p) => p.slug);

/** Places one order of one item; resolves with its public id once the store has acknowledged it. */
export async function placeOrder(url: string, slug = SLUGS[0]!): Promise<AckedOrder> {
  const me = shopper(url);
  const page = await me.get(`/products/${slug}`);
  const id = /name="productId" value="(\d+)"/.exec(page.html)?.[1];
  if (!id) throw new Error(`no product form on /products/${slug} (status ${page.status})`);
  const added = await me.addToCart({ id, slug }, 1);
  if (added.status !== 302) throw new Error(`add to cart answered ${added.status}`);
  const placed = await me.checkout(await me.checkoutToken());
  const publicId = /^\/orders\/([\w-]+)$/.exec(placed.location ?? "")?.[1];
  if (placed.status !== 302 || !publicId) throw new Error(`checkout answered ${placed.status} ${placed.location}`);
  return { publicId, ackedAt: Date.now() };
}

/**
 * Keeps `shoppers` shoppers ordering until `stop()` is called or the store
 * stops answering. `orders` holds every acknowledged order so far; `done`
 * resolves when all shoppers have given up.
 */
export function ordersUnderLoad(url: string, shoppers = 3) {
  const orders: AckedOrder[] = [];
  let stopped = false;
  const loops = Array.from({ length: shoppers }, async (_, n) => {
    let refused = 0; // in a row
    for (let i = 0; !stopped && refused < SLUGS.length; i++) {
      try {
        orders.push(await placeOrder(url, SLUGS[(n + i * shoppers) % SLUGS.length]));
        refused = 0;
      } catch (error) {
        // No answer: the store went away, which is what the tests do to it.
        if (error instanceof TypeError) return;
        refused++; // that product sold out: the next one
      }
    }
  });
  return {
    orders,
    stop() {
      stopped = true;
    },
    done: Promise.all(loops).then(() => orders),
  };
}

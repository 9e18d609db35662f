// One member of staff (or shopper) as its own process, for the ledger's
// concurrency test, run by plain Node:
//   node tests/helpers/ledger-worker.ts <db> <start at, ms epoch> <staff id> random <ops> <seed> <product ids JSON>
//   node tests/helpers/ledger-worker.ts <db> <start at, ms epoch> <staff id> cancel <order ids JSON>
// It opens its own connection, waits for the common start time, does its
// work and prints a tally as JSON.
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { parseEnv } from "#app/core/env.server.ts";
import { orderLimits } from "#app/shop/cart.server.ts";
import { adjustStock } from "#app/store/inventory.server.ts";
import { transitionOrder } from "#app/staff/order-admin.server.ts";
import { newToken, placeOrder } from "#app/shop/orders.server.ts";

// The caps on one order, read from this process's environment as the store reads its own.
const LIMITS = orderLimits(parseEnv(process.env));

const [path, startAt, staffArg, mode, ...rest] = process.argv.slice(2);
const db = openDatabase(path!);
const staffId = Number(staffArg);
const tally: Record<string, number> = {};
const count = (key: string) => (tally[key] = (tally[key] ?? 0) + 1);
const details = {
  email: "race@example.com",
  customerName: "Race Condition",
  addressLine1: "1 Parallel Street",
  addressLine2: "",
  city: "Concurrency",
  postalCode: "00000",
  country: "Testland",
};

/** mulberry32: the same seed, the same run. */
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

while (Date.now() < Number(startAt)) {
  // Spin: every worker starts at the same moment.
}

if (mode === "cancel") {
  for (const orderId of JSON.parse(rest[0]!) as number[]) {
    count(transitionOrder(db, { orderId, intent: "cancel", expected: "placed", staffId }).status);
  }
} else {
  const [ops, seed, idsJson] = rest;
  const ids = JSON.parse(idsJson!) as number[];
  const rand = random(Number(seed));
  const pick = <T>(items: T[]) => items[Math.floor(rand() * items.length)]!;
  const placedOrder = db.$client.prepare("SELECT id FROM orders WHERE status = 'placed' ORDER BY random() LIMIT 1").pluck();
  for (let i = 0; i < Number(ops); i++) {
    const roll = rand();
    if (roll < 0.45) {
      const first = pick(ids);
      const second = pick(ids);
      const cart = [{ productId: first, quantity: 1 + Math.floor(rand() * 3) }];
      if (second !== first) cart.push({ productId: second, quantity: 1 });
      count(`checkout ${placeOrder(db, { checkoutToken: newToken(), details, cart }, LIMITS).status}`);
    } else if (roll < 0.7) {
      const orderId = placedOrder.get() as number | undefined;
      if (orderId === undefined) count("cancel none");
      else count(`cancel ${transitionOrder(db, { orderId, intent: "cancel", expected: "placed", staffId }).status}`);
    } else if (roll < 0.8) {
      const orderId = placedOrder.get() as number | undefined;
      if (orderId !== undefined) count(`ship ${transitionOrder(db, { orderId, intent: "ship", expected: "placed", staffId }).status}`);
    } else {
      const delta = pick([-3, -2, -1, 1, 2, 4]);
      count(`adjust ${adjustStock(db, { productId: pick(ids), delta, note: "counted", staffId }).status}`);
    }
  }
}
closeDatabase(db);
console.log(JSON.stringify(tally));

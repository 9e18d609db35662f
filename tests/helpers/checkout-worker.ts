// One shopper process for the concurrency test, run by plain Node:
//   node tests/helpers/checkout-worker.ts <db path> <start at (ms epoch)> <attempts> <cart JSON>
// It opens its own connection, waits for the common start time (so every
// worker hammers the database at once), tries to place `attempts` orders of
// the same cart, each with a fresh checkout token, and prints the tally.
import { closeDatabase, openDatabase } from "#app/db/connection.server.ts";
import { parseEnv } from "#app/core/env.server.ts";
import { orderLimits } from "#app/shop/cart.server.ts";
import { newToken, placeOrder, type PlaceOrderResult } from "#app/shop/orders.server.ts";

// The caps on one order, read from this process's environment as the store reads its own.
const LIMITS = orderLimits(parseEnv(process.env));

const [path, startAt, attempts, cartJson] = process.argv.slice(2);
const db = openDatabase(path!);
const cart = JSON.parse(cartJson!) as { productId: number; quantity: number }[];
const details = {
  email: "load@example.com",
  customerName: "Load Test",
  addressLine1: "1 Parallel Street",
  addressLine2: "",
  city: "Concurrency",
  postalCode: "00000",
  country: "Testland",
};

while (Date.now() < Number(startAt)) {
  // Spin: a timer would add jitter between the workers.
}
const tally: Record<PlaceOrderResult["status"], number> = { placed: 0, existing: 0, rejected: 0 };
for (let i = 0; i < Number(attempts); i++) {
  tally[placeOrder(db, { checkoutToken: newToken(), details, cart }, LIMITS).status]++;
}
closeDatabase(db);
console.log(JSON.stringify(tally));

// The one order summary (app/ui/order-summary.tsx over
// app/store/order-summary.server.ts) as both sides draw it, over HTTP: the
// shopper's confirmation page and the staff's order page show the same lines,
// total, ship-to and phone; the staff's adds the SKU; and the shopper's page
// carries none of the staff-only columns, not even in its loader data.
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { productBySlug, tempDir } from "#tests/helpers/db.ts";
import { startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { shopper, text } from "#tests/helpers/shopper.ts";
import { browser, staffAccount } from "#tests/helpers/staff.ts";

let server: ServerProcess;
let db: AppDatabase;

beforeAll(async () => {
  const path = join(tempDir("store-order-pages-"), "store.db");
  server = await startServer({ env: { DATABASE_PATH: path, SEED_DEMO_DATA: "true" } });
  db = openDatabase(path);
});
afterAll(async () => {
  closeDatabase(db);
  if (server) await stopServer(server);
  expect(server?.output() ?? "").not.toMatch(/Error|at \//);
});

/** The item table's rows: [picture, name, (sku,) price, quantity, total], and the footer's total. */
function itemTable(html: string) {
  // The first table after the heading (on the staff's page it sits in a scroll region).
  const table = /<h2[^>]*>Items<\/h2>[\s\S]*?<table[^>]*>([\s\S]*?)<\/table>/.exec(html)?.[1] ?? "";
  const body = /<tbody[^>]*>([\s\S]*?)<\/tbody>/.exec(table)?.[1] ?? "";
  const rows = [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map(([, row]) => [
    /<img [^>]*src="([^"]+)"/.exec(row!)?.[1] ?? "(no picture)",
    ...[...row!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map(([, cell]) => text(cell!).trim()),
  ]);
  const total = text(/<tfoot[^>]*>([\s\S]*?)<\/tfoot>/.exec(table)?.[1] ?? "").trim();
  return { rows, total };
}

/** The ship-to address's lines and the contact lines. */
function shipTo(html: string) {
  const address = /<address[^>]*>([\s\S]*?)<\/address>/.exec(html)?.[1] ?? "";
  const contact = /<h2[^>]*>Contact<\/h2>([\s\S]*?)<\/div>/.exec(html)?.[1] ?? "";
  return {
    address: address.split(/<br\/?>/).map((line) => text(line).trim()),
    contact: [...contact.matchAll(/<p[^>]*>([\s\S]*?)<\/p>/g)].map(([, p]) => text(p!).trim()),
  };
}

it("draws the same lines, total, ship-to and phone on the shopper's and the staff's order page", async () => {
  const mug = productBySlug(db, "stoneware-mug");
  const pen = productBySlug(db, "brass-pen");
  const tin = productBySlug(db, "tea-tin");
  const me = shopper(server.url);
  for (const [product, quantity] of [[mug, 3], [pen, 2], [tin, 1]] as const) {
    expect((await me.addToCart(product, quantity)).status).toBe(302);
  }
  const placed = await me.checkout(await me.checkoutToken(), { addressLine2: "Building 4", phone: "+1 703 555 0142" });
  expect(placed.status).toBe(302);
  const publicId = placed.location!.split("/").pop()!;
  const orderId = db.$client.prepare("SELECT id FROM orders WHERE public_id = ?").pluck().get(publicId) as number;
  // Staff-only columns, with values the shopper must never be sent.
  db.$client
    .prepare("UPDATE orders SET payment_reference = 'pi_staff_only_ref', payment_issue = 'Staff-only issue text.' WHERE id = ?")
    .run(orderId);

  const shop = await me.get(placed.location!);
  expect(shop.status).toBe(200);
  const money = (cents: number) => `$${(cents / 100).toFixed(2)}`;
  const line = (p: typeof mug, quantity: number) => [p.image, p.name, money(p.priceCents), String(quantity), money(p.priceCents * quantity)];
  const lines = [line(mug, 3), line(pen, 2), line(tin, 1)];
  const total = `Total${money(3 * mug.priceCents + 2 * pen.priceCents + tin.priceCents)}`;
  expect(itemTable(shop.html)).toEqual({ rows: lines, total });
  const expectedShipTo = {
    address: ["Grace Hopper", "1 Navy Way", "Building 4", "22201 Arlington", "United States"],
    contact: ["grace@example.com", "+1 703 555 0142"],
  };
  expect(shipTo(shop.html)).toEqual(expectedShipTo);
  expect(shop.html).toContain(`href="/products/${mug.slug}"`);
  for (const secret of ["pi_staff_only_ref", "Staff-only issue text", "paymentIssue", "paymentReference", `"id":${orderId},`]) {
    expect(shop.html).not.toContain(secret);
  }

  await staffAccount(db, "clerk@example.com", "staff");
  const staff = browser(server.url);
  await staff.signIn("clerk@example.com");
  const admin = await staff.get(`/admin/orders/${orderId}`);
  expect(admin.status).toBe(200);
  // The same lines, with the SKU after the name.
  expect(itemTable(admin.html)).toEqual({
    rows: lines.map(([image, name, ...rest], i) => [image!, name!, [mug, pen, tin][i]!.sku, ...rest]),
    total,
  });
  expect(shipTo(admin.html)).toEqual(expectedShipTo);
  expect(admin.html).toContain(`href="/admin/products/${mug.id}"`);
  expect(text(admin.html)).toContain("pi_staff_only_ref");
  expect(text(admin.html)).toContain("Staff-only issue text.");
});

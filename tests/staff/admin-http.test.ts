// The staff side of the production server, over HTTP, as a browser without
// JavaScript uses it: signing in and out, sessions, products, stock and
// orders, and every kind of bad input. A refusal is a 4xx with the message
// on the page and the form as it was sent; nothing is written; never a 500.
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase, type AppDatabase } from "#app/db/connection.server.ts";
import { orders, products, sessions, stockMovements } from "#app/db/schema.ts";
import { ledgerDrift } from "#app/store/inventory.server.ts";
import { newToken, placeOrder } from "#app/shop/orders.server.ts";
import { parseEnv } from "#app/core/env.server.ts";
import { RATE_LIMITED_HEADER } from "#app/web/rate-limited.server.ts";

const SIGN_IN_MAX_FAILURES = parseEnv({}).RATE_LIMIT_SIGN_IN_FAILURES.count;
import { tempDir, ORDER_LIMITS } from "#tests/helpers/db.ts";
import { startServer, stopServer, TEST_PUBLIC_URL, type ServerProcess } from "#tests/helpers/server.ts";
import { customer, shopper, text } from "#tests/helpers/shopper.ts";
import { browser, PASSWORD, PNG, productForm, staffAccount } from "#tests/helpers/staff.ts";

let server: ServerProcess;
let db: AppDatabase;
let ownerId: number;
let staffId: number;

beforeAll(async () => {
  const path = join(tempDir("store-admin-"), "store.db");
  // TRUST_PROXY: the tests play clients at different addresses (X-Forwarded-For)
  // and behind TLS (X-Forwarded-Proto), as a proxy would tell the store.
  server = await startServer({ env: { DATABASE_PATH: path, SEED_DEMO_DATA: "true", TRUST_PROXY: "true" } });
  db = openDatabase(path);
  ownerId = (await staffAccount(db, "owner@example.com", "owner")).id;
  staffId = (await staffAccount(db, "staff@example.com", "staff")).id;
});
afterAll(async () => {
  closeDatabase(db);
  if (server) await stopServer(server);
  // Nothing anyone did here was a server error.
  expect(server?.output() ?? "").not.toMatch(/Error|at \//);
});

const product = (slug: string) => db.select().from(products).where(eq(products.slug, slug)).get();
const movementsOf = (productId: number) =>
  db.select().from(stockMovements).where(eq(stockMovements.productId, productId)).orderBy(stockMovements.id).all();
/** The page's text, a space between elements. */
const page = (html: string) =>
  text(html.replace(/<script[\s\S]*?<\/script>/g, "").replace(/<[^>]+>/g, " ")).replace(/\s+/g, " ");
let address = 0;
/** A client address of its own, so the sign-in limit counts this test alone. */
const fromAddress = () => ({ "X-Forwarded-For": `203.0.113.${++address}` });

describe("signing in", () => {
  it("refuses a wrong password and an unknown email with the same message, keeping the email and never the password", async () => {
    const agent = browser(server.url);
    const headers = fromAddress();
    const wrong = await agent.post("/admin/sign-in", { email: "owner@example.com", password: "not my password" }, headers);
    const unknown = await agent.post("/admin/sign-in", { email: "nobody@example.com", password: PASSWORD }, headers);
    for (const reply of [wrong, unknown]) {
      expect(reply.status).toBe(401);
      expect(page(reply.html)).toContain("That email and password do not match an account.");
      expect(reply.html).not.toContain("not my password");
      expect(reply.html).not.toContain(PASSWORD);
      expect(agent.staffCookie()).toBeUndefined();
    }
    expect(wrong.html).toContain('value="owner@example.com"');
    const empty = await agent.post("/admin/sign-in", { email: "", password: "" }, headers);
    expect(empty.status).toBe(400);
    expect(page(empty.html)).toContain("Enter your email address.");
    expect(page(empty.html)).toContain("Enter your password.");
  });

  it("sets a separate HttpOnly, SameSite=Lax session cookie, Secure only over https, and starts a new session every time", async () => {
    const agent = browser(server.url);
    const first = await agent.post("/admin/sign-in", { email: "staff@example.com", password: PASSWORD });
    expect([first.status, first.location]).toEqual([302, "/admin"]);
    const cookie = first.headers.getSetCookie().find((c) => c.startsWith("__store_staff="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/);
    expect(first.headers.getSetCookie().some((c) => c.startsWith("__store_session="))).toBe(false); // the cart's is another
    const oldToken = agent.staffCookie()!;

    // Signing in again (a planted or an old cookie in the jar) rotates it.
    const again = await agent.post("/admin/sign-in", { email: "staff@example.com", password: PASSWORD });
    expect(again.status).toBe(302);
    expect(agent.staffCookie()).not.toBe(oldToken);
    const stale = browser(server.url);
    stale.jar.set("__store_staff", oldToken);
    expect((await stale.get("/admin")).status).toBe(302);
    expect((await agent.get("/admin")).status).toBe(200);

    // Behind a TLS-terminating proxy (TRUST_PROXY), the cookie is Secure.
    const viaTls = await browser(server.url).post(
      "/admin/sign-in",
      { email: "staff@example.com", password: PASSWORD },
      { "X-Forwarded-Proto": "https", Origin: server.url.replace("http:", "https:") },
    );
    expect(viaTls.status).toBe(302);
    expect(viaTls.headers.getSetCookie().find((c) => c.startsWith("__store_staff="))).toMatch(/; Secure/);
  });

  it("goes back to the page asked for, and never off the store's admin", async () => {
    const cases: [string, string][] = [
      ["/admin/orders?status=placed", "/admin/orders?status=placed"],
      ["https://evil.example/admin", "/admin"],
      ["//evil.example/admin", "/admin"],
      ["/\\evil.example", "/admin"],
      ["/admin\\@evil.example", "/admin/@evil.example"],
      ["/administrator", "/admin"],
      ["/admin/sign-out", "/admin"],
      ["javascript:alert(1)", "/admin"],
      ["/orders", "/admin"],
    ];
    for (const [next, landing] of cases) {
      const reply = await browser(server.url).post("/admin/sign-in", { email: "staff@example.com", password: PASSWORD, next });
      expect([reply.status, reply.location], next).toEqual([302, landing]);
    }
    // The sign-in page carries next through as a hidden field.
    const form = await browser(server.url).get("/admin/sign-in?next=%2Fadmin%2Forders");
    expect(form.html).toContain('name="next" value="/admin/orders"');
  });

  it(`is limited to ${SIGN_IN_MAX_FAILURES} failures per address: then 429 with a message and Retry-After, even for the right password`, async () => {
    const headers = fromAddress();
    const agent = browser(server.url);
    for (let i = 0; i < SIGN_IN_MAX_FAILURES; i++) {
      expect((await agent.post("/admin/sign-in", { email: "owner@example.com", password: `guess ${i}` }, headers)).status).toBe(401);
    }
    const blocked = await agent.post("/admin/sign-in", { email: "owner@example.com", password: PASSWORD }, headers);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(60);
    expect(page(blocked.html)).toContain("Too many failed sign-ins from your network. Try again in 15 minutes.");
    expect(agent.staffCookie()).toBeUndefined();
    // The same through React Router's data request (JavaScript on).
    expect((await agent.post("/admin/sign-in.data", { email: "owner@example.com", password: PASSWORD }, headers)).status).toBe(429);

    // Another address is not affected, and the mark cannot be forged.
    const other = fromAddress();
    expect((await browser(server.url).post("/admin/sign-in", { email: "owner@example.com", password: PASSWORD }, other)).status).toBe(302);
    const forged = await browser(server.url).post(
      "/admin/sign-in",
      { email: "owner@example.com", password: PASSWORD },
      { ...fromAddress(), [RATE_LIMITED_HEADER]: "sign-in;900" },
    );
    expect(forged.status).toBe(302);
  });

  it("signs out with a POST: the session row is gone and the old cookie opens nothing", async () => {
    const agent = browser(server.url);
    await agent.signIn("staff@example.com");
    const token = agent.staffCookie()!;
    const before = db.select().from(sessions).all().length;
    expect((await agent.get("/admin/sign-out")).status).toBe(302); // a GET changes nothing
    expect(db.select().from(sessions).all()).toHaveLength(before);
    const out = await agent.post("/admin/sign-out", {});
    expect([out.status, out.location]).toEqual([302, "/admin/sign-in?signed-out=1"]);
    expect(agent.staffCookie()).toBeUndefined();
    expect(db.select().from(sessions).all()).toHaveLength(before - 1);
    expect(page((await agent.get(out.location!)).html)).toContain("You are signed out.");
    const replay = browser(server.url);
    replay.jar.set("__store_staff", token);
    const reply = await replay.get("/admin/orders");
    expect([reply.status, reply.location]).toEqual([302, "/admin/sign-in?next=%2Fadmin%2Forders"]);
    expect(replay.staffCookie()).toBeUndefined(); // the dead cookie is cleared
  });
});

describe("staff accounts, by the owner", () => {
  it("adds someone with a one-time link they use to choose a password; disabling them signs them out at once", async () => {
    const owner = browser(server.url);
    await owner.signIn("owner@example.com");
    const bad = await owner.post("/admin/staff", { intent: "create", email: "not an email", role: "boss" });
    expect(bad.status).toBe(400);
    expect(page(bad.html)).toContain("Enter an email address like name@example.com.");
    expect(page(bad.html)).toContain("Choose owner or staff.");
    expect(bad.html).toContain('value="not an email"');

    const created = await owner.post("/admin/staff", { intent: "create", email: "Clerk@Example.com", role: "staff" });
    expect(created.status).toBe(200);
    // On PUBLIC_URL, not the address the request came to (tests/staff/public-url.test.ts).
    const link = new RegExp(`${TEST_PUBLIC_URL}(/admin/welcome/[\\w-]{43})`).exec(created.html)?.[1];
    expect(link).toBeDefined();
    const twice = await owner.post("/admin/staff", { intent: "create", email: "clerk@example.com", role: "owner" });
    expect(twice.status).toBe(409);
    expect(page(twice.html)).toContain("There is already an account for clerk@example.com.");

    const clerk = browser(server.url);
    const welcome = await clerk.get(link!);
    expect(welcome.status).toBe(200);
    expect(welcome.html).toContain('<meta name="referrer" content="same-origin"/>');
    expect(page(welcome.html)).toContain("clerk@example.com");
    const mismatch = await clerk.post(link!, { password: "a good long password", confirm: "another long password" });
    expect(mismatch.status).toBe(400);
    expect(page(mismatch.html)).toContain("The two passwords are not the same.");
    expect(mismatch.html).not.toContain("a good long password");
    expect(page((await clerk.post(link!, { password: "short", confirm: "short" })).html)).toContain("Use at least 12 characters.");
    const chosen = await clerk.post(link!, { password: "a good long password", confirm: "a good long password" });
    expect([chosen.status, chosen.location]).toEqual([302, "/admin"]);
    expect(page((await clerk.get("/admin")).html)).toContain("Welcome! You are signed in as clerk@example.com.");
    expect((await clerk.get(link!)).status).toBe(404);
    expect(page((await browser(server.url).get(link!)).html)).toContain("expired or has already been used");

    // The clerk is staff: the staff page is not theirs.
    expect((await clerk.get("/admin/staff")).status).toBe(403);

    const staffPage = await owner.get("/admin/staff");
    const clerkId = /name="staffId" value="(\d+)"[\s\S]{0,400}?New sign-in link<span class="sr-only">: clerk@example.com/.exec(staffPage.html)?.[1];
    expect(clerkId).toBeDefined();
    const disabled = await owner.post("/admin/staff", { intent: "disable", staffId: clerkId! });
    expect(disabled.status).toBe(302);
    expect(page((await owner.get("/admin/staff")).html)).toContain("Disabled clerk@example.com");
    expect((await clerk.get("/admin")).status).toBe(302);
    const again = await browser(server.url).post("/admin/sign-in", { email: "clerk@example.com", password: "a good long password" }, fromAddress());
    expect(again.status).toBe(401);

    // The owner cannot lock the store out of itself.
    const self = await owner.post("/admin/staff", { intent: "disable", staffId: String(ownerId) });
    expect(self.status).toBe(409);
    expect(page(self.html)).toContain("You cannot change your own account here.");
  });
});

describe("products", () => {
  let staff: ReturnType<typeof browser>;
  beforeAll(async () => {
    staff = browser(server.url);
    await staff.signIn("staff@example.com");
  });

  const fields = { name: "Oak Stool", slug: "", sku: "oak-1", price: "$1,249.5", stock: "4", description: "Three legs, one seat." };

  it("creates one with a SKU, a price, opening stock and an image; it is in the catalog and search at once", async () => {
    const created = await staff.post("/admin/products/new", productForm(fields, { bytes: PNG, name: "stool.png", type: "image/png" }));
    expect(created.status, page(created.html)).toBe(302);
    const stool = product("oak-stool")!;
    expect(stool).toMatchObject({ name: "Oak Stool", sku: "OAK-1", priceCents: 124_950, stock: 4, archivedAt: null });
    // Stored as its variants (tests/staff/product-images.test.ts); the product keeps the largest JPEG.
    expect(stool.image).toMatch(/^\/uploads\/products\/[0-9a-f]{64}-1x1\.jpg$/);
    expect(created.location).toBe(`/admin/products/${stool.id}`);
    expect(page((await staff.get(created.location!)).html)).toContain("Created Oak Stool (SKU OAK-1).");
    expect(movementsOf(stool.id)).toMatchObject([{ delta: 4, reason: "initial", note: "new product", orderId: null }]);
    expect(movementsOf(stool.id)[0]!.staffId).toBe(staffId); // who created it

    const catalog = page((await shopper(server.url).get("/?q=oak+stool")).html);
    expect(catalog).toContain("1 product matches “oak stool”");
    const productPage = page((await shopper(server.url).get("/products/oak-stool")).html);
    expect(productPage).toContain("SKU OAK-1");
    expect(productPage).toContain("$1,249.50");
    const image = await fetch(`${server.url}${stool.image}`);
    expect([image.status, image.headers.get("content-type")]).toEqual([200, "image/jpeg"]);
    expect(image.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    // Only names the store made are served; nothing else under /uploads.
    expect((await fetch(`${server.url}/uploads/products/../../store.db`)).status).toBe(404);
    expect((await fetch(`${server.url}/uploads/store.db`)).status).toBe(404);

    // No SKU given: the store makes one from the id.
    const generated = await staff.post("/admin/products/new", productForm({ ...fields, name: "Oak Bench", sku: "", stock: "0" }));
    expect(generated.status).toBe(302);
    const bench = product("oak-bench")!;
    expect(bench.sku).toBe(`CS-${String(bench.id).padStart(6, "0")}`);
    expect(bench.image).toBe("/images/products/placeholder.svg");
    expect(movementsOf(bench.id)).toEqual([]); // nothing in stock, nothing to record
  });

  it("answers a duplicate SKU or slug beside its field, from the unique index, keeping everything typed and the uploaded image", async () => {
    const count = db.select().from(products).all().length;
    const dupSku = await staff.post(
      "/admin/products/new",
      productForm({ ...fields, name: "Oak Stool Two", sku: "kit-101" }, { bytes: PNG, name: "two.png", type: "image/png" }),
    );
    expect(dupSku.status).toBe(400);
    expect(page(dupSku.html)).toContain("Another product already has this SKU. SKUs must be unique.");
    expect(dupSku.html).toContain('value="Oak Stool Two"');
    expect(dupSku.html).toContain("Three legs, one seat.");
    // The image went up with the refused form; it comes back with the next one.
    const kept = /name="uploadedImage" value="(\/uploads\/products\/[0-9a-f]{64}-\d+x\d+\.jpg)"/.exec(dupSku.html)?.[1];
    expect(kept).toBeDefined();

    const dupSlug = await staff.post("/admin/products/new", productForm({ ...fields, name: "Stoneware Mug", slug: "", sku: "NEW-9", uploadedImage: kept! }));
    expect(dupSlug.status).toBe(400);
    expect(page(dupSlug.html)).toContain("Another product already has this web address.");
    expect(db.select().from(products).all()).toHaveLength(count);

    const fixed = await staff.post("/admin/products/new", productForm({ ...fields, name: "Oak Stool Two", sku: "OAK-2", uploadedImage: kept! }));
    expect(fixed.status).toBe(302);
    expect(product("oak-stool-two")!.image).toBe(kept);
    // A made-up address is not taken as an upload.
    const forgeries = [
      "/uploads/../store.db",
      `/uploads/products/${"0".repeat(64)}.png`,
      `/uploads/products/${"0".repeat(64)}-1x1.jpg`,
      kept!.replace(/\.jpg$/, ".webp"),
      "https://evil.example/x.png",
    ];
    for (const [n, uploadedImage] of forgeries.entries()) {
      const forged = await staff.post("/admin/products/new", productForm({ ...fields, name: `Forged ${n}`, sku: `F-${n}`, uploadedImage }));
      expect(forged.status).toBe(302);
      expect(product(`forged-${n}`)!.image, uploadedImage).toBe("/images/products/placeholder.svg");
    }
  });

  it("refuses bad fields and bad images with messages, writing nothing", async () => {
    const count = db.select().from(products).all().length;
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
    const cases: [Record<string, string>, { bytes: Uint8Array<ArrayBuffer>; name: string; type: string } | undefined, string[]][] = [
      [{ ...fields, name: "", price: "", description: "" }, undefined, ["Enter the product's name.", "Enter the price, like 12.50.", "Enter a description."]],
      [{ ...fields, price: "12.345" }, undefined, ["Enter the price in dollars, like 12.50."]],
      [{ ...fields, price: "-3" }, undefined, ["Enter the price in dollars, like 12.50."]],
      [{ ...fields, stock: "-1" }, undefined, ["Enter the stock as a whole number, 0 or more."]],
      [{ ...fields, stock: "1e3" }, undefined, ["Enter the stock as a whole number, 0 or more."]],
      [{ ...fields, sku: "no spaces allowed" }, undefined, ["Use letters, digits, dots, dashes and underscores"]],
      [{ ...fields, sku: "CS-000777" }, undefined, ["Codes like CS-000042 are made by the store"]],
      [{ ...fields, slug: "Not A Slug!" }, undefined, ["Use lower-case letters a–z, digits and single dashes"]],
      [{ ...fields, name: "湯呑み", slug: "" }, undefined, ["Enter a slug (the product's web address)"]],
      [{ ...fields, sku: "SVG-1" }, { bytes: svg, name: "evil.svg", type: "image/svg+xml" }, ["Upload a PNG, JPEG or WebP image."]],
      [{ ...fields, sku: "SVG-2" }, { bytes: svg, name: "looks-fine.png", type: "image/png" }, ["Upload a PNG, JPEG or WebP image."]],
      [{ ...fields, sku: "BIG-1" }, { bytes: new Uint8Array(5 * 1024 * 1024 + 10).fill(0x89), name: "big.png", type: "image/png" }, ["The image is just over 5 MB; the most is 5 MB."]],
    ];
    for (const [form, image, messages] of cases) {
      const reply = await staff.post("/admin/products/new", productForm(form, image));
      expect(reply.status, JSON.stringify(form)).toBe(400);
      for (const message of messages) expect(page(reply.html), JSON.stringify(form)).toContain(message);
    }
    // Past the body limit the image (the form's last field) is dropped, and the form comes back with
    // what was typed before it, and the image's message (readUploadForm).
    const huge = await staff.post("/admin/products/new", productForm({ ...fields, sku: "HUGE-1" }, { bytes: new Uint8Array(6 * 1024 * 1024), name: "x.png", type: "image/png" }));
    expect(huge.status).toBe(400);
    expect(page(huge.html)).toContain("The image is 6.0 MB; the most is 5 MB. Make it smaller and upload it again.");
    expect(huge.html).toContain('value="HUGE-1"');
    expect(huge.html).toContain("Three legs, one seat.");
    // JSON instead of a form.
    const json = await staff.post("/admin/products/new", {}, { "Content-Type": "application/json" });
    expect(json.status).toBe(415);
    expect(db.select().from(products).all()).toHaveLength(count);
  });

  it("refuses names and descriptions that hide or reorder text, writing nothing, and stores names in NFC", async () => {
    const count = db.select().from(products).all().length;
    const cases: [Record<string, string>, string][] = [
      // Only invisible characters: zero-width space, joiner, word joiner, BOM, soft hyphen, Hangul filler.
      [{ name: "\u200B\u200D\u2060\uFEFF\u00AD\u3164" }, "Enter the product's name: this one has only invisible characters."],
      [{ name: " \u200B \u200C " }, "Enter the product's name: this one has only invisible characters."],
      // A right-to-left override shows "Oak Stool" for text stored backwards; isolates likewise.
      [{ name: "\u202Eloots kaO" }, "The name contains a text direction control (U+202E)"],
      [{ name: "Oak \u2066Stool\u2069" }, "The name contains a text direction control (U+2066)"],
      [{ name: "Oak\u0000Stool" }, "The name contains a control character (U+0000)"],
      [{ name: "Oak\tStool" }, "The name contains a control character (U+0009)"], // fine in a description, not in a name
      [{ description: "Three legs.\u0007" }, "The description contains a control character (U+0007)"],
      [{ description: "\u200B\u200B" }, "Enter a description: this one has only invisible characters."],
      [{ description: "Sale \u202Dnow" }, "The description contains a text direction control (U+202D)"],
    ];
    for (const [i, [changes, message]] of cases.entries()) {
      // A slug of its own, so only the name or description can be the problem.
      const reply = await staff.post("/admin/products/new", productForm({ ...fields, sku: "", slug: `hidden-${i}`, ...changes }));
      expect(reply.status, JSON.stringify(changes)).toBe(400);
      expect(page(reply.html), JSON.stringify(changes)).toContain(message);
    }
    expect(db.select().from(products).all()).toHaveLength(count);
    // Refused on edit too.
    const stool = product("oak-stool")!;
    const edit = await staff.post(
      `/admin/products/${stool.id}`,
      productForm({ name: "\u200B", slug: stool.slug, sku: stool.sku, price: "1", description: "x" }),
    );
    expect(edit.status).toBe(400);
    expect(product("oak-stool")!.name).toBe(stool.name);

    // Decomposed "é" (e + combining accent) is stored composed; line breaks in a
    // description and joiners inside words (emoji, Persian) are text, not tricks.
    const saved = await staff.post(
      "/admin/products/new",
      productForm({ ...fields, name: "Cafe\u0301 Table \u{1F469}\u200D\u{1F373}", sku: "", description: "Walnut top.\r\nSteel legs.\tمی\u200Cخواهم" }),
    );
    expect(saved.status, page(saved.html)).toBe(302);
    const cafe = product("cafe-table")!;
    expect(cafe.name).toBe("Caf\u00E9 Table \u{1F469}\u200D\u{1F373}");
    expect(cafe.description).toBe("Walnut top.\r\nSteel legs.\tمی\u200Cخواهم");
  });

  it("edits a product, keeping its SKU unique and never empty, and leaves its stock to the ledger", async () => {
    const stool = product("oak-stool")!;
    const edit = (changes: Record<string, string>) =>
      staff.post(`/admin/products/${stool.id}`, productForm({ name: stool.name, slug: stool.slug, sku: stool.sku, price: "99", description: "Now cheaper.", stock: "999", ...changes }));
    expect((await edit({})).status).toBe(302);
    expect(product("oak-stool")).toMatchObject({ priceCents: 9900, description: "Now cheaper.", stock: 4, image: stool.image });
    const blank = await edit({ sku: "" });
    expect(blank.status).toBe(400);
    expect(page(blank.html)).toContain("Enter a SKU: every product has one.");
    const taken = await edit({ sku: "KIT-101" });
    expect(page(taken.html)).toContain("Another product already has this SKU.");
    expect(product("oak-stool")!.sku).toBe("OAK-1");
    // A product whose SKU the store generated keeps it through an edit.
    const bench = product("oak-bench")!;
    const keep = await staff.post(
      `/admin/products/${bench.id}`,
      productForm({ name: bench.name, slug: bench.slug, sku: bench.sku, price: "10", description: "Bench." }),
    );
    expect(keep.status).toBe(302);
    expect((await staff.get("/admin/products/999999")).status).toBe(404);
    expect((await staff.post("/admin/products/999999", productForm(fields))).status).toBe(404);
  });

  it("archives: the catalog, search and checkout stop selling it; carts and past orders still show it; unarchiving brings it back", async () => {
    const mug = product("stoneware-mug")!;
    const buyer = shopper(server.url);
    expect((await buyer.addToCart(mug, 1)).status).toBe(302);
    const token = await buyer.checkoutToken();
    const pastOrder = placeOrder(db, { checkoutToken: newToken(), details: customer, cart: [{ productId: mug.id, quantity: 1 }] }, ORDER_LIMITS);
    expect(pastOrder.status).toBe("placed");

    const archived = await staff.post(`/admin/products/${mug.id}`, { intent: "archive" });
    expect(archived.status).toBe(302);
    expect(product("stoneware-mug")!.archivedAt).not.toBeNull();

    const anyone = shopper(server.url);
    expect(page((await anyone.get("/")).html)).not.toContain("Stoneware Mug");
    expect(page((await anyone.get("/?q=stoneware")).html)).toContain("No products match “stoneware”");
    const productPage = page((await anyone.get("/products/stoneware-mug")).html);
    expect(productPage).toContain("No longer sold");
    expect(productPage).not.toContain("Add to cart");
    const add = await anyone.addToCart(mug, 1);
    expect(add.status).toBe(400);
    expect(page(add.html)).toContain("No longer sold");
    // Already in a cart: shown, flagged, and the order is refused as a whole.
    expect(page((await buyer.get("/cart")).html)).toContain("This product is no longer sold.");
    const checkout = await buyer.checkout(token);
    expect(checkout.status).toBe(409);
    expect(page(checkout.html)).toContain("Stoneware Mug is no longer sold.");
    // A past order still shows it, by name and price.
    if (pastOrder.status !== "placed") throw new Error("no order");
    expect(page((await anyone.get(`/orders/${pastOrder.publicId}`)).html)).toContain("Stoneware Mug");

    expect((await staff.post(`/admin/products/${mug.id}`, { intent: "unarchive" })).status).toBe(302);
    expect(page((await anyone.get("/?q=stoneware")).html)).toContain("1 product matches");
    expect((await buyer.checkout(token)).status).toBe(302);
  });

  it("deletes a product that was never sold, and refuses (409) for one that was", async () => {
    const bench = product("oak-bench")!;
    expect((await staff.post(`/admin/products/${bench.id}`, { intent: "delete" })).status).toBe(302);
    expect(product("oak-bench")).toBeUndefined();
    const mug = product("stoneware-mug")!;
    const refused = await staff.post(`/admin/products/${mug.id}`, { intent: "delete" });
    expect(refused.status).toBe(409);
    expect(page(refused.html)).toContain("Stoneware Mug has been sold, so its orders still need it. Archive it instead");
    expect(product("stoneware-mug")).toBeDefined();
    expect((await staff.post(`/admin/products/${mug.id}`, { intent: "explode" })).status).toBe(400);
  });

  it("lists with search by name or SKU, status and paging", async () => {
    // OAK-1 and OAK-2 by SKU prefix, and the Oak Desk Organizer by name.
    expect(page((await staff.get("/admin/products?q=oak-")).html)).toContain("3 products matching “oak-”");
    expect(page((await staff.get("/admin/products?q=DSK-20")).html)).toContain("8 products matching “DSK-20”");
    expect(page((await staff.get("/admin/products?q=stool")).html)).toContain("Oak Stool Two");
    expect(page((await staff.get("/admin/products?page=2")).html)).toContain("Page 2 of 2");
    expect((await staff.get("/admin/products?q=%22%27%3B--&status=nonsense&page=-4")).status).toBe(200);

    // Archived, on sale and all, with one product archived: each lists exactly its own.
    /** The product ids a list page links to, top to bottom (newest first). */
    const listed = (html: string) => [...html.matchAll(/href="\/admin\/products\/(\d+)"/g)].map((m) => Number(m[1]));
    const two = product("oak-stool-two")!;
    expect((await staff.post(`/admin/products/${two.id}`, { intent: "archive" })).status).toBe(302);
    const everyId = db.select({ id: products.id }).from(products).all().map((p) => p.id).sort((a, b) => b - a);
    const archived = await staff.get("/admin/products?status=archived");
    expect(page(archived.html)).toMatch(/(^|\s)1 product(\s|$)/);
    expect(listed(archived.html)).toEqual([two.id]);
    expect(page(archived.html)).toContain("Oak Stool Two OAK-2");
    const all = await staff.get("/admin/products?status=all");
    expect(page(all.html)).toContain(`${everyId.length} products`);
    expect(listed(all.html)).toEqual(everyId.slice(0, 20));
    const onSale = await staff.get("/admin/products");
    expect(page(onSale.html)).toContain(`${everyId.length - 1} products`);
    expect(listed(onSale.html)).toEqual(everyId.filter((id) => id !== two.id).slice(0, 20));
    // With a search: "stool" finds both stools, one of them archived.
    expect(listed((await staff.get("/admin/products?q=stool&status=all")).html)).toEqual([two.id, product("oak-stool")!.id]);
    expect(listed((await staff.get("/admin/products?q=stool")).html)).toEqual([product("oak-stool")!.id]);
    expect((await staff.post(`/admin/products/${two.id}`, { intent: "unarchive" })).status).toBe(302);
  });
});

describe("stock", () => {
  it("adjusts with a note, refuses to go below zero, and shows the history with the stock after each change", async () => {
    const staff = browser(server.url);
    await staff.signIn("staff@example.com");
    const lamp = product("desk-lamp")!;
    const url = `/admin/products/${lamp.id}/stock`;
    const added = await staff.post(url, { delta: "+5", note: "Delivery from the supplier" });
    expect([added.status, added.location]).toEqual([302, url]);
    expect(product("desk-lamp")!.stock).toBe(lamp.stock + 5);
    const history = page((await staff.get(url)).html);
    expect(history).toContain(`Stock changed by +5: ${lamp.stock + 5} in stock now.`);
    expect(history).toContain(`Adjustment Delivery from the supplier +5 ${lamp.stock + 5} staff@example.com`);
    expect(history).toContain(`Opening balance demo catalog +${lamp.stock} ${lamp.stock} The store`);

    const before = movementsOf(lamp.id).length;
    for (const [form, message, status] of [
      [{ delta: "-1000", note: "oops" }, `There are only ${lamp.stock + 5} in stock now: stock cannot go below 0.`, 409],
      [{ delta: "0", note: "nothing" }, "A change of 0 changes nothing.", 400],
      [{ delta: "two", note: "x" }, "Enter a whole number, like 5 to add or -2 to remove.", 400],
      [{ delta: "3", note: "  " }, "Say why, for the history", 400],
      [{ delta: "9999999", note: "typo" }, "Adjust by at most 100,000 at a time.", 400],
    ] as const) {
      const reply = await staff.post(url, form);
      expect(reply.status, form.delta).toBe(status);
      expect(page(reply.html)).toContain(message);
      expect(reply.html).toContain(`value="${form.note}"`);
    }
    expect(movementsOf(lamp.id)).toHaveLength(before);
    expect(ledgerDrift(db).filter((p) => p.id === lamp.id)).toEqual([]);
  });
});

describe("orders", () => {
  let staff: ReturnType<typeof browser>;
  let other: ReturnType<typeof browser>;
  beforeAll(async () => {
    staff = browser(server.url);
    await staff.signIn("staff@example.com");
    other = browser(server.url);
    await other.signIn("owner@example.com");
  });

  function order(quantity = 2, slug = "soy-candle") {
    const candle = product(slug)!;
    const placed = placeOrder(db, { checkoutToken: newToken(), details: customer, cart: [{ productId: candle.id, quantity }] }, ORDER_LIMITS);
    if (placed.status !== "placed") throw new Error(placed.status);
    return db.select().from(orders).where(eq(orders.publicId, placed.publicId)).get()!;
  }

  it("marks a manual order paid, then ships it; shipping an unpaid order is refused; a stale page gets a 409 that says what happened", async () => {
    const o = order();
    const url = `/admin/orders/${o.id}`;
    const status = () => db.select().from(orders).where(eq(orders.id, o.id)).get()!.status;
    const detail = page((await staff.get(url)).html);
    expect(detail).toContain(`Order ${o.number}`);
    expect(detail).toContain("Grace Hopper");
    expect(detail).toContain("Mark paid");
    expect(detail).not.toContain("Mark shipped");
    // The server refuses, whatever a hand-made form says the page showed.
    const unpaid = await staff.post(url, { intent: "ship", status: "placed" });
    expect(unpaid.status).toBe(409);
    expect(page(unpaid.html)).toContain("Nothing changed: this order is placed meanwhile");
    expect(status()).toBe("placed");

    const paid = await staff.post(url, { intent: "pay", status: "placed" });
    expect([paid.status, paid.location]).toEqual([302, url]);
    expect(status()).toBe("paid");
    expect(db.select().from(orders).where(eq(orders.id, o.id)).get()!.paidAt).toBeInstanceOf(Date);
    const afterPay = page((await staff.get(url)).html);
    expect(afterPay).toContain(`Order ${o.number} is marked paid: it can be shipped.`);
    expect(afterPay).toContain("Mark shipped");
    expect(afterPay).not.toContain("Mark paid");

    const shipped = await staff.post(url, { intent: "ship", status: "paid" });
    expect([shipped.status, shipped.location]).toEqual([302, url]);
    expect(status()).toBe("shipped");
    expect(page((await staff.get(url)).html)).toContain(`Order ${o.number} is marked shipped.`);

    const stale = await other.post(url, { intent: "cancel", status: "placed" });
    expect(stale.status).toBe(409);
    expect(page(stale.html)).toContain("Nothing changed: this order was shipped meanwhile");
    expect(status()).toBe("shipped");
    expect((await staff.post(url, { intent: "ship", status: "shipped" })).status).toBe(409);
    expect((await staff.post(url, { intent: "pay", status: "paid" })).status).toBe(409);
    expect((await staff.post(url, { intent: "refund", status: "placed" })).status).toBe(400);
    expect((await staff.get("/admin/orders/424242")).status).toBe(404);
  });

  it("cancels with the stock returned and recorded; two staff cancelling at once return it once", async () => {
    const candle = () => product("soy-candle")!;
    const o = order(3);
    const stock = candle().stock;
    const url = `/admin/orders/${o.id}`;
    const [a, b] = await Promise.all([
      staff.post(url, { intent: "cancel", status: "placed" }),
      other.post(url, { intent: "cancel", status: "placed" }),
    ]);
    expect([a.status, b.status].sort()).toEqual([302, 409]);
    expect(candle().stock).toBe(stock + 3);
    const returned = db.select().from(stockMovements).where(eq(stockMovements.orderId, o.id)).orderBy(stockMovements.id).all();
    expect(returned.map((m) => [m.reason, m.delta])).toEqual([
      ["sale", -3],
      ["cancellation", 3],
    ]);
    // Recorded as the one whose cancel went through.
    const [by, email] = a.status === 302 ? [staffId, "staff@example.com"] : [ownerId, "owner@example.com"];
    expect(returned[1]!.staffId).toBe(by);
    expect(page((await staff.get(url)).html)).toContain(`Returned to stock 3 × Soy Candle (by ${email})`);
    expect(ledgerDrift(db)).toEqual([]);
  });

  it("lists orders by status, newest first, with paging", async () => {
    const newestFirst = (list: { id: number; createdAt: Date }[]) =>
      [...list].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id).map((o) => o.id);
    const placedBefore = db.select().from(orders).where(eq(orders.status, "placed")).all();
    // 26 more, placed within a second or two. Their times are then spread out
    // so that newest first is neither the order they were placed in nor its
    // reverse, all newer than the orders above; two share a second, and then
    // the later one (the higher id) comes first.
    const made = Array.from({ length: 26 }, () => order(1, "pencil-bundle"));
    const hourAhead = Math.floor(Date.now() / 1000) + 3600;
    const seconds = made.map((_, i) => hourAhead + ((i * 11) % 26) * 60);
    seconds[20] = seconds[3]!;
    made.forEach((o, i) => db.update(orders).set({ createdAt: new Date(seconds[i]! * 1000) }).where(eq(orders.id, o.id)).run());
    const expected = [
      ...newestFirst(made.map((o, i) => ({ id: o.id, createdAt: new Date(seconds[i]! * 1000) }))),
      ...newestFirst(placedBefore),
    ];
    expect(expected.indexOf(made[20]!.id)).toBe(expected.indexOf(made[3]!.id) - 1);

    /** The order ids a list page links to, top to bottom. */
    const listed = (html: string) => [...html.matchAll(/href="\/admin\/orders\/(\d+)"/g)].map((m) => Number(m[1]));
    const first = await staff.get("/admin/orders?status=placed");
    const second = await staff.get("/admin/orders?status=placed&page=2");
    expect(page(first.html)).toContain(`${expected.length} orders`);
    expect(page(first.html)).toContain("Page 1 of 2");
    expect(page(second.html)).toContain("Page 2 of 2");
    expect(listed(first.html)).toEqual(expected.slice(0, 25));
    expect(listed(second.html)).toEqual(expected.slice(25));
    expect(page(first.html)).not.toContain("shipped");
    // A page past the end shows the last one.
    expect(listed((await staff.get("/admin/orders?status=placed&page=9")).html)).toEqual(expected.slice(25));

    // The other filters: each lists exactly its orders, and all of them add up.
    const byStatus = (status: string) => db.select().from(orders).where(eq(orders.status, status as "placed")).all();
    for (const status of ["shipped", "cancelled"]) {
      const reply = await staff.get(`/admin/orders?status=${status}`);
      const expectedHere = newestFirst(byStatus(status));
      expect(expectedHere.length, status).toBe(1); // from the two tests above
      expect(page(reply.html)).toMatch(/(^|\s)1 order(\s|$)/);
      expect(listed(reply.html), status).toEqual(expectedHere);
    }
    const all = db.select().from(orders).all();
    expect(all).toHaveLength(expected.length + 2);
    const everything = await staff.get("/admin/orders?status=all");
    expect(page(everything.html)).toContain(`${all.length} orders`);
    expect(listed(everything.html)).toEqual(newestFirst(all).slice(0, 25));
    // An unknown status is all of them; a page that is not a number, the first.
    const lost = await staff.get("/admin/orders?status=lost&page=abc");
    expect(lost.status).toBe(200);
    expect(listed(lost.html)).toEqual(listed(everything.html));
  });

  it("shows each order's units in the list: every line, every quantity", async () => {
    // Several lines and quantities above 1, so a count of lines, of one line,
    // or a constant cannot pass for the sum (issue 23: every order showed 1).
    const line = (slug: string, quantity: number) => ({ productId: product(slug)!.id, quantity });
    const place = (cart: { productId: number; quantity: number }[]) => {
      const placed = placeOrder(db, { checkoutToken: newToken(), details: customer, cart }, ORDER_LIMITS);
      if (placed.status !== "placed") throw new Error(placed.status);
      return db.select().from(orders).where(eq(orders.publicId, placed.publicId)).get()!;
    };
    const three = place([line("soy-candle", 2), line("pencil-bundle", 3), line("taper-candles", 1)]);
    const four = place([line("soy-candle", 4)]);
    // Every page of the list: the test above leaves orders dated later than now.
    let html = "";
    for (let page = 1; page <= 5; page++) html += (await staff.get(`/admin/orders?status=all&page=${page}`)).html;
    /** The cells of the list's row for an order. */
    const row = (number: string) => {
      const tr = html.split("<tr").find((r) => r.includes(`>${number}</a>`)) ?? "";
      return [...tr.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => page(m[1]!).trim());
    };
    expect(row(three.number)[3]).toBe("6");
    expect(row(four.number)[3]).toBe("4");
  });
});

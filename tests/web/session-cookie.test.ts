// The cart cookie, as browsers see it: at most one Set-Cookie per response
// whatever loaders and actions ran, Secure exactly when the shopper's
// connection is HTTPS (directly or through a trusted proxy), and a warning
// when a production store is reached over plain HTTP from another machine.
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "#tests/helpers/db.ts";
import { startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";
import { shopper, text, type Reply } from "#tests/helpers/shopper.ts";

const SESSION = "__store_session=";
const sessionCookies = (reply: Pick<Reply, "setCookies">) => reply.setCookies.filter((c) => c.startsWith(SESSION));

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer({ env: { DATABASE_PATH: join(tempDir("store-cookie-"), "store.db"), SEED_DEMO_DATA: "true" } });
});
afterAll(async () => {
  if (server) await stopServer(server);
});

describe("one Set-Cookie per response", () => {
  it("on every page and every action, as documents and as .data requests, with a notice pending", async () => {
    const me = shopper(server.url);
    const mug = { id: 1, slug: "stoneware-mug" };
    const seen: { what: string; count: number }[] = [];
    const record = (what: string, reply: Reply) => {
      seen.push({ what, count: sessionCookies(reply).length });
      return reply;
    };

    // Actions leave a notice pending; the next page shows and clears it.
    record("add (document)", await me.addToCart(mug, 1));
    record("add (.data)", await me.post("/products/stoneware-mug.data", { productId: "1", quantity: "1" }));
    // Checkout with the notice still pending: its loader sets the checkout
    // token and the root loader takes the notice, in one response.
    const checkout = record("checkout page with a notice", await me.get("/checkout"));
    expect(checkout.html).toContain("Added 1 × Stoneware Mug to your cart.");
    expect(checkout.html).toMatch(/name="checkoutToken" value="[\w-]{22}"/);
    // The token that page showed is the one the saved session holds: the
    // next load shows the same token (a second Set-Cookie would have lost it).
    const token = /name="checkoutToken" value="([\w-]{22})"/.exec(checkout.html)![1]!;
    expect(await me.checkoutToken()).toBe(token);
    record("checkout.data with a notice", (await me.addToCart(mug, 1), await me.get("/checkout.data")));
    for (const path of ["/", "/?q=mug", "/products/stoneware-mug", "/cart", "/orders", "/cart.data", "/products/brass-pen.data"]) {
      record(`GET ${path}`, await me.get(path));
    }
    record("cart update", await me.post("/cart", { intent: "update", productId: "1", quantity: "2" }));
    record("cart page after update", await me.get("/cart"));
    record("refused cart update", await me.post("/cart", { intent: "update", productId: "1", quantity: "0" }));
    record("refused checkout", await me.checkout(token, { email: "" }));
    record("lookup", await me.post("/orders", { number: "ABCD-EFGH", email: "a@example.com" }));
    record("checkout", await me.checkout(token));

    expect(seen.filter((s) => s.count > 1)).toEqual([]);
    // Responses that changed nothing in the session send no cookie at all.
    expect(seen.find((s) => s.what === "GET /orders")!.count).toBe(0);
    expect(seen.find((s) => s.what === "add (document)")!.count).toBe(1);
  });
});

/** A POST as a browser on `host` sends it, through whatever headers a proxy adds. */
function postAs(host: string, headers: Record<string, string> = {}) {
  const body = "productId=1&quantity=1";
  return new Promise<{ status: number; cookies: string[] }>((resolve, reject) => {
    const request = httpRequest(`${server.url}/products/stoneware-mug`, {
      method: "POST",
      headers: {
        Host: host,
        Origin: `${headers["X-Forwarded-Proto"] ?? "http"}://${host}`,
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": Buffer.byteLength(body),
        ...headers,
      },
    });
    request.on("response", (response) => {
      response.resume();
      resolve({ status: response.statusCode!, cookies: (response.headers["set-cookie"] ?? []).filter((c) => c.startsWith(SESSION)) });
    });
    request.on("error", reject);
    request.end(body);
  });
}

describe("the Secure attribute follows the shopper's connection, not NODE_ENV", () => {
  it("is off over plain HTTP, so the browser keeps the cart, and the log says once how to add TLS", async () => {
    for (let i = 0; i < 3; i++) {
      const reply = await postAs("store.test:3000");
      expect(reply.status).toBe(302);
      expect(reply.cookies).toHaveLength(1);
      expect(reply.cookies[0]).not.toMatch(/;\s*Secure/i);
    }
    const warnings = server.output().split("serving store.test over plain HTTP").length - 1;
    expect(warnings).toBe(1);
    expect(server.output()).toContain("Put a TLS-terminating proxy in front and set TRUST_PROXY");
  });

  it("says nothing for localhost, where browsers allow it", async () => {
    const local = await startServer({ env: { DATABASE_PATH: join(tempDir("store-cookie-"), "store.db"), SEED_DEMO_DATA: "true" } });
    try {
      const reply = await fetch(`${local.url}/products/stoneware-mug`, {
        method: "POST",
        body: new URLSearchParams({ productId: "1", quantity: "1" }),
        headers: { Origin: local.url },
        redirect: "manual",
      });
      expect(reply.status).toBe(302);
      expect(reply.headers.getSetCookie()[0]).not.toMatch(/;\s*Secure/i);
    } finally {
      await stopServer(local);
    }
    expect(local.output()).not.toContain("plain HTTP");
  });

  it("is on behind a TLS-terminating proxy trusted with TRUST_PROXY, and then nothing is logged", async () => {
    const proxied = await startServer({
      env: { DATABASE_PATH: join(tempDir("store-cookie-"), "store.db"), SEED_DEMO_DATA: "true", TRUST_PROXY: "true" },
    });
    const previous = server;
    server = proxied;
    try {
      const reply = await postAs("shop.example", { "X-Forwarded-Proto": "https" });
      expect(reply.status).toBe(302);
      expect(reply.cookies).toHaveLength(1);
      expect(reply.cookies[0]).toMatch(/;\s*Secure/i);
    } finally {
      server = previous;
      await stopServer(proxied);
    }
    expect(proxied.output()).not.toContain("plain HTTP");
  });
});

describe("rotating the session secret", () => {
  it("keeps carts signed with the old secret when it follows the new one, and signs new cookies with the new one", async () => {
    const [oldSecret, newSecret] = [randomBytes(32).toString("hex"), randomBytes(32).toString("hex")];
    const path = join(tempDir("store-rotate-"), "store.db");
    const before = await startServer({ env: { DATABASE_PATH: path, SEED_DEMO_DATA: "true", SESSION_SECRETS: oldSecret } });
    const me = shopper(before.url);
    expect((await me.addToCart({ id: 1, slug: "stoneware-mug" }, 2)).status).toBe(302);
    const signedWithOld = me.cookie();
    await stopServer(before);

    const after = await startServer({ env: { DATABASE_PATH: path, SESSION_SECRETS: `${newSecret},${oldSecret}` } });
    try {
      const again = shopper(after.url);
      again.setCookie(signedWithOld);
      expect(text((await again.get("/cart")).html)).toContain("Subtotal (2 items)");
      // The next change writes the cookie again, signed with the new secret:
      // a server that knows only the new one reads it.
      expect((await again.addToCart({ id: 1, slug: "stoneware-mug" }, 1)).status).toBe(302);
      expect(again.cookie()).not.toBe(signedWithOld);
      const renewed = again.cookie();
      await stopServer(after);
      const onlyNew = await startServer({ env: { DATABASE_PATH: path, SESSION_SECRETS: newSecret } });
      try {
        const later = shopper(onlyNew.url);
        later.setCookie(renewed);
        expect(text((await later.get("/cart")).html)).toContain("Subtotal (3 items)");
        later.setCookie(signedWithOld);
        expect(text((await later.get("/cart")).html)).toContain("Your cart is empty.");
      } finally {
        await stopServer(onlyNew);
      }
    } finally {
      if (after.child.exitCode === null) await stopServer(after);
    }
  });
});

// The store behind a TLS-terminating proxy, as most deployments run it: the
// browser talks HTTPS to the proxy, the proxy plain HTTP to the store with
// X-Forwarded-Proto, and TRUST_PROXY tells the store to believe it. The cart
// cookie must then be Secure, and the cart must work, with JavaScript and
// without.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer, type Server } from "node:https";
import { join } from "node:path";
import { cartLink, expect, test } from "#tests/helpers/browser.ts";
import { tempDir } from "#tests/helpers/db.ts";
import { startServer, stopServer, type ServerProcess } from "#tests/helpers/server.ts";

let store: ServerProcess;
let proxy: Server;
let origin: string;

function selfSignedCertificate(dir: string) {
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
    "-subj", "/CN=store.test", "-addext", "subjectAltName=DNS:store.test",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
  ], { stdio: "ignore" });
  return { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
}

test.beforeAll(async () => {
  const dir = tempDir("store-tls-");
  store = await startServer({ env: { DATABASE_PATH: join(dir, "store.db"), SEED_DEMO_DATA: "true", TRUST_PROXY: "true" } });
  const upstream = new URL(store.url);
  // What nginx or Caddy do: keep the Host, say the scheme was https.
  proxy = createServer(selfSignedCertificate(dir), (req, res) => {
    const forwarded = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, "x-forwarded-proto": "https" } },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as { port: number };
  origin = `https://store.test:${port}`;
});

test.afterAll(async () => {
  proxy?.close();
  if (store) await stopServer(store);
});

test.use({ ignoreHTTPSErrors: true });

test("behind a TLS proxy the cart cookie is Secure and the cart keeps its items", async ({ page, context }) => {
  await page.goto(`${origin}/products/stoneware-mug`);
  await page.getByLabel("Quantity").fill("2");
  await page.getByRole("button", { name: "Add to cart" }).click();
  await expect(page).toHaveURL(`${origin}/products/stoneware-mug`);
  await expect(page.getByRole("status")).toContainText("Added 2 × Stoneware Mug to your cart.");
  await expect(cartLink(page)).toHaveAccessibleName("Cart 2 items");

  const [cookie] = (await context.cookies(origin)).filter((c) => c.name === "__store_session");
  expect(cookie).toMatchObject({ secure: true, httpOnly: true, sameSite: "Lax" });

  await cartLink(page).click();
  await expect(page).toHaveURL(`${origin}/cart`);
  await expect(page.getByText("Subtotal (2 items): $36.00")).toBeVisible();
  expect(store.output()).not.toContain("plain HTTP");
});

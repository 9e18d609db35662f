// The image, built from the project's Dockerfile and run with its
// docker-compose.yml the way the README does, in scratch folders with their
// own ./data. Runs as its own step, `npm run test:docker` (part of `npm test`),
// and only where a Docker engine answers. The scenarios build on each other:
// one store is started, stopped, recreated and upgraded; the release step and
// the bad setups get stores of their own.
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoProducts } from "#app/db/demo-products.ts";
import { PROJECT_ROOT } from "#tests/helpers/db.ts";
import { composeStore, type ComposeStore } from "#tests/helpers/compose-store.ts";
import { bindMountsKeepOwners, docker, dockerSkipReason, run } from "#tests/helpers/docker.ts";
import { appendMigration } from "#tests/helpers/migrations.ts";
import { customer, shopper } from "#tests/helpers/shopper.ts";
import { GPS_EXIF, photo } from "#tests/helpers/images.ts";
import { browser, PASSWORD, productForm } from "#tests/helpers/staff.ts";

// Skipped (with a line saying so) without a Docker engine; a failure under
// REQUIRE_DOCKER, whether run by `npm run test:docker` or directly.
const unavailable = dockerSkipReason();
const ownersKept = !unavailable && bindMountsKeepOwners();
const IMAGE = `corner-store-test:${process.pid}`;
const UPGRADE = "9000_add_gift_note_to_orders";

/** Every file and folder under `dir` (itself included) with its owner. */
function owners(dir: string): { path: string; uid: number; gid: number }[] {
  const entries = readdirSync(dir, { recursive: true }).map((p) => join(dir, String(p)));
  return [dir, ...entries].map((path) => {
    const { uid, gid } = lstatSync(path);
    return { path: relative(dir, path) || ".", uid, gid };
  });
}

const megabytes = (bytes: number) => Math.round(bytes / 1e6);

describe.skipIf(unavailable)("the image under Docker Compose", () => {
  const stores: ComposeStore[] = [];
  const images = new Set<string>([IMAGE]);
  let store: ComposeStore; // the one that lives through start, stop, recreate and upgrade
  let seeded: number;
  let order: { public_id: string; email: string };

  async function newStore(env: Record<string, string> = {}) {
    const created = await composeStore({ image: IMAGE, env });
    stores.push(created);
    return created;
  }

  beforeAll(async () => {
    // The store's public address (the CLI prints links on it); .env.example's
    // http://localhost:3000 serves the other stores.
    store = await newStore({ PUBLIC_URL: "https://shop.example" });
    const started = performance.now();
    await store.must("build");
    console.log(`image built in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    images.add(await docker("image", "inspect", "-f", "{{.Id}}", IMAGE));
  });

  // Containers and networks of every project, then the images this run
  // built. The build cache (untagged stage images) stays, as after any
  // `docker build`, so the next run is quick.
  afterAll(async () => {
    for (const created of stores) await created.remove();
    for (const image of images) await run("docker", ["rmi", "-f", image]);
  });

  it("holds the server and its runtime dependencies only: no dev tooling, no .env, no tests, no settings", async () => {
    const script = `
      const fs = require("node:fs");
      const ls = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);
      const modules = ls("/app/node_modules").flatMap((m) =>
        m.startsWith("@") ? ls("/app/node_modules/" + m).map((s) => m + "/" + s) : [m]);
      console.log(JSON.stringify({ app: ls("/app"), data: ls("/app/data"), modules }));`;
    const listing = JSON.parse(await docker("run", "--rm", "--network", "none", "--entrypoint", "node", IMAGE, "-e", script)) as {
      app: string[];
      data: string[];
      modules: string[];
    };
    // The build context held .env, tests/, docs/ and the rest of the project.
    // (server.ts is in build/, bundled; app/ holds what the CLI loads.)
    expect(listing.app.sort()).toEqual(["app", "build", "data", "drizzle", "node_modules", "package.json"]);
    expect(listing.data).toEqual([]);
    expect(listing.modules).toEqual(expect.arrayContaining(["drizzle-orm", "better-sqlite3", "react-router", "express"]));
    const devTools = ["drizzle-kit", "vite", "typescript", "playwright", "playwright-core", "@playwright/test", "vitest", "@react-router/dev", "esbuild", "eslint"];
    expect(listing.modules.filter((m) => devTools.includes(m))).toEqual([]);

    const [image] = JSON.parse(await docker("image", "inspect", IMAGE)) as { Size: number; Config: { Env: string[] } }[];
    expect(image!.Config.Env).toContain("NODE_ENV=production");
    expect(image!.Config.Env.filter((e) => /^(DATABASE|SESSION|PUBLIC|PORT|MIGRATE)/.test(e))).toEqual([]);

    const base = /^ARG NODE_IMAGE=(\S+)/m.exec(readFileSync(join(PROJECT_ROOT, "Dockerfile"), "utf8"))![1]!;
    const baseSize = Number(await docker("image", "inspect", "-f", "{{.Size}}", base));
    const added = image!.Size - baseSize;
    console.log(`image ${megabytes(image!.Size)} MB = base ${base} ${megabytes(baseSize)} MB + ${megabytes(added)} MB`);
    // The dev dependencies alone would add about 480 MB.
    expect(megabytes(added)).toBeLessThan(150);
  });

  it("`up -d --build` turns healthy, serves the seeded catalog and takes an order", async () => {
    await store.prepareData();
    await store.must("up", "-d", "--build");
    await store.healthy();

    // What is bound: every interface in the container (and no replica: it is off by default).
    expect(await store.logs()).toContain("[store] listening on 0.0.0.0:3000 (production)");
    expect(await store.logs()).not.toContain("replica");
    seeded = Number(/seeded (\d+) demo products/.exec(await store.logs())?.[1]);
    expect(seeded).toBe(demoProducts.length);
    expect(await store.sql("SELECT count(*) AS n FROM products")).toEqual([{ n: seeded }]);
    const catalog = await fetch(`${store.url}/`);
    expect(catalog.status).toBe(200);
    expect((await catalog.text()).match(/href="\/products\/[\w-]+"/g)?.length).toBeGreaterThan(0);

    const me = shopper(store.url);
    const product = await me.get("/products/stoneware-mug");
    expect(product.status).toBe(200);
    const id = /name="productId" value="(\d+)"/.exec(product.html)![1]!;
    expect(await me.addToCart({ id, slug: "stoneware-mug" }, 2)).toMatchObject({ status: 302 });
    const placed = await me.checkout(await me.checkoutToken());
    expect(placed.status).toBe(302);
    const publicId = /^\/orders\/([\w-]+)$/.exec(placed.location ?? "")![1]!;
    order = { public_id: publicId, email: customer.email };
    expect(await store.sql("SELECT public_id, email FROM orders")).toEqual([order]);
  });

  it("`stop` drains and exits 0 within the grace period", async () => {
    const grace = Number(/stop_grace_period: (\d+)s/.exec(readFileSync(join(store.dir, "docker-compose.yml"), "utf8"))![1]);
    const started = performance.now();
    await store.must("stop");
    const seconds = (performance.now() - started) / 1000;

    // 143: SIGTERM reached a shell (shell-form CMD), which died without
    // passing it on, so node never drained; 137: SIGKILL after the grace period.
    expect((await store.inspect()).state.ExitCode).toBe(0);
    expect(seconds).toBeLessThan(grace);
    const log = await store.logs();
    // One process, or (WEB_CONCURRENCY, one per CPU by default) every worker and then the primary.
    expect(log).toMatch(/\[store(?: w1)?\] SIGTERM: draining \(deadline \d+ ms\)\n(?:[^\n]*\n)*?\[store(?: w1)?\] stopped/);
    expect(log).toContain("[store] stopped\n");
  });

  it("`down` then `up` keeps the data: migrations up to date, no re-seed, the order still there", async () => {
    await store.must("down");
    await store.must("up", "-d");
    await store.healthy();
    const log = await store.logs();
    expect(log).toContain("[store] migrations: up to date");
    expect(log).not.toMatch(/seeded \d+/);
    expect(await store.sql("SELECT count(*) AS n FROM products")).toEqual([{ n: seeded }]);
    expect(await store.sql("SELECT public_id, email FROM orders")).toEqual([order]);
  });

  it("creates the first owner with the image's own CLI; they sign in and upload a photo, re-encoded by sharp, that lands in ./data", async () => {
    const created = await store.compose(
      "run", "--rm", "store", "node", "app/cli/cli.ts", "staff", "create",
      "--email", "Owner@Example.com", "--role", "owner",
    );
    const output = created.stdout + created.stderr;
    expect(created.code, output).toBe(0);
    expect(output).toContain("created owner account owner@example.com");
    const link = /https:\/\/shop\.example(\/admin\/welcome\/[\w-]{43})/.exec(output)?.[1];
    expect(link).toBeDefined();

    const owner = browser(store.url);
    expect((await owner.get(link!)).status).toBe(200);
    const welcomed = await owner.post(link!, { password: PASSWORD, confirm: PASSWORD });
    expect([welcomed.status, welcomed.location]).toEqual([302, "/admin"]);
    expect((await owner.get("/admin")).status).toBe(200);

    const saved = await owner.post(
      "/admin/products/new",
      productForm(
        { name: "Volume Vase", sku: "VOL-1", price: "19.00", stock: "3", description: "Kept on the volume." },
        { bytes: await photo(1600, 1200, { exif: GPS_EXIF }), name: "vase.jpg", type: "image/jpeg" },
      ),
    );
    expect(saved.status, saved.html).toBe(302);
    // sharp's native library loaded in the image (npm ci --omit=dev kept its platform package).
    const src = /src="(\/uploads\/products\/[0-9a-f]{64}-1200x900\.jpg)"/.exec((await owner.get(saved.location!)).html)?.[1];
    expect(src).toBeDefined();
    // On the host, in the bind-mounted ./data, so it survives the container.
    const hash = src!.split("/").pop()!.slice(0, 64);
    expect(readdirSync(join(store.data, "uploads", "products")).sort()).toEqual(
      ["1200x900.jpg", "1200x900.webp", "400x300.jpg", "400x300.webp", "800x600.jpg", "800x600.webp"].map((v) => `${hash}-${v}`),
    );
    const served = await fetch(`${store.url}${src}`);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("image/jpeg");
    const metadata = await sharp(Buffer.from(await served.arrayBuffer())).metadata();
    expect([metadata.format, metadata.width, metadata.height, metadata.exif]).toEqual(["jpeg", 1200, 900, undefined]);

    const check = await store.compose("exec", "-T", "store", "node", "app/cli/cli.ts", "inventory", "check");
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });

  it("an upgrade with one more migration applies it once, after a snapshot, keeping earlier orders", async () => {
    const before = await store.inspect();
    // The next release: the same project with one more migration, rebuilt
    // and started on the old ./data (`git pull && docker compose up -d --build`).
    appendMigration(join(store.dir, "drizzle"), UPGRADE, "ALTER TABLE `orders` ADD `gift_note` text DEFAULT '' NOT NULL;");
    await store.must("up", "-d", "--build");
    const after = await store.inspect();
    images.add(after.image);
    expect(after.image).not.toBe(before.image);
    await store.healthy();

    let log = await store.logs();
    expect(log).toMatch(/\[store\] migrations: snapshot \/app\/data\/backups\/pre-migrate_\S+\.db/);
    expect(log).toContain(`[store] migrations: applied ${UPGRADE}`);
    const snapshots = readdirSync(join(store.data, "backups"));
    expect(snapshots).toEqual([expect.stringMatching(/^pre-migrate_.*\.db$/)]);
    expect(await store.sql("SELECT public_id, email, gift_note FROM orders")).toEqual([{ ...order, gift_note: "" }]);
    expect((await fetch(`${store.url}/orders/${order.public_id}`)).status).toBe(200);

    // A restart finds nothing to do: applied once, recorded once.
    await store.must("restart");
    await store.until("the restarted store to be ready", async () => (await fetch(`${store.url}/health/ready`)).status === 200);
    log = await store.logs();
    expect(log.match(new RegExp(`applied ${UPGRADE}`, "g"))).toHaveLength(1);
    expect(log.trimEnd().split("\n").filter((l) => l.includes("migrations:")).at(-1)).toBe("[store] migrations: up to date");
    const journal = JSON.parse(readFileSync(join(store.dir, "drizzle", "meta", "_journal.json"), "utf8")) as { entries: unknown[] };
    const applied = await store.sql<{ created_at: number }>("SELECT created_at FROM __drizzle_migrations");
    expect(applied).toHaveLength(journal.entries.length);
    expect(new Set(applied.map((m) => m.created_at)).size).toBe(applied.length);
  });

  it("runs as uid 1000", async () => {
    const { id } = await store.inspect();
    const processes = await docker("top", id, "-eo", "pid,uid,args");
    expect(processes).toMatch(/^\s*\d+\s+1000\s+node build\/server\/server\.js\s*$/m);
    expect(processes).not.toMatch(/^\s*\d+\s+0\s/m);
    // Replication off: the entry script replaced itself with node (exec): no
    // shell stays behind, no litestream runs (only init's command line names the script).
    expect(processes).not.toMatch(/^\s*\d+\s+\d+\s+(\/bin\/sh |sh |\S*litestream )/m);
  });

  it.skipIf(!ownersKept)("writes nothing to ./data on the host that uid 1000 does not own, nor that another account may read", async () => {
    // A backup from the running store, as docs/operations.md shows it.
    expect(await store.must("exec", "-T", "store", "node", "app/cli/cli.ts", "backup")).toMatch(/backup written to \/app\/data\/backups\//);
    const found = owners(store.data);
    expect(found.map((f) => f.path)).toEqual(
      expect.arrayContaining(["store.db", "store.db-wal", "store.db-shm", "backups", expect.stringMatching(/^backups\/pre-migrate_/)]),
    );
    expect(found.filter((f) => f.uid !== 1000 || f.gid !== 1000)).toEqual([]);
    // Files 0600, folders 0700, as the store creates them (./data itself is the operator's).
    const modes = found
      .filter((f) => f.path !== ".")
      .map((f) => ({ path: f.path, mode: (lstatSync(join(store.data, f.path)).mode & 0o777).toString(8) }));
    expect(modes.filter((m) => m.mode !== "600" && m.mode !== "700")).toEqual([]);
  });

  it("release step: with MIGRATE_ON_START=false it is not ready until `run --rm store node app/cli/cli.ts migrate`, then ready by itself", async () => {
    // A fresh store on the image built above; nothing to build.
    const release = await newStore({ MIGRATE_ON_START: "false" });
    await release.prepareData();
    await release.must("up", "-d");
    await release.until("the store to listen", async () => (await release.logs()).includes("[store] listening"));
    expect(await release.logs()).toMatch(/migrations: \d+ pending .*MIGRATE_ON_START=false, so not ready/);
    const ready = await fetch(`${release.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get("retry-after")).toBeNull(); // for probes; pages tell people when to come back
    const page = await fetch(`${release.url}/`);
    expect(page.status).toBe(503);
    expect(page.headers.get("retry-after")).toBe("5");
    // Docker's probe asks /health/ready too, so it fails until the schema is current.
    await release.until("Docker's first health probe", async () => ((await release.inspect()).state.Health?.Log?.length ?? 0) > 0, 30_000);
    const { state } = await release.inspect();
    expect(state.Health!.Log!.map((probe) => probe.ExitCode)).not.toContain(0);
    expect(state.Health!.Status).not.toBe("healthy");

    // The same image as a one-off container; it needs no session secret
    // (a Kubernetes Job or platform release hook gets none).
    const migrate = await release.compose("run", "--rm", "-e", "SESSION_SECRETS=", "store", "node", "app/cli/cli.ts", "migrate");
    expect(migrate.code, migrate.stdout + migrate.stderr).toBe(0);
    expect(migrate.stdout).toMatch(/migrations: \d+ applied/);

    await release.until("the store to turn ready", async () => (await fetch(`${release.url}/health/ready`)).status === 200, 30_000);
    expect(await release.logs()).toContain("[store] migrations: applied by another process; ready");
    await release.healthy();
    expect((await fetch(`${release.url}/products/stoneware-mug`)).status).toBe(200);
  });

  describe("bad setups: the store exits 1 with one clear line, and `restart: unless-stopped` restarts it over and over", () => {
    async function restartLoop(broken: ComposeStore) {
      // Compose reports success: the container starts, then exits.
      const up = await broken.compose("up", "-d");
      expect(up.code).toBe(0);
      await broken.until("two restarts", async () => (await broken.inspect()).restarts >= 2, 30_000);
      const log = await broken.logs();
      expect(log).not.toContain("listening");
      return log;
    }

    it.skipIf(!ownersKept)("a ./data the container cannot write: names the fix, and the store comes up by itself once it is applied", async () => {
      const broken = await newStore();
      // No prepareData(): Docker creates the missing ./data, owned by root.
      const log = await restartLoop(broken);
      // One line: the folder, the user, the fix.
      expect(log).toMatch(
        /^\[store\] .*\/app\/data is not writable by the server \(running as uid 1000, gid 1000; it belongs to uid 0, gid 0\)\. .*sudo chown -R 1000:1000 \.\/data/m,
      );
      expect(owners(broken.data)).toEqual([{ path: ".", uid: 0, gid: 0 }]);

      await broken.prepareData(); // the fix from the log line
      await broken.until("the looping store to turn healthy", async () => (await broken.inspect()).state.Health?.Status === "healthy", 120_000);
    });

    it("no SESSION_SECRETS (.env.example copied as is): says which variable and how to make one, touches no data", async () => {
      const broken = await newStore({ SESSION_SECRETS: "" });
      await broken.prepareData();
      const log = await restartLoop(broken);
      expect(log).toContain(
        "[store] Invalid environment: SESSION_SECRETS is required in production (generate one: openssl rand -hex 32)",
      );
      expect(readdirSync(broken.data)).toEqual([]);
    });

    it("no PUBLIC_URL (an .env from before the setting): says which variable and what it holds, touches no data", async () => {
      const broken = await newStore({ PUBLIC_URL: "" });
      await broken.prepareData();
      const log = await restartLoop(broken);
      expect(log).toContain(
        "[store] Invalid environment: PUBLIC_URL is required in production: the address people use to reach the store, like https://shop.example.com",
      );
      expect(readdirSync(broken.data)).toEqual([]);
    });
  });
});

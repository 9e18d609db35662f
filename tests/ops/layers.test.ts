// The layer rule in eslint.config.js, run on code that breaks it and code that keeps it
// (docs/architecture.md). `npm run lint` runs it on the tree; this proves it can fail.
import { join } from "node:path";
import { ESLint } from "eslint";
import { beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "#tests/helpers/db.ts";

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: PROJECT_ROOT });
});

async function layerProblems(file: string, code: string) {
  const [result] = await eslint.lintText(code, { filePath: join(PROJECT_ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === "layers/imports").map((m) => m.message);
}

describe("the layer rule", () => {
  it.each([
    ["app/db/x.server.ts", `import { addToCart } from "#app/shop/cart.server.ts";`, "app/db/ may not import app/shop/"],
    ["app/core/x.ts", `import type { AppDatabase } from "#app/db/connection.server.ts";`, "app/core/ may not import app/db/"],
    ["app/store/x.server.ts", `export { cartLines } from "#app/shop/cart.server.ts";`, "app/store/ may not import app/shop/"],
    ["app/shop/x.server.ts", `import { staffById } from "#app/staff/staff.server.ts";`, "app/shop/ may not import app/staff/"],
    ["app/staff/x.server.ts", `import { placeOrder } from "#app/shop/orders.server.ts";`, "app/staff/ may not import app/shop/"],
    ["app/staff/routes/x.tsx", `import { addToCart } from "#app/shop/cart.server.ts";`, "app/staff/routes/ may not import app/shop/"],
    ["app/shop/routes/x.tsx", `import { staffById } from "#app/staff/staff.server.ts";`, "app/shop/routes/ may not import app/staff/"],
    ["app/shop/x.server.ts", `import { session } from "#app/web/session.server.ts";`, "app/shop/ may not import app/web/"],
    ["app/web/x.server.ts", `import { Field } from "#app/ui/field.tsx";`, "app/web/ may not import app/ui/"],
    ["app/store/x.server.ts", `import { Pagination } from "#app/ui/pagination.tsx";`, "app/store/ may not import app/ui/"],
    ["app/web/x.server.ts", `const cli = await import("#app/cli/cli.ts");`, "app/web/ may not import app/cli/"],
    ["app/ops/x.server.ts", `import * as cli from "#app/cli/staff-cli.server.ts";`, "app/ops/ may not import app/cli/"],
    ["app/ui/x.tsx", `import { loader } from "#app/shop/routes/cart.tsx";`, "Nothing imports a route module"],
    ["app/shop/routes/x.tsx", `import { loader } from "#app/shop/routes/cart.tsx";`, "Nothing imports a route module"],
    ["server.ts", `import { loader } from "#app/staff/routes/layout.tsx";`, "Nothing imports a route module"],
    ["app/db/x.server.ts", `import "#app/root.tsx";`, "the files at the top of app/ are entry points"],
    ["app/payment/x.server.ts", `import { env } from "#app/core/env.server.ts";`, "app/payment/ is not a layer"],
    ["app/shop/x.server.ts", `import { x } from "#app/payment/x.server.ts";`, "app/payment/ is not a layer"],
  ])("refuses %s: %s", async (file, code, message) => {
    const problems = await layerProblems(file, code);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it.each([
    ["app/db/x.server.ts", `import { KnownError } from "#app/core/errors.ts";`],
    ["app/shop/x.server.ts", `import { products } from "#app/db/schema.ts"; import { productBySlug } from "#app/store/products.server.ts";`],
    ["app/shop/routes/x.tsx", `import { session } from "#app/web/session.server.ts"; import { Field } from "#app/ui/field.tsx"; import { cartLines } from "#app/shop/cart.server.ts";`],
    ["app/staff/routes/x.tsx", `import { requireStaff } from "#app/staff/staff-auth.server.ts"; import { PageHeading } from "#app/ui/kit.tsx";`],
    ["app/web/x.server.ts", `import { session } from "#app/shop/cart.server.ts"; import { staff } from "#app/staff/staff.server.ts";`],
    ["app/cli/x.ts", `const { status } = await import("#app/ops/status.server.ts");`],
    ["app/ui/x.tsx", `import { formatPrice } from "#app/core/money.ts"; import { Field } from "#app/ui/field.tsx";`],
    ["app/root.tsx", `import { session } from "#app/web/session.server.ts"; import { Field } from "#app/ui/field.tsx";`],
    ["server.ts", `import { migrate } from "#app/db/migrator.server.ts"; import { drain } from "#app/web/drain.server.ts";`],
    ["tests/shop/x.test.ts", `import { loader } from "#app/shop/routes/cart.tsx";`],
  ])("allows %s: %s", async (file, code) => {
    expect(await layerProblems(file, code)).toEqual([]);
  });
});

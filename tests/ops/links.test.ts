// Addresses are built with React Router's href() from the route table's
// patterns (app/routes.ts), so renaming a route fails the typecheck instead
// of leaving a link to nowhere: no page, shared component or staff rule
// writes a store address by hand. Two kinds of file are left out: the sign-in
// check (app/staff/staff-auth.server.ts), which tests addresses it is given,
// and comparisons with the current path (and a cookie's Path).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { PROJECT_ROOT } from "#tests/helpers/db.ts";

const folders = ["app/staff", "app/staff/routes", "app/shop/routes", "app/ui"];
const files = ["app/root.tsx"];
const exempt = new Set(["app/staff/staff-auth.server.ts"]);
// A quoted address of the store's: /admin…, /products/…, /orders…, /cart, /checkout, or "/" alone.
const address = /["'`]\/(?:(?:admin|products|orders|cart|checkout)(?=[/"'`?$])|(?=["'`]))/;

it("builds every address in the pages, the shared components and the staff rules with href()", () => {
  const all = [
    ...files,
    ...folders.flatMap((folder) => readdirSync(join(PROJECT_ROOT, folder)).filter((n) => /\.tsx?$/.test(n)).map((n) => `${folder}/${n}`)),
  ];
  const handWritten: string[] = [];
  for (const file of all.filter((f) => !exempt.has(f))) {
    readFileSync(join(PROJECT_ROOT, file), "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (/^\s*(\/\/|\*)/.test(line) || /pathname\s*[!=]==|path: "\/"/.test(line)) return;
        const code = line.replace(/href\("[^"]*"/g, "");
        if (address.test(code)) handWritten.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  expect(handWritten).toEqual([]);
});

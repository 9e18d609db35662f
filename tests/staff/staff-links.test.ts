// Staff addresses are built with React Router's href() from the route table's
// patterns (app/routes.ts), so renaming a staff route fails the typecheck
// instead of leaving a link to nowhere: no staff page, staff rule or shared
// component writes an /admin address by hand. The sign-in check's own path
// tests in app/staff/staff-auth.server.ts read addresses, not write them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { PROJECT_ROOT } from "#tests/helpers/db.ts";

const folders = ["app/staff", "app/staff/routes", "app/ui"];
const exempt = new Set(["app/staff/staff-auth.server.ts"]);

it("builds every /admin address with href()", () => {
  const handWritten: string[] = [];
  for (const folder of folders) {
    for (const name of readdirSync(join(PROJECT_ROOT, folder)).filter((n) => /\.tsx?$/.test(n))) {
      const file = `${folder}/${name}`;
      if (exempt.has(file)) continue;
      readFileSync(join(PROJECT_ROOT, file), "utf8")
        .split("\n")
        .forEach((line, i) => {
          // An /admin address in quotes or backticks that is not href()'s pattern argument.
          const code = line.replace(/href\("\/admin[^"]*"/g, "");
          if (/["'`]\/admin(?=[/"'`?$])/.test(code) && !/^\s*(\/\/|\*)/.test(line)) handWritten.push(`${file}:${i + 1}: ${line.trim()}`);
        });
    }
  }
  expect(handWritten).toEqual([]);
});

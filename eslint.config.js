import { relative, sep } from "node:path";
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

// The layers of app/ (docs/architecture.md, docs/decisions/032-the-house.md): what each folder may
// import besides itself. Routes are imported by nothing (React Router loads them through
// app/routes.ts), and ui only by routes, ui and the files at the top of app/.
const LAYERS = {
  core: [],
  db: ["core"],
  store: ["core", "db"],
  shop: ["core", "db", "store"],
  staff: ["core", "db", "store"],
  web: ["core", "db", "store", "shop", "staff"],
  ops: ["core", "db", "store", "shop", "staff", "web"],
  cli: ["core", "db", "store", "shop", "staff", "web", "ops"],
  ui: ["core", "store"],
  "shop/routes": ["core", "db", "store", "shop", "web", "ui"],
  "staff/routes": ["core", "db", "store", "staff", "web", "ui"],
};
const ROOT = import.meta.dirname;

/** "shop/routes", "db"…; "top" for server.ts and the files directly in app/; null outside app/. */
function layerOf(path) {
  const parts = path.split("/");
  if (parts[0] !== "app") return path === "server.ts" ? "top" : null;
  if (parts.length === 2) return "top";
  if ((parts[1] === "shop" || parts[1] === "staff") && parts[2] === "routes") return `${parts[1]}/routes`;
  return parts[1];
}

const layers = {
  rules: {
    imports: {
      meta: { type: "problem", schema: [] },
      create(context) {
        const from = layerOf(relative(ROOT, context.filename).split(sep).join("/"));
        if (from === null) return {};
        const check = (node) => {
          const source = node?.type === "Literal" && typeof node.value === "string" ? node.value : null;
          if (!source?.startsWith("#app/")) return;
          const to = layerOf(`app/${source.slice("#app/".length)}`);
          const report = (why) => context.report({ node, message: `${why} (docs/architecture.md)` });
          if (from !== "top" && !(from in LAYERS)) return report(`app/${from}/ is not a layer: add it to LAYERS in eslint.config.js and to the map`);
          if (to.endsWith("/routes")) return report(`Nothing imports a route module (${source}): React Router loads it through app/routes.ts`);
          if (from === "top" || to === from) return;
          if (to === "top") return report(`app/${from}/ may not import ${source}: the files at the top of app/ are entry points`);
          if (!(to in LAYERS)) return report(`app/${to}/ is not a layer: add it to LAYERS in eslint.config.js and to the map`);
          if (!LAYERS[from].includes(to)) return report(`app/${from}/ may not import app/${to}/ (${source})`);
        };
        return {
          ImportDeclaration: (node) => check(node.source),
          ExportNamedDeclaration: (node) => check(node.source),
          ExportAllDeclaration: (node) => check(node.source),
          ImportExpression: (node) => check(node.source),
        };
      },
    },
  },
};

export default tseslint.config(
  { ignores: ["build/", ".react-router/", "data/", "test-results/", "playwright-report/"] },
  js.configs.recommended,
  tseslint.configs.recommended,
  reactHooks.configs.flat.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    plugins: { layers },
    rules: {
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "layers/imports": "error",
      // One import style that Vite and plain `node` both resolve: package.json
      // "imports" (#app/…, #tests/…) with the file's extension. The one
      // exception is React Router's generated ./+types/<route>.
      // docs/decisions/007-imports.md says why.
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { regex: "^\\.\\.?/(?!\\+types/)", message: "Import project files as #app/… or #tests/… (docs/decisions/007-imports.md)." },
            { regex: "^~/", message: "The ~/ alias is gone: import as #app/… (docs/decisions/007-imports.md)." },
            { regex: "^#(app|tests)/.*(?<!\\.(ts|tsx|css|json)|\\.css\\?url)$", message: "Give the file's extension (.ts/.tsx): plain node needs it." },
          ],
        },
      ],
    },
  },
);

import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["build/", ".react-router/", "data/", "test-results/", "playwright-report/"] },
  js.configs.recommended,
  tseslint.configs.recommended,
  reactHooks.configs.flat.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
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
            { regex: "^#(app|tests)/.*(?<!\\.(ts|tsx|css|json))$", message: "Give the file's extension (.ts/.tsx): plain node needs it." },
          ],
        },
      ],
    },
  },
);

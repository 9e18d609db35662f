import { reactRouter } from "@react-router/dev/vite";
import tailwindcss from "@tailwindcss/vite";
import { defineConfig } from "vite";

export default defineConfig(({ command }) => ({
  plugins: [tailwindcss(), reactRouter()],
  // The production server is built into build/server/ together with the app
  // (react-router.config.ts names the files): server.ts as server.js, the
  // pages as index.js, and their dependencies bundled in, so that Node loads
  // a few files instead of about a thousand. Importing drizzle-orm's 448
  // files alone takes Node 0.4–0.6 s, and a bundled copy 20 ms; the store
  // starts in a quarter of the time (docs/decisions/025-bundled-server.md).
  // Left in node_modules: better-sqlite3 and sharp (native addons; sharp
  // finds its platform's libvips package at run time), Vite (development
  // only) and parseurl, whose url.parse() Node would otherwise take for ours
  // and warn about (it warns only for code outside node_modules).
  // `npm run dev` still runs server.ts and the app from source.
  ...(command === "build" && {
    ssr: { noExternal: true, external: ["better-sqlite3", "sharp", "vite", "parseurl"] },
    // A production build: dependencies' development code (React's is half
    // of it) is left out instead of being bundled and never run.
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
    environments: {
      ssr: { build: { rollupOptions: { input: { index: "virtual:react-router/server-build", server: "./server.ts" } } } },
    },
  }),
}));

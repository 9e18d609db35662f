import type { Config } from "@react-router/dev/config";

export default {
  ssr: true,
  // build/server/index.js (the app) and build/server/server.js (server.ts,
  // bundled: vite.config.ts).
  serverBuildFile: "[name].js",
} satisfies Config;

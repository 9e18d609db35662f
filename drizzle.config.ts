import { defineConfig } from "drizzle-kit";

// drizzle-kit is a development tool: it turns schema changes into SQL files
// in ./drizzle that are reviewed and committed. It never touches production;
// the server applies those files with its own runner (app/db/migrator.server.ts).
export default defineConfig({
  dialect: "sqlite",
  schema: "./app/db/schema.ts",
  out: "./drizzle",
  dbCredentials: { url: process.env.DATABASE_PATH ?? "./data/store.db" },
  strict: true,
  verbose: true,
});

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The project's folder (the one with package.json), where drizzle/ and
 * build/ are. Found by walking up from this file, so the answer is the same
 * whether Node runs it from app/ or bundled into build/server/ (vite.config.ts).
 */
export function projectRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${import.meta.dirname}`);
    dir = parent;
  }
  return dir;
}

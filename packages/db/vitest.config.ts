import { defineConfig } from "vitest/config";

// Opening a database (PGlite runs its migrations in-process) can take more than vitest's 10 s
// hook default on a busy machine; a hung test still fails, within these bounds.
export default defineConfig({
  test: {
    hookTimeout: 60_000,
    testTimeout: 30_000,
  },
});

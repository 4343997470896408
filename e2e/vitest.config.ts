import { configDefaults, defineConfig } from "vitest/config";

// Each file starts its own servers; running files one after another keeps ports and CPU free.
// console/ holds the Playwright specs (run by `playwright test`, not by vitest).
export default defineConfig({
  test: {
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 90_000,
    exclude: [...configDefaults.exclude, "console/**"],
  },
});

import { defineConfig } from "vitest/config";

// Each file starts its own servers; running files one after another keeps ports and CPU free.
export default defineConfig({
  test: { fileParallelism: false, testTimeout: 30_000, hookTimeout: 90_000 },
});

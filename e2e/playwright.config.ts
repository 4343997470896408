// Browser tests of the console (console/*.spec.ts) against the real built server: global setup
// starts metald (apps/metald/dist, serving apps/console/dist) once; the specs run one after
// another in Debian's chromium (a browser download is not possible on the CI hosts).
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "console",
  testMatch: "*.spec.ts",
  outputDir: "artifacts/console/test-results",
  globalSetup: "./console/global-setup.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    browserName: "chromium",
    launchOptions: { executablePath: "/usr/bin/chromium" },
    viewport: { width: 1280, height: 800 },
    trace: "retain-on-failure",
  },
});

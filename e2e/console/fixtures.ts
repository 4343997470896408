// The console specs' test: the page at metald's address, and no error or warning in the
// browser's console unless the test says which one it expects.
import { test as base, expect } from "@playwright/test";

export interface ConsoleFixtures {
  /** Console messages (errors, warnings, page errors) a test expects, e.g. a refused token. */
  expectedConsole: RegExp[];
  consoleProblems: string[];
}

export const test = base.extend<ConsoleFixtures>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
  baseURL: async ({}, use) => {
    const url = process.env.METALD_CONSOLE_URL;
    if (!url)
      throw new Error("METALD_CONSOLE_URL is not set: run the specs with `playwright test`");
    await use(url);
  },
  expectedConsole: [[], { option: true }],
  consoleProblems: [
    async ({ page, expectedConsole }, use) => {
      const problems: string[] = [];
      const note = (text: string) => {
        if (!expectedConsole.some((r) => r.test(text))) problems.push(text);
      };
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") note(`${m.type()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => note(`pageerror: ${e.message}`));
      await use(problems);
      expect(problems, "the browser's console stays free of errors and warnings").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

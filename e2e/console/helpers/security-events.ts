// Security event steps as verbs: visit the events page and wait for its live stream, find an
// event in the live table, open it.
import { expect, type Locator, type Page } from "@playwright/test";

export async function visitSecurityEvents(page: Page, url = "/events") {
  await page.goto(url);
  await expect(page.getByRole("heading", { level: 1, name: "Security events" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Live:" })).toBeVisible();
}

/** The live table's row of an event of `type` ("ra guard block") for `vmId`. */
export function liveEventRow(page: Page, type: string, vmId: string): Locator {
  return page
    .getByRole("table", { name: "Live events, newest first" })
    .getByRole("row")
    .filter({ hasText: type })
    .filter({ hasText: vmId });
}

export async function openEventDetails(row: Locator) {
  await row.getByRole("button", { name: /^Details of / }).click();
  await expect(row.page().getByRole("heading", { level: 2, name: /^Event / })).toBeFocused();
}

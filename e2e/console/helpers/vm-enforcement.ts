// VM page steps as verbs: open its enforcement or history tab and read what it shows.
import { expect, type Locator, type Page } from "@playwright/test";

export async function visitVmEnforcement(page: Page, baseUrl: string, vmId: string) {
  await page.goto(`${baseUrl}/vms/${vmId}?tab=enforcement`);
  await expect(page.getByRole("tab", { name: "Enforcement" })).toHaveAttribute(
    "aria-selected",
    "true",
  );
  await expect(page.getByRole("table", { name: "Set elements" })).toBeVisible();
}

/** The counters row of one set ("ra_guard") on the enforcement tab. */
export function counterRow(page: Page, set: string): Locator {
  return page
    .getByRole("table", { name: "Counters per control" })
    .getByRole("row")
    .filter({ has: page.getByRole("cell", { name: set, exact: true }) });
}

/** The packets the row shows, as a number. */
export async function counterPackets(row: Locator): Promise<number> {
  const text = (await row.locator("td[data-set]").textContent()) ?? "";
  return Number(text.replace(/\D/g, ""));
}

export async function visitVmHistory(page: Page, baseUrl: string, vmId: string) {
  await page.goto(`${baseUrl}/vms/${vmId}?tab=history`);
  await expect(page.getByRole("table", { name: /Configuration versions/ })).toBeVisible();
}

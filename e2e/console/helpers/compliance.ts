// Compliance steps as verbs: visit the page, read a VM's status under a framework in the matrix.
import { expect, type Locator, type Page } from "@playwright/test";

const COLUMNS = ["SOC 2", "PCI DSS", "GDPR", "HIPAA", "ISO 27001"] as const;

export async function visitCompliance(page: Page, url = "/compliance") {
  await page.goto(url);
  await expect(page.getByRole("heading", { level: 1, name: "Compliance" })).toBeVisible();
}

/** The matrix cell of `vmId` under `framework`. */
export function complianceCell(
  page: Page,
  vmId: string,
  framework: (typeof COLUMNS)[number],
): Locator {
  return page
    .getByRole("table", { name: /Compliance by framework/ })
    .getByRole("row")
    .filter({ has: page.getByRole("rowheader", { name: vmId }) })
    .getByRole("cell")
    .nth(COLUMNS.indexOf(framework));
}

// Topology steps as verbs: visit the page once the graph is laid out, find a VM's node.
import { expect, type Locator, type Page } from "@playwright/test";

export async function visitTopology(page: Page) {
  await page.goto("/topology");
  await expect(page.getByRole("heading", { level: 1, name: "Topology" })).toBeVisible();
  await expect(page.locator(".react-flow__node").first()).toBeVisible();
}

/** The graph node of `vmId` (its link, badges and controls). */
export function topologyVmNode(page: Page, vmId: string): Locator {
  return page.locator(".react-flow__node").filter({ has: page.getByRole("link", { name: vmId }) });
}

// Pools and tenants an operator changes: a leaked allocation is listed on its pool's page and
// released behind a confirmation naming it; a pool's rate limit and a tenant's tier and VLAN are
// edited in forms, a bad value shown at its field; axe and screenshots of the forms and dialog.
import { expect, test } from "./fixtures.js";
import { checkPage } from "./helpers/page-checks.js";
import {
  createPoolThroughApi,
  leakAllocation,
  releaseLeakedAddresses,
  visitPool,
  visitTenant,
} from "./helpers/pools.js";
import { signInAsDevelopmentOperator } from "./helpers/session.js";
import { createVmThroughApi } from "./helpers/vms.js";

test("a leaked allocation is released from its pool's page", async ({ page }) => {
  await signInAsDevelopmentOperator(page);
  await createPoolThroughApi(page, { id: "leaky", prefix: "2001:db8:1ea::/48" });
  await leakAllocation("leaky", "2001:db8:1ea::dead");
  await visitPool(page, "leaky");
  const leaked = page.getByRole("table", { name: "Leaked allocations" });
  await expect(leaked.getByRole("row", { name: /2001:db8:1ea::dead/ })).toBeVisible();
  await page.getByRole("button", { name: "Release leaked addresses" }).click();
  await expect(page.getByRole("dialog", { name: "Release leaked addresses?" })).toContainText(
    "2001:db8:1ea::dead",
  );
  await checkPage(page, "pool-cleanup-dialog");
  await page.keyboard.press("Escape");
  await releaseLeakedAddresses(page, "2001:db8:1ea::dead");
  await expect(page.getByText("No leaked allocation in this pool.")).toBeVisible();
  await expect(page.getByText("No address is allocated from this pool.")).toBeVisible();
});

test("an operator edits a pool, a bad prefix shown at its field", async ({ page }) => {
  await signInAsDevelopmentOperator(page);
  await createPoolThroughApi(page, { id: "editable", prefix: "2001:db8:ed::/48" });
  await visitPool(page, "editable");
  await page.getByRole("button", { name: "Edit pool" }).click();
  const form = page.getByRole("form", { name: "Edit pool editable" });
  await form.getByLabel("Prefix").fill("2001:db8:zz::/48");
  await form.getByRole("button", { name: "Save pool" }).click();
  await expect(form.getByLabel("Prefix")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByLabel("Prefix")).toBeFocused();
  await checkPage(page, "pool-edit");
  await form.getByLabel("Prefix").fill("2001:db8:ed::/48");
  await form.getByLabel("Rate limit").fill("240");
  await form.getByRole("button", { name: "Save pool" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Pool editable saved." })).toBeVisible();
  await expect(page.getByText("240 allocations per hour")).toBeVisible();
});

test("an operator edits a tenant, a bad VLAN shown at its field", async ({ page, request }) => {
  await createVmThroughApi(request, {
    tenant_id: "edit-tenant",
    network: [{ id: "eth0", ipv6: {} }],
  });
  await signInAsDevelopmentOperator(page);
  await visitTenant(page, "edit-tenant");
  await page.getByRole("button", { name: "Edit tenant" }).click();
  const form = page.getByRole("form", { name: "Edit tenant edit-tenant" });
  await form.getByLabel("VLAN").fill("5000");
  await form.getByRole("button", { name: "Save tenant" }).click();
  await expect(form.getByLabel("VLAN")).toHaveAttribute("aria-invalid", "true");
  await checkPage(page, "tenant-edit");
  await form.getByLabel("VLAN").fill("");
  await form.getByLabel("Tier").selectOption("premium");
  await form.getByRole("button", { name: "Save tenant" }).click();
  await expect(
    page.getByRole("status").filter({ hasText: "Tenant edit-tenant saved." }),
  ).toBeVisible();
  await expect(page.getByRole("region", { name: "Settings" })).toContainText("premium");
});

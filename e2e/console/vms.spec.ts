// The VM workflow in the browser: create a VM through the form (a bad address is shown at the
// address field), find it in the list, open it, see where its security settings came from,
// isolate it and see it marked; a seed body through the JSON mode.
import { readFileSync } from "node:fs";
import { expect, test } from "./fixtures.js";
import { signInAsDevelopmentOperator } from "./helpers/session.js";
import { createVmWithForm, fillCreateVmForm, isolateVm, visitVm } from "./helpers/vms.js";

test("creates a VM through the form, lists it, opens it and isolates it", async ({ page }) => {
  await signInAsDevelopmentOperator(page);

  // A bad address: the server's invalid_argument is shown at the address field, which gets focus.
  await fillCreateVmForm(page, {
    tenant: "console-acme",
    address: "2001:db8:zz::10/64",
    profile: "High",
  });
  await page.getByRole("button", { name: "Create VM" }).click();
  const address = page.getByLabel("IPv6 address");
  await expect(address).toHaveAttribute("aria-invalid", "true");
  await expect(address).toBeFocused();
  await expect(address).toHaveAccessibleDescription(/config\.ipv6_config\.addresses\[0\]/);
  await expect(page.getByText(/config\.ipv6_config\.addresses\[0\]/)).toBeVisible();

  await address.fill("2001:db8:ac::10/64");
  await page.getByRole("button", { name: "Create VM" }).click();
  await page.waitForURL(/\/vms\/vm-[a-z0-9-]+$/);
  const heading = page.getByRole("heading", { level: 1 });
  await expect(heading).toHaveText(/^vm-/);
  const vmId = (await heading.textContent())?.trim() ?? "";

  // In the list, filtered by its tenant; then opened from there.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "VMs" }).click();
  await page.getByLabel("Tenant").selectOption("console-acme");
  const row = page.getByRole("row").filter({ hasText: vmId });
  await expect(row).toContainText("2001:db8:ac::10/64");
  await expect(row).toContainText("Created");
  await row.getByRole("link", { name: vmId }).click();
  await expect(page.getByRole("heading", { level: 1, name: vmId })).toBeVisible();

  // The effective settings name their layer: the profile chose RA guard.
  const security = page.getByRole("table", { name: "Effective security of eth0" });
  await expect(security.getByRole("row", { name: /raGuard\.enabled/ })).toContainText("profile");

  await isolateVm(page, "suspicious traffic in the console test");
  await expect(page.getByText("Isolated", { exact: true }).first()).toBeVisible();
  await expect(page.getByRole("button", { name: "Release" })).toBeVisible();

  // Marked in the list too.
  await page.goto(`/vms?tenant=console-acme`);
  await expect(page.getByRole("row").filter({ hasText: vmId })).toContainText("Isolated");
});

test("boots and deletes a VM behind confirmations", async ({ page }) => {
  await signInAsDevelopmentOperator(page);
  const vmId = await createVmWithForm(page, { tenant: "console-boot" });
  await page.getByRole("button", { name: "Boot" }).click();
  await page
    .getByRole("dialog", { name: "Boot this VM?" })
    .getByRole("button", { name: "Boot" })
    .click();
  await expect(page.getByRole("status").filter({ hasText: "VM booted." })).toBeVisible();
  await expect(page.getByRole("button", { name: "Shut down" })).toBeVisible();

  await page.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete this VM?" });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("button", { name: "Delete" })).toBeFocused();
  await page.getByRole("button", { name: "Delete" }).click();
  await dialog.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("status").filter({ hasText: "VM deleted." })).toBeVisible();
  await visitVm(page, vmId);
  await expect(page.getByText("Terminated").first()).toBeVisible();
});

test("creates a VM from a seed body pasted as it is, and shows the server's answer to another", async ({
  page,
}) => {
  const seed = (name: string) =>
    readFileSync(new URL(`../fixtures/seed-bodies/${name}.json`, import.meta.url), "utf8");
  await signInAsDevelopmentOperator(page, "/vms/new");
  await page.getByRole("tab", { name: "JSON" }).click();
  const body = page.getByLabel("CreateVm request (JSON)");
  // The guide's placeholder address group is refused by the server, naming the field.
  await body.fill(seed("001-example1-secure-web-server"));
  await page.getByRole("button", { name: "Create VM" }).click();
  await expect(body).toHaveAccessibleDescription(/config\.network\[0\]\.ipv6\.address/);

  await body.fill(seed("000-concurrent-create"));
  await page.getByRole("button", { name: "Create VM" }).click();
  await page.waitForURL(/\/vms\/vm-[a-z0-9-]+$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/^vm-/);
});

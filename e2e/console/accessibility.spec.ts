// Every page and dialog of the console: no serious or critical axe violation, at 1280×800 and at
// phone width, with a screenshot of each (e2e/artifacts/console/).
import { expect, test } from "./fixtures.js";
import { checkPage } from "./helpers/page-checks.js";
import { signInAsDevelopmentOperator } from "./helpers/session.js";
import { createVmThroughApi } from "./helpers/vms.js";

test("every page is accessible at desktop and phone width", async ({ page, request }) => {
  // Every page and dialog twice (desktop, phone) with axe and screenshots: minutes on a loaded host.
  test.setTimeout(240_000);
  const vmId = await createVmThroughApi(request, {
    tenant_id: "a11y-tenant",
    ipv6_config: {
      enabled: true,
      addresses: ["2001:db8:a11::1/64"],
      security: { profile: "SECURITY_PROFILE_HIGH" },
    },
  });
  // One without an address: drawn from the default pool, so the pool has an allocation.
  await createVmThroughApi(request, {
    tenant_id: "a11y-tenant",
    network: [{ id: "eth0", ipv6: {} }],
  });

  await page.goto("/sign-in");
  await expect(page.getByRole("heading", { name: "Sign in to metald" })).toBeVisible();
  await checkPage(page, "sign-in");

  await signInAsDevelopmentOperator(page);
  await expect(page.getByRole("heading", { name: "Virtual machines" })).toBeVisible();
  await expect(page.getByText("Counting VMs…")).toHaveCount(0);
  await checkPage(page, "overview");

  await page.goto("/vms");
  await expect(page.getByRole("row").filter({ hasText: vmId })).toBeVisible();
  await checkPage(page, "vms");

  await page.goto("/vms?state=FAILED");
  await expect(page.getByText("No VM matches these filters.")).toBeVisible();
  await checkPage(page, "vms-empty");

  await page.goto(`/vms/${vmId}`);
  await expect(page.getByRole("table", { name: "Effective security of eth0" })).toBeVisible();
  await checkPage(page, "vm");

  await page.getByRole("button", { name: "Isolate" }).click();
  await expect(page.getByRole("dialog", { name: "Isolate this VM?" })).toBeVisible();
  await checkPage(page, "vm-isolate-dialog");
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog")).toBeHidden();

  await page.getByRole("tab", { name: "Enforcement" }).click();
  await expect(page.getByRole("table", { name: "Set elements" })).toBeVisible();
  await checkPage(page, "vm-enforcement-tab");
  await page.getByRole("tab", { name: "History" }).click();
  await expect(page.getByText("Only one version so far: nothing to compare.")).toBeVisible();
  await checkPage(page, "vm-history-tab");

  await page.goto("/vms/new");
  await page.getByLabel("IPv6 address").fill("not-an-address");
  await page.getByRole("button", { name: "Create VM" }).click();
  await expect(page.getByLabel("IPv6 address")).toHaveAttribute("aria-invalid", "true");
  await checkPage(page, "create-vm");
  await page.getByRole("tab", { name: "JSON" }).click();
  await checkPage(page, "create-vm-json");

  await page.goto("/tenants");
  await expect(page.getByRole("link", { name: "a11y-tenant" })).toBeVisible();
  await checkPage(page, "tenants");

  await page.goto("/tenants/a11y-tenant");
  await expect(page.getByRole("row").filter({ hasText: vmId })).toBeVisible();
  await checkPage(page, "tenant");
  await page.getByRole("button", { name: "Edit tenant" }).click();
  await expect(page.getByRole("form", { name: "Edit tenant a11y-tenant" })).toBeVisible();
  await checkPage(page, "tenant-edit-form");

  await page.goto("/pools");
  await expect(page.getByRole("link", { name: "default" })).toBeVisible();
  await checkPage(page, "pools");

  await page.goto("/pools/default");
  await expect(page.getByRole("table", { name: "Allocations" })).toBeVisible();
  await checkPage(page, "pool");
  await page.getByRole("button", { name: "Edit pool" }).click();
  await expect(page.getByRole("form", { name: "Edit pool default" })).toBeVisible();
  await checkPage(page, "pool-edit-form");

  await page.goto("/no-such-page");
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await checkPage(page, "not-found");
});

test("the pages work with the keyboard alone", async ({ page }) => {
  await signInAsDevelopmentOperator(page);
  // The skip link comes first and moves to the content.
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
  // Through the navigation to the VMs page.
  const vms = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "VMs" });
  for (
    let i = 0;
    i < 10 && !(await vms.evaluate((el) => el === el.ownerDocument.activeElement));
    i++
  )
    await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Virtual machines" })).toBeVisible();
  // The create form's tabs follow the arrow keys.
  await page.goto("/vms/new");
  await page.getByRole("tab", { name: "Form" }).focus();
  await page.keyboard.press("ArrowRight");
  await expect(page.getByRole("tab", { name: "JSON" })).toBeFocused();
  await expect(page.getByRole("tab", { name: "JSON" })).toHaveAttribute("aria-selected", "true");
});

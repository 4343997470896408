// A tenant token (made with `metald token create --role tenant`) sees its own tenant only, on
// every page: its VMs, its tenant, its pools; another tenant's VM is "not found"; quarantine
// stays with operators.
import { expect, test } from "./fixtures.js";
import { signInWithToken } from "./helpers/session.js";
import { createTenantToken } from "./helpers/tokens.js";
import { createVmThroughApi } from "./helpers/vms.js";

test("a tenant token sees only its own tenant everywhere", async ({ page, request }) => {
  const own = await createVmThroughApi(request, {
    tenant_id: "tok-acme",
    ipv6_config: { enabled: true, addresses: ["2001:db8:a0::1/64"] },
  });
  const other = await createVmThroughApi(request, {
    tenant_id: "tok-globex",
    ipv6_config: { enabled: true, addresses: ["2001:db8:b0::1/64"] },
  });
  const token = createTenantToken("tok-acme");
  await signInWithToken(page, token);
  await expect(page.getByText("Signed in as")).toContainText("tenant tok-acme");
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();

  await page.goto("/vms");
  await expect(page.getByRole("row").filter({ hasText: own })).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: other })).toHaveCount(0);
  await expect(page.getByLabel("Tenant")).toHaveCount(0);

  await page.goto("/tenants");
  const tenantRows = page.getByRole("table", { name: "Tenants" }).getByRole("row");
  await expect(tenantRows).toHaveCount(2); // the header and tok-acme
  await expect(tenantRows.nth(1)).toContainText("tok-acme");

  await page.goto(`/vms/${own}`);
  await expect(page.getByRole("heading", { level: 1, name: own })).toBeVisible();
  await expect(page.getByRole("button", { name: "Isolate" })).toHaveCount(0);

  await page.goto(`/vms/${other}`);
  await expect(page.getByRole("alert")).toContainText("not found");

  await page.goto("/tenants/tok-globex");
  await expect(page.getByRole("alert").first()).toContainText("not found");

  // Its own VM created through the form lands in its own tenant.
  await page.goto("/vms/new");
  await expect(page.getByLabel("Tenant")).toHaveValue("tok-acme");
  await expect(page.getByLabel("Tenant")).toBeDisabled();
});

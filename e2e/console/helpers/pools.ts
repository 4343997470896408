// Pool and tenant steps as verbs: make a leaked allocation (a row left by a create that crashed
// half-way), release leaked addresses, edit a pool or a tenant; each waits for what the user
// sees when it has worked.
import { expect, type Page } from "@playwright/test";
import pg from "pg";

/** Inserts an allocation without a VM into `poolId` (the state a crashed create leaves). */
export async function leakAllocation(poolId: string, address: string) {
  const db = new pg.Client({ connectionString: process.env.METALD_CONSOLE_DATABASE_URL });
  await db.connect();
  try {
    await db.query(
      "INSERT INTO ipv6_allocations (address, prefix_length, pool_id, vm_id, interface_id, allocated_at) VALUES ($1, 64, $2, NULL, 'eth0', now())",
      [address, poolId],
    );
  } finally {
    await db.end();
  }
}

export async function visitPool(page: Page, poolId: string) {
  await page.goto(`/pools/${poolId}`);
  await expect(page.getByRole("heading", { level: 1, name: `Pool ${poolId}` })).toBeVisible();
}

export async function releaseLeakedAddresses(page: Page, expected: string) {
  await page.getByRole("button", { name: "Release leaked addresses" }).click();
  const dialog = page.getByRole("dialog", { name: "Release leaked addresses?" });
  await expect(dialog).toContainText(expected);
  await dialog.getByRole("button", { name: "Release" }).click();
  await expect(
    page.getByRole("status").filter({ hasText: /leaked address(es)? released/ }),
  ).toBeVisible();
}

export async function createPoolThroughApi(page: Page, pool: Record<string, unknown>) {
  const res = await page.request.post("/vmprovisioner.v1.Ipv6PoolService/CreatePool", {
    data: { pool },
  });
  expect(res.status(), await res.text()).toBe(200);
}

export async function visitTenant(page: Page, tenantId: string) {
  await page.goto(`/tenants/${tenantId}`);
  await expect(page.getByRole("heading", { level: 1, name: `Tenant ${tenantId}` })).toBeVisible();
}

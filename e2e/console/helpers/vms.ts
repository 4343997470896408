// VM steps as verbs: created through the console's form (or, for setup, the API), visited,
// isolated; each waits for what the user sees when it has worked.
import { type APIRequestContext, expect, type Page } from "@playwright/test";

export interface VmFormInput {
  tenant?: string;
  address?: string;
  profile?: "High" | "Medium" | "Low";
}

export async function fillCreateVmForm(page: Page, input: VmFormInput) {
  await page.goto("/vms/new");
  await expect(page.getByRole("heading", { name: "Create a VM" })).toBeVisible();
  if (input.tenant !== undefined) await page.getByLabel("Tenant").fill(input.tenant);
  if (input.address !== undefined) await page.getByLabel("IPv6 address").fill(input.address);
  if (input.profile)
    await page.getByLabel("Security profile").selectOption({ label: input.profile });
}

/** Submits the form and waits for the new VM's page; returns its id. */
export async function createVmWithForm(page: Page, input: VmFormInput): Promise<string> {
  await fillCreateVmForm(page, input);
  await page.getByRole("button", { name: "Create VM" }).click();
  await page.waitForURL(/\/vms\/vm-[a-z0-9-]+$/);
  const heading = page.getByRole("heading", { level: 1 });
  await expect(heading).toHaveText(/^vm-/);
  return (await heading.textContent())?.trim() ?? "";
}

/** Creates a VM through the API (setup for specs about other pages). */
export async function createVmThroughApi(
  request: APIRequestContext,
  config: Record<string, unknown>,
  authorization?: string,
): Promise<string> {
  const res = await request.post("/vmprovisioner.v1.VmService/CreateVm", {
    data: { config },
    headers: authorization ? { authorization } : {},
  });
  expect(res.status(), await res.text()).toBe(200);
  return ((await res.json()) as { vmId: string }).vmId;
}

export async function visitVm(page: Page, vmId: string) {
  await page.goto(`/vms/${vmId}`);
  await expect(page.getByRole("heading", { level: 1, name: vmId })).toBeVisible();
}

export async function isolateVm(page: Page, reason: string) {
  await page.getByRole("button", { name: "Isolate" }).click();
  const dialog = page.getByRole("dialog", { name: "Isolate this VM?" });
  await dialog.getByLabel("Reason").fill(reason);
  await dialog.getByRole("button", { name: "Isolate" }).click();
  await expect(page.getByRole("status").filter({ hasText: "VM isolated." })).toBeVisible();
}

// The topology page: a new VM appears under its tenant's bridge and VLAN, is marked isolated
// after IsolateVm, and clicking it opens its page; axe and screenshots.
import { expect, test } from "./fixtures.js";
import { checkPage } from "./helpers/page-checks.js";
import { signInAsDevelopmentOperator } from "./helpers/session.js";
import { topologyVmNode, visitTopology } from "./helpers/topology.js";
import { createVmThroughApi } from "./helpers/vms.js";

test("the topology shows a VM under its tenant and marks it isolated", async ({
  page,
  request,
}) => {
  const vmId = await createVmThroughApi(request, {
    tenant_id: "topology-tenant",
    ipv6_config: {
      enabled: true,
      addresses: ["2001:db8:70::1/64"],
      security: { profile: "SECURITY_PROFILE_MEDIUM" },
    },
  });
  await signInAsDevelopmentOperator(page, "/topology");
  await visitTopology(page);
  const node = topologyVmNode(page, vmId);
  await expect(node).toContainText("Controls: medium profile");
  await expect(node).not.toContainText("Isolated");
  await expect(page.getByRole("link", { name: "topology-tenant" })).toBeVisible();

  const isolated = await request.post("/vmprovisioner.v1.VmService/IsolateVm", {
    data: { vm_id: vmId, reason: "topology check" },
  });
  expect(isolated.status(), await isolated.text()).toBe(200);
  await visitTopology(page);
  await expect(node).toContainText("Isolated");
  await checkPage(page, "topology");

  await node.getByRole("link", { name: vmId }).click();
  await expect(page.getByRole("heading", { level: 1, name: vmId })).toBeVisible();
});

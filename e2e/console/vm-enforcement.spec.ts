// The VM page against a sandbox host: the enforcement tab's RA guard counter rises after real
// rogue router advertisements from the VM (scapy in its namespace) without a reload, the
// elements table lists the VM's tap; the history tab compares two versions after
// UpdateVmNetworkSecurity; axe and screenshots of both tabs.
import {
  canSendRealPackets,
  createGuest,
  type Guest,
  send,
  waitForAddresses,
} from "../enforcement/sandbox-guests.js";
import type { MetaldProcess } from "../harness/metald-process.js";
import { expect, test } from "./fixtures.js";
import { checkPage } from "./helpers/page-checks.js";
import { callApi, startSandboxHost } from "./helpers/sandbox-host.js";
import { signInAsDevelopmentOperator } from "./helpers/session.js";
import {
  counterPackets,
  counterRow,
  visitVmEnforcement,
  visitVmHistory,
} from "./helpers/vm-enforcement.js";

test.describe("a VM's enforcement and history on a sandbox host", () => {
  test.skip(!canSendRealPackets, "needs root, ip, nft and scapy");
  let metald: MetaldProcess;
  let guest: Guest;

  test.beforeAll(async () => {
    test.setTimeout(120_000);
    metald = await startSandboxHost();
    guest = await createGuest(metald.url, "2001:db8:e8::a", {
      tenant_id: "console-enforce",
      network: [{ id: "eth0", ipv6: { address: "2001:db8:e8::a/64", security: {} } }],
    });
    await waitForAddresses(guest);
  });

  test.afterAll(async () => {
    await metald?.destroy();
  });

  test("the RA guard counter rises after a rogue router advertisement", async ({ page }) => {
    await signInAsDevelopmentOperator(page, `${metald.url}/vms/${guest.vmId}`);
    await visitVmEnforcement(page, metald.url, guest.vmId);

    // The elements that enforce the VM name its tap and its addresses.
    const elements = page.getByRole("table", { name: "Set elements" });
    await expect(
      elements.getByRole("row").filter({ hasText: "vm_sources" }).filter({ hasText: guest.tap }),
    ).toHaveCount(2);
    await expect(elements).toContainText(`"${guest.tap}" . 2001:db8:e8::a`);

    const row = counterRow(page, "ra_guard");
    await expect(row).toContainText(guest.tap);
    const before = await counterPackets(row);
    await send(guest, "ra-plain", { src: guest.linkLocal, count: 3 });
    // The page asks every 2 s and the server reads the kernel every 2 s: no reload.
    await expect
      .poll(() => counterPackets(row), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(before + 3);
    await checkPage(page, "vm-enforcement");
  });

  test("the history tab compares the version before a change with the change", async ({ page }) => {
    await callApi(metald, "VmService/UpdateVmNetworkSecurity", {
      vm_id: guest.vmId,
      security: { rate_limits: { max_pps_per_vm: 321 } },
    });
    await signInAsDevelopmentOperator(page, `${metald.url}/vms/${guest.vmId}`);
    await visitVmHistory(page, metald.url, guest.vmId);
    const versions = page.getByRole("table", { name: /Configuration versions/ });
    await expect(versions.getByRole("row")).toHaveCount(3);
    const diff = page.getByRole("table", { name: "Changes from version 1 to version 2" });
    // The effective value (and the request's own layer) changed to what was sent.
    await expect(
      diff.getByRole("row", { name: /^ipv6_security\.rate_limits\.max_pps_per_vm/ }),
    ).toContainText("321");
    await checkPage(page, "vm-history");
  });
});

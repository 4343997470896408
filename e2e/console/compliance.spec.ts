// The compliance page against a sandbox host (enforcement verified, so a met requirement is
// COMPLIANT rather than pending): a PCI DSS VM created with the LOW profile is non-compliant in
// the matrix with its violation naming the requirement and the fields that fix it; after
// UpdateVmNetworkSecurity to HIGH it is compliant; the printable report downloads with the
// session's credentials; the overview lists open violations; axe and screenshots.
import { readFileSync } from "node:fs";
import { canSendRealPackets } from "../enforcement/sandbox-guests.js";
import type { MetaldProcess } from "../harness/metald-process.js";
import { expect, test } from "./fixtures.js";
import { complianceCell, visitCompliance } from "./helpers/compliance.js";
import { checkPage } from "./helpers/page-checks.js";
import { callApi, startSandboxHost } from "./helpers/sandbox-host.js";
import { signInAsDevelopmentOperator } from "./helpers/session.js";

test.describe("compliance on a sandbox host", () => {
  test.skip(!canSendRealPackets, "needs root, ip and nft");
  let metald: MetaldProcess;

  test.beforeAll(async () => {
    test.setTimeout(120_000);
    metald = await startSandboxHost();
  });

  test.afterAll(async () => {
    await metald?.destroy();
  });

  test("a PCI DSS VM turns from non-compliant to compliant", async ({ page }) => {
    const { vmId } = (await callApi(metald, "VmService/CreateVm", {
      config: {
        tenant_id: "console-cardco",
        ipv6_config: {
          addresses: ["2001:db8:c1::10/64"],
          security: {
            profile: "SECURITY_PROFILE_LOW",
            compliance: {
              frameworks: ["COMPLIANCE_FRAMEWORK_PCI_DSS"],
              data_retention_days: 400,
              encryption: { require_tls: true },
            },
          },
        },
      },
    })) as { vmId: string };

    await signInAsDevelopmentOperator(page, `${metald.url}/compliance`);
    await visitCompliance(page, `${metald.url}/compliance`);
    await expect(complianceCell(page, vmId, "PCI DSS")).toHaveText(/^Non-compliant/);
    await expect(complianceCell(page, vmId, "SOC 2")).toHaveText("Not required");
    const violation = page
      .getByRole("table", { name: "Open violations" })
      .getByRole("row")
      .filter({ hasText: vmId })
      .filter({ hasText: "PCI DSS 2.1" });
    await expect(violation).toBeVisible();
    // The fields that fix it: the profile (IPv6SecurityConfig path first, then the seed shape).
    await expect(violation).toContainText("config.security_profile.profile_name");
    await checkPage(page, "compliance");

    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download printable report" }).click();
    const file = await (await download).path();
    expect(readFileSync(file, "utf8")).toContain("PCI");

    await page.goto(`${metald.url}/`);
    await expect(
      page.getByRole("region", { name: "Open compliance violations" }).getByRole("link", {
        name: vmId,
      }),
    ).not.toHaveCount(0);
    await checkPage(page, "overview-compliance");

    await callApi(metald, "VmService/UpdateVmNetworkSecurity", {
      vm_id: vmId,
      security: { profile: "SECURITY_PROFILE_HIGH" },
    });
    await visitCompliance(page, `${metald.url}/compliance`);
    await expect(complianceCell(page, vmId, "PCI DSS")).toHaveText("Compliant");
    await expect(page.getByText("No open violations.")).toBeVisible();
  });
});

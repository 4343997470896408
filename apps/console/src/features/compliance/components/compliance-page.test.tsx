import { createRouterTransport } from "@connectrpc/connect";
import {
  ComplianceFramework,
  ComplianceOutcome,
  ComplianceService,
  EventSeverity,
  HostService,
  PrincipalKind,
  TenantService,
  VmService,
  VmState,
} from "@metald/proto";
import { screen, within } from "@testing-library/react";
import { Suspense } from "react";
import { describe, expect, it } from "vitest";
import { renderWithTransport } from "../../../test/render-with-transport";
import { CompliancePage } from "./compliance-page";

const requirement = (framework: ComplianceFramework, id: string, outcome: ComplianceOutcome) => ({
  framework,
  requirement: id,
  title: `requirement ${id}`,
  outcome,
});

function page(vms: { vmId: string; status: Record<string, unknown> }[]) {
  const transport = createRouterTransport(({ service }) => {
    service(HostService, {
      getHostInfo: () => ({ caller: { kind: PrincipalKind.OPERATOR, name: "operator" } }),
    });
    service(TenantService, { listTenants: () => ({ tenants: [{ id: "acme" }] }) });
    service(VmService, {
      listVms: () => ({
        vms: vms.map((v) => ({ vmId: v.vmId, tenantId: "acme", state: VmState.RUNNING })),
        totalCount: vms.length,
        nextPageToken: "",
      }),
    });
    service(ComplianceService, {
      getComplianceStatus: (req) => vms.find((v) => v.vmId === req.vmId)?.status ?? {},
      listComplianceViolations: () => ({
        violations: [
          {
            framework: ComplianceFramework.PCI_DSS,
            requirement: "1.1.4",
            title: "Inbound traffic restricted",
            description: "ingress_filtering is off",
            severity: EventSeverity.ERROR,
            vmId: "vm-low",
            customerId: "acme",
            fixFields: ["ipv6_config.security.ingress_filtering"],
          },
        ],
      }),
    });
  });
  return renderWithTransport(
    <Suspense fallback={<p>Loading…</p>}>
      <CompliancePage />
    </Suspense>,
    transport,
  );
}

describe("CompliancePage", () => {
  it("shows each VM's status per framework and the open violations with their fix", async () => {
    page([
      {
        vmId: "vm-low",
        status: {
          frameworks: [ComplianceFramework.PCI_DSS],
          requirements: [
            requirement(ComplianceFramework.PCI_DSS, "1.1.4", ComplianceOutcome.VIOLATED),
            requirement(ComplianceFramework.PCI_DSS, "1.2", ComplianceOutcome.MET),
          ],
        },
      },
      {
        vmId: "vm-high",
        status: {
          frameworks: [ComplianceFramework.PCI_DSS, ComplianceFramework.SOC2],
          requirements: [
            requirement(ComplianceFramework.PCI_DSS, "1.1.4", ComplianceOutcome.MET),
            requirement(ComplianceFramework.SOC2, "CC6.1", ComplianceOutcome.PENDING),
          ],
        },
      },
    ]);
    const matrix = await screen.findByRole("table", { name: /Compliance by framework/ });
    const cell = async (vmId: string, column: number) => {
      const row = within(matrix).getByRole("row", { name: new RegExp(`^${vmId}`) });
      const cells = within(row).getAllByRole("cell");
      return within(cells[column] as HTMLElement).findByText(/./);
    };
    // Columns: SOC 2, PCI DSS, GDPR, HIPAA, ISO 27001.
    expect((await cell("vm-low", 1)).textContent).toBe("Non-compliant (1)");
    expect((await cell("vm-low", 0)).textContent).toBe("Not required");
    expect((await cell("vm-high", 1)).textContent).toBe("Compliant");
    expect((await cell("vm-high", 0)).textContent).toBe("Pending audit");

    const violations = await screen.findByRole("table", { name: "Open violations" });
    expect(violations.textContent).toContain("PCI DSS 1.1.4");
    expect(violations.textContent).toContain("Inbound traffic restricted");
    expect(violations.textContent).toContain("ipv6_config.security.ingress_filtering");
  });

  it("says so when there are no VMs", async () => {
    page([]);
    expect(await screen.findByText("No VMs yet.")).toBeTruthy();
  });
});

// React Flow hides nodes until it has measured them, which jsdom never does: nodes are found by
// their text.
import { createRouterTransport } from "@connectrpc/connect";
import {
  ComplianceService,
  HostService,
  PrincipalKind,
  SecurityProfile,
  TenantService,
  VmService,
  VmState,
} from "@metald/proto";
import { fireEvent, screen, within } from "@testing-library/react";
import { Suspense } from "react";
import { beforeAll, describe, expect, it } from "vitest";
import { renderWithTransport } from "../../../test/render-with-transport";
import type { LayoutTopology } from "../api/elk-layout";
import { TopologyPage } from "./topology-page";

beforeAll(() => {
  // React Flow measures its nodes; jsdom has no layout.
  globalThis.ResizeObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  } as unknown as typeof ResizeObserver;
  (globalThis as { DOMMatrixReadOnly?: unknown }).DOMMatrixReadOnly ??= class {
    m22 = 1;
  };
});

/** A grid instead of ELK's worker: the test checks what is drawn, not where. */
const gridLayout: LayoutTopology = async (t) =>
  new Map(t.nodes.map((n, i) => [n.id, { x: (i % 4) * 300, y: Math.floor(i / 4) * 120 }]));

function page() {
  const transport = createRouterTransport(({ service }) => {
    service(HostService, {
      getHostInfo: () => ({ caller: { kind: PrincipalKind.OPERATOR, name: "operator" } }),
    });
    service(TenantService, {
      listTenants: () => ({ tenants: [{ id: "acme", bridgeName: "br-acme", vlanId: 100 }] }),
    });
    service(VmService, {
      listVms: () => ({
        vms: [
          {
            vmId: "vm-calm",
            tenantId: "acme",
            state: VmState.RUNNING,
            securityProfile: SecurityProfile.HIGH,
          },
          {
            vmId: "vm-cut-off",
            tenantId: "acme",
            state: VmState.RUNNING,
            securityProfile: SecurityProfile.LOW,
            isolated: true,
          },
        ],
        nextPageToken: "",
      }),
    });
    service(ComplianceService, {
      listComplianceViolations: () => ({
        violations: [{ vmId: "vm-cut-off", requirement: "2.1" }],
      }),
    });
  });
  return renderWithTransport(
    <Suspense fallback={<p>Loading…</p>}>
      <TopologyPage layout={gridLayout} />
    </Suspense>,
    transport,
  );
}

describe("TopologyPage", () => {
  it("draws tenant, bridge, VLAN and VMs with quarantine and violations; a VM opens its page", async () => {
    const { router } = page();
    await screen.findByText("br-acme");
    const vm = (await screen.findByText("vm-cut-off")).closest("a") as HTMLElement;
    const node = vm.closest(".topology-node") as HTMLElement;
    expect(within(node).getByText("Isolated")).toBeTruthy();
    expect(within(node).getByText("1 violation")).toBeTruthy();
    expect(within(node).getByText("Controls: low profile")).toBeTruthy();
    expect(screen.getByText("br-acme")).toBeTruthy();
    expect(screen.getByText("100")).toBeTruthy();
    const calm = (await screen.findByText("vm-calm")).closest(".topology-node") as HTMLElement;
    expect(within(calm).queryByText("Isolated")).toBeNull();

    // A click only: d3-zoom's mousedown handler needs a window on the event, which jsdom's lack.
    fireEvent.click(vm);
    expect(router.state.location.pathname).toBe("/vms/vm-cut-off");
  });
});

import { createRouterTransport } from "@connectrpc/connect";
import { type GetVmEnforcementRequest, HostService } from "@metald/proto";
import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderWithTransport } from "../../../test/render-with-transport";
import { VmEnforcementSection } from "./vm-enforcement-section";

function enforcement(packets: () => bigint, countersAvailable = true) {
  const requests: GetVmEnforcementRequest[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(HostService, {
      getVmEnforcement: (req) => {
        requests.push(req);
        return {
          vmId: req.vmId,
          countersAvailable,
          counters: countersAvailable
            ? [
                {
                  interfaceId: "eth0",
                  port: "tap-a0",
                  set: "ra_guard",
                  control: "RA guard: router advertisements from the VM",
                  category: "ra_guard",
                  packets: packets(),
                  bytes: packets() * 80n,
                },
              ]
            : [],
          elements: [
            { family: "bridge", set: "ra_guard", element: '"tap-a0"' },
            { family: "bridge", set: "vm_sources", element: '"tap-a0" . 2001:db8::10' },
          ],
        };
      },
    });
  });
  return { transport, requests };
}

describe("the VM's enforcement", () => {
  it("shows each control's counters and asks again until they move", async () => {
    let packets = 0n;
    const { transport, requests } = enforcement(() => packets);
    renderWithTransport(<VmEnforcementSection vmId="vm-a" refreshMs={50} />, transport);
    const counters = await screen.findByRole("table", { name: "Counters per control" });
    const row = within(counters).getByRole("row", { name: /RA guard/ });
    expect(row.textContent).toContain("tap-a0");
    expect(within(row).getAllByRole("cell").at(-2)?.textContent).toBe("0");
    expect(requests[0]?.vmId).toBe("vm-a");

    // The kernel counted three router advertisements: the next refresh shows them.
    packets = 3n;
    await waitFor(() => expect(within(row).getAllByRole("cell").at(-2)?.textContent).toBe("3"), {
      timeout: 5_000,
    });
    expect(within(row).getAllByRole("cell").at(-1)?.textContent).toBe("240");
  });

  it("lists the elements that enforce the VM, as nft writes them", async () => {
    const { transport } = enforcement(() => 0n);
    renderWithTransport(<VmEnforcementSection vmId="vm-a" />, transport);
    const elements = await screen.findByRole("table", { name: "Set elements" });
    expect(within(elements).getByRole("row", { name: /vm_sources/ }).textContent).toContain(
      '"tap-a0" . 2001:db8::10',
    );
    expect(within(elements).getAllByRole("row")).toHaveLength(3);
  });

  it("says so when the host reads no kernel counters", async () => {
    const { transport } = enforcement(() => 0n, false);
    renderWithTransport(<VmEnforcementSection vmId="vm-a" />, transport);
    expect(await screen.findByText(/reads no kernel counters/)).toBeTruthy();
    expect(screen.queryByRole("table", { name: "Counters per control" })).toBeNull();
    expect(screen.getByRole("table", { name: "Set elements" })).toBeTruthy();
  });
});

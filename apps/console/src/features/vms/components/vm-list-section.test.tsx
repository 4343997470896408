import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import {
  type ListVmsRequest,
  SecurityProfile,
  TenantService,
  VmService,
  VmState,
} from "@metald/proto";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it } from "vitest";
import { renderWithTransport } from "../../../test/render-with-transport";
import { type VmFilters, VmListSection } from "./vm-list-section";

const vm = (id: string, extra: Record<string, unknown> = {}) => ({
  vmId: id,
  state: VmState.RUNNING,
  tenantId: "acme",
  vcpuCount: 2,
  memorySizeBytes: 1024n * 1024n * 1024n,
  ipv6Addresses: [`2001:db8::${id.slice(-1)}/64`],
  securityProfile: SecurityProfile.HIGH,
  ...extra,
});

function listing(answer: (req: ListVmsRequest) => unknown) {
  const requests: ListVmsRequest[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(VmService, {
      listVms: (req) => {
        requests.push(req);
        return answer(req) as never;
      },
    });
    service(TenantService, {
      listTenants: () => ({ tenants: [{ id: "acme" }, { id: "globex" }] }),
    });
  });
  return { transport, requests };
}

function Section({ canChooseTenant = true }: { canChooseTenant?: boolean }) {
  const [filters, setFilters] = useState<VmFilters>({ state: "", tenant: "" });
  return (
    <VmListSection
      filters={filters}
      onFiltersChange={setFilters}
      canChooseTenant={canChooseTenant}
    />
  );
}

describe("the VM table", () => {
  it("lists each VM with a link to its page, its state, quarantine, tenant and addresses", async () => {
    const { transport } = listing(() => ({
      vms: [vm("vm-a"), vm("vm-b", { state: VmState.CREATED, isolated: true, tenantId: "globex" })],
      totalCount: 2,
    }));
    renderWithTransport(<Section />, transport);
    const table = await screen.findByRole("table", { name: "VMs" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);
    const [a, b] = rows as [HTMLElement, HTMLElement];
    expect(within(a).getByRole("link", { name: "vm-a" }).getAttribute("href")).toBe("/vms/vm-a");
    expect(a.textContent).toContain("Running");
    expect(a.textContent).toContain("2001:db8::a/64");
    expect(a.textContent).toContain("1 GiB");
    expect(a.textContent).not.toContain("Isolated");
    expect(b.textContent).toContain("Created");
    expect(b.textContent).toContain("Isolated");
    expect(within(b).getByRole("link", { name: "globex" }).getAttribute("href")).toBe(
      "/tenants/globex",
    );
    expect(screen.getByRole("status").textContent).toBe("VMs 1–2 of 2");
  });

  it("walks pages with the server's page tokens, forward and back", async () => {
    const { transport, requests } = listing((req) =>
      req.pageToken === ""
        ? { vms: [vm("vm-a")], nextPageToken: "page-2", totalCount: 2 }
        : { vms: [vm("vm-b")], nextPageToken: "", totalCount: 2 },
    );
    renderWithTransport(<Section />, transport);
    const user = userEvent.setup();
    await screen.findByRole("link", { name: "vm-a" });
    expect(screen.getByRole("button", { name: "Previous page" })).toHaveProperty("disabled", true);
    await user.click(screen.getByRole("button", { name: "Next page" }));
    await screen.findByRole("link", { name: "vm-b" });
    expect(requests.at(-1)?.pageToken).toBe("page-2");
    expect(requests.at(-1)?.pageSize).toBe(25);
    expect(screen.getByRole("status").textContent).toBe("VMs 26–26 of 2");
    expect(screen.getByRole("button", { name: "Next page" })).toHaveProperty("disabled", true);
    await user.click(screen.getByRole("button", { name: "Previous page" }));
    await screen.findByRole("link", { name: "vm-a" });
  });

  it("filters by state and tenant, from the first page again", async () => {
    const { transport, requests } = listing((req) =>
      req.pageToken === ""
        ? { vms: [vm("vm-a")], nextPageToken: "page-2", totalCount: 30 }
        : { vms: [vm("vm-b")], totalCount: 30 },
    );
    renderWithTransport(<Section />, transport);
    const user = userEvent.setup();
    await screen.findByRole("link", { name: "vm-a" });
    await user.click(screen.getByRole("button", { name: "Next page" }));
    await screen.findByRole("link", { name: "vm-b" });
    await user.selectOptions(screen.getByLabelText("State"), "RUNNING");
    await waitFor(() => expect(requests.at(-1)?.state).toBe(VmState.RUNNING));
    expect(requests.at(-1)?.pageToken).toBe("");
    await waitFor(() => expect(screen.getByRole("option", { name: "globex" })).toBeDefined());
    await user.selectOptions(screen.getByLabelText("Tenant"), "globex");
    await waitFor(() => expect(requests.at(-1)?.tenantId).toBe("globex"));
  });

  it("offers no tenant filter to a tenant token", async () => {
    const { transport } = listing(() => ({ vms: [vm("vm-a")], totalCount: 1 }));
    renderWithTransport(<Section canChooseTenant={false} />, transport);
    await screen.findByRole("link", { name: "vm-a" });
    expect(screen.queryByLabelText("Tenant")).toBeNull();
  });

  it("says when there is no VM, and when the list could not be read", async () => {
    const empty = listing(() => ({ vms: [], totalCount: 0 }));
    const { unmount } = renderWithTransport(<Section />, empty.transport);
    expect(await screen.findByText("No VMs yet.")).toBeDefined();
    unmount();

    let fail = true;
    const failing = listing(() => {
      if (fail) throw new ConnectError("the database did not answer", Code.Unavailable);
      return { vms: [vm("vm-a")], totalCount: 1 };
    });
    renderWithTransport(<Section />, failing.transport);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("the database did not answer");
    fail = false;
    await userEvent.setup().click(within(alert).getByRole("button", { name: "Try again" }));
    await screen.findByRole("link", { name: "vm-a" });
  });
});

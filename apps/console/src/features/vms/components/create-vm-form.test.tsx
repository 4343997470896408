import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import {
  type CreateVmRequest,
  type CreateVmResponseSchema,
  SecurityProfile,
  TenantService,
  VmService,
  VmState,
} from "@metald/proto";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { renderWithTransport } from "../../../test/render-with-transport";
import { CreateVmForm } from "./create-vm-form";

type CreateVm = (req: CreateVmRequest) => MessageInitShape<typeof CreateVmResponseSchema>;

function transportAnswering(createVm: CreateVm) {
  const requests: CreateVmRequest[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(VmService, {
      createVm: (req) => {
        requests.push(req);
        return createVm(req);
      },
    });
    service(TenantService, {
      listTenants: () => ({ tenants: [{ id: "acme" }, { id: "globex" }] }),
    });
  });
  return { transport, requests };
}

const descriptionOf = (element: HTMLElement) =>
  (element.getAttribute("aria-describedby") ?? "")
    .split(" ")
    .map((id) => document.getElementById(id)?.textContent ?? "")
    .join(" ");

describe("the create-VM form", () => {
  it("shows the server's invalid_argument at the field its path names, and moves the focus there", async () => {
    const { transport } = transportAnswering(() => {
      throw new ConnectError(
        'config.ipv6_config.addresses[0]: "2001:db8::zz/64" is not an IPv6 address',
        Code.InvalidArgument,
      );
    });
    renderWithTransport(<CreateVmForm />, transport);
    const user = userEvent.setup();
    const address = await screen.findByLabelText("IPv6 address");
    await user.type(address, "2001:db8::zz/64");
    await user.click(screen.getByRole("button", { name: "Create VM" }));

    await waitFor(() => expect(address.getAttribute("aria-invalid")).toBe("true"));
    expect(descriptionOf(address)).toContain(
      '"2001:db8::zz/64" is not an IPv6 address (config.ipv6_config.addresses[0])',
    );
    expect(document.activeElement).toBe(address);
    // Only that field: the others stay valid, and there is no message elsewhere.
    expect(screen.getByLabelText("Tenant").getAttribute("aria-invalid")).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();
    // Editing the field clears its problem.
    await user.type(address, "x");
    expect(address.getAttribute("aria-invalid")).toBeNull();
  });

  it("puts a tenant problem at the tenant field and a switch's at its fieldset", async () => {
    let answer = "config.tenant_id: a tenant token creates VMs of its own tenant only";
    const { transport } = transportAnswering(() => {
      throw new ConnectError(answer, Code.InvalidArgument);
    });
    renderWithTransport(<CreateVmForm />, transport);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Create VM" }));
    const tenant = screen.getByLabelText("Tenant");
    await waitFor(() => expect(tenant.getAttribute("aria-invalid")).toBe("true"));
    expect(descriptionOf(tenant)).toContain("own tenant only");

    answer = "config.ipv6_config.security.ra_guard.enabled: conflicts with block_all_ra";
    await user.click(screen.getByRole("button", { name: "Create VM" }));
    const raGuard = await screen.findByRole("group", { name: "Router Advertisement guard" });
    await waitFor(() => expect(descriptionOf(raGuard)).toContain("conflicts with block_all_ra"));
    expect(tenant.getAttribute("aria-invalid")).toBeNull();
  });

  it("shows a problem no field of the form sets above the button, in the server's words", async () => {
    const { transport } = transportAnswering(() => {
      throw new ConnectError(
        'config.network[0].bridge_name: bridge "br-x" is not one metald may use',
        Code.PermissionDenied,
      );
    });
    renderWithTransport(<CreateVmForm />, transport);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Create VM" }));
    expect(await screen.findByRole("alert")).toHaveProperty(
      "textContent",
      'config.network[0].bridge_name: bridge "br-x" is not one metald may use',
    );
  });

  it("sends the form as a CreateVm request (ipv6_config form) and opens the new VM", async () => {
    const { transport, requests } = transportAnswering(() => ({
      vmId: "vm-new",
      state: VmState.CREATED,
    }));
    const { router } = renderWithTransport(<CreateVmForm />, transport);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Tenant"), "acme");
    await user.type(screen.getByLabelText("IPv6 address"), "2001:db8:1::10/64");
    await user.selectOptions(screen.getByLabelText("Security profile"), "HIGH");
    const raGuard = screen.getByRole("group", { name: "Router Advertisement guard" });
    await user.click(within(raGuard).getByLabelText("On"));
    await user.click(screen.getByRole("button", { name: "Create VM" }));

    await waitFor(() => expect(router.state.location.pathname).toBe("/vms/vm-new"));
    const [sent] = requests;
    expect(sent?.config?.tenantId).toBe("acme");
    expect(sent?.config?.ipv6Config?.addresses).toEqual(["2001:db8:1::10/64"]);
    expect(sent?.config?.ipv6Config?.security?.profile).toBe(SecurityProfile.HIGH);
    expect(sent?.config?.ipv6Config?.security?.raGuard?.enabled).toBe(true);
    // Switches left to the profile are not sent at all.
    expect(sent?.config?.ipv6Config?.security?.sourceValidation?.sourceGuard).toBeUndefined();
    expect(sent?.config?.memory?.sizeBytes).toBe(512n * 1024n * 1024n);
  });

  it("keeps a tenant token's tenant fixed", async () => {
    const { transport } = transportAnswering(() => ({ vmId: "vm-x" }));
    renderWithTransport(<CreateVmForm fixedTenant="acme" />, transport);
    const tenant = (await screen.findByLabelText("Tenant")) as HTMLInputElement;
    expect(tenant.value).toBe("acme");
    expect(tenant.disabled).toBe(true);
  });
});

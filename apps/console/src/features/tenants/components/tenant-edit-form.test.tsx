import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { type Tenant, TenantService, TenantTier, type UpdateTenantRequest } from "@metald/proto";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it } from "vitest";
import { renderWithTransport } from "../../../test/render-with-transport";
import { useUpdateTenant } from "../api/update-tenant";
import { TenantEditForm } from "./tenant-edit-form";

const tenant = {
  id: "acme",
  name: "Acme",
  tier: TenantTier.STANDARD,
  vlanId: 0,
  ipv6Prefix: "2001:db8:ac::/48",
  bridgeName: "",
  networkNamespace: "",
} as Tenant;

function Editor() {
  const update = useUpdateTenant();
  const [saved, setSaved] = useState(false);
  return saved ? (
    <p>saved</p>
  ) : (
    <TenantEditForm
      tenant={tenant}
      busy={update.isPending}
      onCancel={() => {}}
      save={(t) => update.mutateAsync({ tenant: t }).then(() => setSaved(true))}
    />
  );
}

function tenants(answer: (req: UpdateTenantRequest) => unknown) {
  const requests: UpdateTenantRequest[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(TenantService, {
      updateTenant: (req) => {
        requests.push(req);
        return answer(req) as never;
      },
    });
  });
  return { transport, requests };
}

describe("editing a tenant", () => {
  it("shows the server's invalid_argument at the field it names", async () => {
    const { transport } = tenants(() => {
      throw new ConnectError("tenant.vlan_id: must be 1–4094", Code.InvalidArgument);
    });
    renderWithTransport(<Editor />, transport);
    const user = userEvent.setup();
    const vlan = await screen.findByLabelText("VLAN");
    await user.type(vlan, "5000");
    await user.click(screen.getByRole("button", { name: "Save tenant" }));
    await waitFor(() => expect(vlan.getAttribute("aria-invalid")).toBe("true"));
    expect(document.activeElement).toBe(vlan);
    expect(screen.getByText("must be 1–4094")).toBeTruthy();
    expect(screen.getByLabelText("Name").getAttribute("aria-invalid")).toBeNull();
  });

  it("shows a problem no field names above the button", async () => {
    const { transport } = tenants(() => {
      throw new ConnectError("UpdateTenant is for operators", Code.PermissionDenied);
    });
    renderWithTransport(<Editor />, transport);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Save tenant" }));
    expect((await screen.findByRole("alert")).textContent).toBe("UpdateTenant is for operators");
  });

  it("sends the whole tenant with the changed tier and VLAN", async () => {
    const { transport, requests } = tenants((req) => ({ tenant: req.tenant }));
    renderWithTransport(<Editor />, transport);
    const user = userEvent.setup();
    await user.selectOptions(await screen.findByLabelText("Tier"), "premium");
    await user.type(screen.getByLabelText("VLAN"), "120");
    await user.click(screen.getByRole("button", { name: "Save tenant" }));
    expect(await screen.findByText("saved")).toBeTruthy();
    expect(requests[0]?.tenant).toMatchObject({
      id: "acme",
      name: "Acme",
      tier: TenantTier.PREMIUM,
      vlanId: 120,
      ipv6Prefix: "2001:db8:ac::/48",
    });
  });
});

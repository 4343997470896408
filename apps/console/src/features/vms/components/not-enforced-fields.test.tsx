import { create } from "@bufbuild/protobuf";
import { NotEnforcedFieldSchema } from "@metald/proto";
import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { NotEnforcedFields } from "./not-enforced-fields";

describe("the settings a host does not enforce", () => {
  it("lists each with its interface, value, layer and reason", () => {
    const fields = [
      create(NotEnforcedFieldSchema, {
        field: "isolation.customer_vlan",
        interfaceId: "eth0",
        reason: "this host has no bridge VLAN filtering",
        source: "request",
        value: "100",
      }),
      create(NotEnforcedFieldSchema, {
        field: "security_profile.security_groups",
        reason: "no security-group objects exist on this host",
        source: "request",
        value: '["dmz"]',
      }),
    ];
    render(<NotEnforcedFields fields={fields} />);
    const table = screen.getByRole("table", { name: "Settings this host does not enforce" });
    const vlan = within(table).getByRole("row", { name: /isolation\.customer_vlan/ });
    expect(
      within(vlan)
        .getAllByRole("cell")
        .map((c) => c.textContent),
    ).toEqual(["eth0", "100", "request", "this host has no bridge VLAN filtering"]);
    const groups = within(table).getByRole("row", { name: /security_groups/ });
    expect(within(groups).getAllByRole("cell")[0]?.textContent).toBe("whole VM");
    expect(within(groups).getAllByRole("cell")[1]?.textContent).toBe("dmz");
  });

  it("says so when nothing is left unenforced", () => {
    render(<NotEnforcedFields fields={[]} />);
    expect(screen.queryByRole("table")).toBeNull();
    expect(screen.getByText(/Every setting of this VM is enforced/)).toBeTruthy();
  });
});

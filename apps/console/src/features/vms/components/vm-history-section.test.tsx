import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { ConfigHistoryService, type DiffVmConfigVersionsRequest } from "@metald/proto";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { renderWithTransport } from "../../../test/render-with-transport";
import { VmHistorySection } from "./vm-history-section";

const version = (n: number, action: string, changedControls: string[] = []) => ({
  vmId: "vm-h",
  version: n,
  createdAt: timestampFromDate(new Date(Date.UTC(2026, 0, n))),
  actor: "operator",
  action,
  changedControls,
});

function history() {
  const diffs: DiffVmConfigVersionsRequest[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(ConfigHistoryService, {
      listVmConfigVersions: () => ({
        versions: [
          version(3, "vm.update_security", ["rate_limits"]),
          version(2, "vm.update_security", ["ra_guard"]),
          version(1, "vm.create", ["ra_guard", "rate_limits"]),
        ],
      }),
      diffVmConfigVersions: (req) => {
        diffs.push(req);
        if (req.fromVersion > req.toVersion)
          throw new ConnectError("to_version: is older than from_version", Code.InvalidArgument);
        return {
          changes:
            req.fromVersion === 2
              ? [
                  {
                    path: "ipv6_security.rate_limits.max_pps_per_vm",
                    beforeJson: "1000",
                    afterJson: "50",
                  },
                ]
              : [
                  {
                    path: "ipv6_security.ra_guard.enabled",
                    beforeJson: "false",
                    afterJson: "true",
                  },
                  { path: "labels.team", beforeJson: "", afterJson: '"blue"' },
                ],
        };
      },
    });
  });
  return { transport, diffs };
}

describe("the VM's configuration history", () => {
  it("lists the versions and compares the newest change until two others are picked", async () => {
    const { transport, diffs } = history();
    renderWithTransport(<VmHistorySection vmId="vm-h" />, transport);
    const versions = await screen.findByRole("table", { name: /Configuration versions/ });
    expect(within(versions).getAllByRole("row")).toHaveLength(4);
    expect(within(versions).getByRole("row", { name: /^2 / }).textContent).toContain("ra_guard");

    const diff = await screen.findByRole("table", { name: "Changes from version 2 to version 3" });
    const row = within(diff).getByRole("row", { name: /max_pps_per_vm/ });
    expect(row.textContent).toContain("1000");
    expect(row.textContent).toContain("50");
    expect(diffs[0]).toMatchObject({ vmId: "vm-h", fromVersion: 2, toVersion: 3 });

    const user = userEvent.setup();
    await user.click(screen.getByRole("radio", { name: "Compare from version 1" }));
    await user.click(screen.getByRole("radio", { name: "Compare to version 2" }));
    const picked = await screen.findByRole("table", {
      name: "Changes from version 1 to version 2",
    });
    // A path the older version did not have reads as not set.
    expect(within(picked).getByRole("row", { name: /labels.team/ }).textContent).toContain(
      "not set",
    );
    await waitFor(() => expect(diffs.at(-1)).toMatchObject({ fromVersion: 1, toVersion: 2 }));
  });

  it("shows the server's refusal of a pair, and asks nothing for one version against itself", async () => {
    const { transport, diffs } = history();
    renderWithTransport(<VmHistorySection vmId="vm-h" />, transport);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("radio", { name: "Compare from version 3" }));
    expect(await screen.findByText("Pick two different versions to compare.")).toBeTruthy();
    const asked = diffs.length;
    await user.click(screen.getByRole("radio", { name: "Compare to version 1" }));
    expect((await screen.findByRole("alert")).textContent).toContain("older than from_version");
    expect(diffs.length).toBe(asked + 1);
  });
});

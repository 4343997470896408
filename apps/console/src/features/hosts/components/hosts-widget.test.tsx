import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { HostService } from "@metald/proto";
import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderWithTransport } from "../../../test/render-with-transport";
import { HostsWidget } from "./hosts-widget";

const beat = timestampFromDate(new Date(Date.UTC(2026, 11, 1, 3, 0, 0)));

function host(hostId: string, stale: boolean) {
  return {
    hostId,
    address: `http://${hostId}.example.net:8080`,
    version: "0.9.0",
    driver: hostId === "host-a" ? "linux" : "sandbox",
    heartbeatMs: 5000,
    lastHeartbeatAt: beat,
    stale,
  };
}

describe("HostsWidget", () => {
  it("lists every host with address, version, driver and heartbeat, marking the stale one and this host", async () => {
    let staleB = false;
    const transport = createRouterTransport(({ service }) => {
      service(HostService, {
        listHosts: () => ({
          hosts: [host("host-a", false), host("host-b", staleB)],
          servingHostId: "host-a",
        }),
      });
    });
    const { queryClient } = renderWithTransport(<HostsWidget />, transport);
    const table = await screen.findByRole("table", { name: "Hosts of the fleet" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);
    const [a, b] = rows as [HTMLElement, HTMLElement];
    expect(within(a).getByRole("rowheader").textContent).toBe("host-a (this host)");
    expect(within(a).getByText("http://host-a.example.net:8080")).toBeTruthy();
    expect(within(a).getByText("linux")).toBeTruthy();
    expect(within(a).getByText("Live")).toBeTruthy();
    expect(within(b).getByRole("rowheader").textContent).toBe("host-b");
    expect(within(b).getByText("sandbox")).toBeTruthy();
    expect(within(b).getByText("0.9.0")).toBeTruthy();
    expect(within(b).getByText("Live")).toBeTruthy();
    // The heartbeat as the console writes times (formatTimestamp), not a placeholder.
    const heartbeat = within(a).getAllByRole("cell")[3]?.textContent ?? "";
    expect(heartbeat).toMatch(/2026/);

    // Host B misses its heartbeats: the next answer marks it stale.
    staleB = true;
    await queryClient.invalidateQueries();
    expect(await within(b).findByText("Stale")).toBeTruthy();
    expect(within(b).queryByText("Live")).toBeNull();
    expect(within(a).getByText("Live")).toBeTruthy();
  });

  it("says why when the hosts cannot be listed", async () => {
    const transport = createRouterTransport(({ service }) => {
      service(HostService, {
        listHosts: () => {
          throw new ConnectError("the database did not answer", Code.Unavailable);
        },
      });
    });
    renderWithTransport(<HostsWidget />, transport);
    expect(await screen.findByText("Could not list the hosts")).toBeTruthy();
    expect(screen.getByText(/the database did not answer/)).toBeTruthy();
  });
});

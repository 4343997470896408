// HostService.ListHosts: every registered host with staleness judged by the injected clock
// against each host's own heartbeat interval; for operators and auditors, not tenants.
import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createContextValues, createHandlerContext } from "@connectrpc/connect";
import type { HostRecord } from "@metald/db";
import { HostService, ListHostsRequestSchema, type ListHostsResponse } from "@metald/proto";
import { describe, expect, it } from "vitest";
import type { Principal } from "../auth/principal.js";
import { PRINCIPAL } from "../auth/principal-context.js";
import { createHostServiceImpl } from "../connect/host-service.js";

const caps = { nftables: true, vlanDevices: true, bridgeVlanFiltering: false, notes: ["x"] };
const t0 = new Date("2026-01-01T00:00:00Z");
const host = (hostId: string, lastMs: number, heartbeatMs: number): HostRecord => ({
  hostId,
  address: `http://${hostId}:8080`,
  version: "1.0.0",
  driver: "sandbox",
  capabilities: caps,
  heartbeatMs,
  startedAt: t0,
  lastHeartbeatAt: new Date(t0.getTime() + lastMs),
});

function contextFor(principal: Principal) {
  return createHandlerContext({
    service: HostService,
    method: HostService.method.listHosts,
    protocolName: "connect",
    requestMethod: "POST",
    url: "http://localhost/vmprovisioner.v1.HostService/ListHosts",
    contextValues: createContextValues().set(PRINCIPAL, principal),
  });
}

describe("ListHosts", () => {
  const now = new Date(t0.getTime() + 20_000);
  const impl = createHostServiceImpl(
    {
      hostId: "h-a",
      version: "1.0.0",
      driver: "sandbox",
      database: "postgres",
      authMode: "required",
      compat: async () => caps,
    },
    {
      vms: { countByState: async () => ({}) },
      provisionerFor: () => {
        throw new Error("not used");
      },
      fleet: {
        hosts: {
          list: async () => [
            host("h-a", 19_000, 5_000),
            host("h-b", 4_000, 5_000),
            host("h-c", 19_000, 200),
          ],
        },
        now: () => now,
      },
    },
  );

  it("marks a host stale after more than 3 of its own heartbeat intervals", async () => {
    // The handler builds its answer with create(): a whole message, not an init shape.
    const res = (await impl.listHosts(
      create(ListHostsRequestSchema, {}),
      contextFor({ kind: "auditor", name: "audit" } as Principal),
    )) as ListHostsResponse;
    expect(res.servingHostId).toBe("h-a");
    expect(res.hosts.map((h) => [h.hostId, h.stale])).toEqual([
      ["h-a", false],
      ["h-b", true],
      ["h-c", true],
    ]);
    const first = res.hosts[0];
    expect(first?.address).toBe("http://h-a:8080");
    expect(first?.heartbeatMs).toBe(5_000);
    expect(first?.capabilities).toMatchObject({ nftables: true, notes: ["x"] });
    expect(first?.lastHeartbeatAt && timestampDate(first.lastHeartbeatAt)).toEqual(
      new Date(t0.getTime() + 19_000),
    );
  });

  it("refuses a tenant token", async () => {
    const refusal = await Promise.resolve(
      impl.listHosts(
        create(ListHostsRequestSchema, {}),
        contextFor({ kind: "tenant", name: "t", tenantId: "acme" } as Principal),
      ),
    ).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ConnectError);
    expect((refusal as ConnectError).code).toBe(Code.PermissionDenied);
  });
});

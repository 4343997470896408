// Accepted fields either act or are reported as not enforced (sandbox driver, real kernel):
// an interface's gateway becomes the guest's default route, shown by an echo to an off-link
// address arriving at the VM that holds the gateway's address; the VLAN id, which this kernel
// cannot carry (no bridge VLAN filtering), and an MLD snooping value that differs
// from the bridge a tenant's first VM made are listed in GetVmNetworkSecurity's not_enforced,
// the REST mirror and the metald_ipv6_security_not_enforced gauge.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "../harness/curl-like.js";
import { type MetaldProcess, startMetald } from "../harness/metald-process.js";
import {
  canSendRealPackets,
  capture,
  createGuest,
  type Guest,
  inGuest,
  waitForAddresses,
} from "./sandbox-guests.js";

const PREFIX = "2001:db8:6e";
const GATEWAY = `${PREFIX}::1`;
const OFF_LINK = "2001:db8:ffff::1";

interface NotEnforced {
  field: string;
  interfaceId: string;
  reason: string;
  source: string;
  value: string;
}

describe.runIf(canSendRealPackets)("accepted fields act or are reported (sandbox)", () => {
  let metald: MetaldProcess;
  let router: Guest;
  let client: Guest;
  let lateVm: Guest;
  const guests: Guest[] = [];

  const network = (address: string, extra: Record<string, unknown> = {}) => ({
    tenant_id: "nefields",
    network: [{ id: "eth0", ipv6: { address: `${address}/64`, ...extra } }],
  });

  const notEnforced = async (vmId: string): Promise<NotEnforced[]> => {
    const res = await postJson(`${metald.url}/vmprovisioner.v1.VmService/GetVmNetworkSecurity`, {
      vm_id: vmId,
    });
    expect(res.status).toBe(200);
    return (res.body as { notEnforced: NotEnforced[] }).notEnforced;
  };

  beforeAll(async () => {
    metald = await startMetald("pglite", { driver: "sandbox" });
    // The tenant's first VM makes its bridge (MLD snooping on, the default) and stands in
    // for the router at the gateway's address.
    router = await createGuest(metald.url, GATEWAY, network(GATEWAY));
    guests.push(router);
    client = await createGuest(metald.url, `${PREFIX}::10`, {
      tenant_id: "nefields",
      network: [
        {
          id: "eth0",
          vlan_id: "100",
          ipv6: {
            address: `${PREFIX}::10/64`,
            gateway: GATEWAY,
            dns_servers: [`${PREFIX}::53`],
          },
        },
      ],
    });
    guests.push(client);
    lateVm = await createGuest(
      metald.url,
      `${PREFIX}::20`,
      network(`${PREFIX}::20`, { security: { enable_mld_snooping: false } }),
    );
    guests.push(lateVm);
    for (const g of guests) await waitForAddresses(g);
  }, 60_000);

  afterAll(async () => {
    for (const g of guests)
      await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, { vm_id: g.vmId });
    await metald?.destroy();
  });

  it("installs the interface's gateway as the guest's default route", async () => {
    const routes = async () => {
      const out = await inGuest(client, "ip", ["-j", "-6", "route", "show", "default"]);
      return (JSON.parse(out || "[]") as { gateway?: string; dev?: string }[]).map((r) => ({
        gateway: r.gateway,
        dev: r.dev,
      }));
    };
    await expect.poll(routes, { timeout: 5_000 }).toEqual([{ gateway: GATEWAY, dev: "eth0" }]);
    // A VM without a gateway has no default route: off-link addresses are unreachable there.
    expect(await inGuest(lateVm, "ip", ["-6", "route", "show", "default"])).toBe("");
  });

  it("sends traffic for off-link addresses to the gateway", async () => {
    const atRouter = await capture(router, "echo", 8, client.address, { expect: 3 });
    // ping exits non-zero (no replies: nothing answers for OFF_LINK); what counts is the capture.
    await inGuest(client, "ping", [
      "-c",
      "3",
      "-i",
      "0.2",
      "-W",
      "1",
      "-I",
      client.address,
      OFF_LINK,
    ]).catch(() => undefined);
    expect(await atRouter.result).toBe(3);
  });

  it("lists the VLAN id as not enforced on this kernel, naming why", async () => {
    const fields = await notEnforced(client.vmId);
    const vlan = fields.find((f) => f.field === "isolation.customer_vlan");
    expect(vlan).toMatchObject({ interfaceId: "eth0", source: "request", value: "100" });
    expect(vlan?.reason).toMatch(/this host has no bridge VLAN filtering/);
    expect(fields.map((f) => f.field)).toContain("ipv6.dns_servers");
    // The gateway acts in the sandbox: it is not listed.
    expect(fields.map((f) => f.field)).not.toContain("ipv6.gateway");
    // Without a VLAN, the router VM is not reported for one.
    expect((await notEnforced(router.vmId)).map((f) => f.field)).not.toContain(
      "isolation.customer_vlan",
    );
  });

  it("lists a later VM's MLD snooping value that the tenant's bridge does not have", async () => {
    const sandbox = metald.env.METALD_SANDBOX_NAMESPACE as string;
    const out = execFileSync("ip", [
      "-n",
      sandbox,
      "-d",
      "-j",
      "link",
      "show",
      "dev",
      "br-nefields",
    ]);
    const info = (
      JSON.parse(out.toString()) as { linkinfo: { info_data: { mcast_snooping: number } } }[]
    )[0];
    expect(info?.linkinfo.info_data.mcast_snooping).toBe(1);
    const late = (await notEnforced(lateVm.vmId)).find(
      (f) => f.field === "isolation.enable_mld_snooping",
    );
    expect(late).toMatchObject({ interfaceId: "eth0", source: "request", value: "false" });
    expect(late?.reason).toMatch(/br-nefields has multicast snooping on/);
    expect((await notEnforced(router.vmId)).map((f) => f.field)).not.toContain(
      "isolation.enable_mld_snooping",
    );
  });

  it("shows the same list on GET /api/v1/vms/{id}/security and counts VMs in the gauge", async () => {
    const rest = (await (
      await fetch(`${metald.url}/api/v1/vms/${client.vmId}/security`)
    ).json()) as {
      not_enforced: { field: string; interface_id: string }[];
    };
    expect(rest.not_enforced).toContainEqual(
      expect.objectContaining({ field: "isolation.customer_vlan", interface_id: "eth0" }),
    );
    const gauge = async (field: string) => {
      const text = await (await fetch(metald.metricsUrl)).text();
      const line = text
        .split("\n")
        .find((l) => l.startsWith(`metald_ipv6_security_not_enforced{field="${field}"}`));
      return line ? Number(line.split(" ").pop()) : 0;
    };
    await expect.poll(() => gauge("isolation.customer_vlan"), { timeout: 5_000 }).toBe(1);
    await expect.poll(() => gauge("isolation.enable_mld_snooping"), { timeout: 5_000 }).toBe(1);
  });
});

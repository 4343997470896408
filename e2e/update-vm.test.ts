// Changing a VM's configuration: the update RPCs and the REST PATCH as the guides send them,
// each stored as a new version, refused whole when any part is wrong.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { curlData, postJson } from "./harness/curl-like.js";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";

const VM = "/vmprovisioner.v1.VmService";

async function patch(url: string, body: string, contentType?: string) {
  const res = await fetch(url, {
    method: "PATCH",
    headers: contentType
      ? { "Content-Type": contentType }
      : { "Content-Type": "application/x-www-form-urlencoded" },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe.each(["pglite", "postgres"] as const)("updating VMs on %s", (kind) => {
  let metald: MetaldProcess;
  let networkVm: string;
  let singleVm: string;

  beforeAll(async () => {
    metald = await startMetald(kind);
    const a = await postJson(`${metald.url}${VM}/CreateVm`, {
      config: {
        tenant_id: "updates",
        network: [
          {
            id: "eth0",
            ipv6: {
              address: "2600:beef:1000::100/64",
              security: { enable_ra_guard: true, allowed_ra_sources: ["fe80::1"] },
            },
            security_policy: {
              ingress_rules: ["allow tcp from any to any port 443", "deny all from any to any"],
              egress_rules: ["allow tcp from any to any port 53", "deny all from any to any"],
            },
          },
        ],
      },
    });
    networkVm = (a.body as { vmId: string }).vmId;
    const b = await postJson(`${metald.url}${VM}/CreateVm`, {
      config: {
        ipv6_config: {
          addresses: ["2600:beef:1000::101/64"],
          security: { profile: "SECURITY_PROFILE_HIGH" },
        },
      },
    });
    singleVm = (b.body as { vmId: string }).vmId;
  });
  afterAll(async () => {
    await metald.destroy();
  });

  it("UpdateSecurityPolicy sent with curl -X PUT replaces the ingress rules and keeps the egress rules", async () => {
    const res = await curlData(
      `${metald.url}${VM}/UpdateSecurityPolicy`,
      JSON.stringify({
        vm_id: networkVm,
        security_policy: {
          ingress_rules: [
            "allow tcp from 2600:BEEF:1000::/64 to any port 80,443",
            "allow icmpv6 from any to any",
            "deny all from any to any",
          ],
        },
      }),
      "PUT",
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ configVersion: 2 });
    const policy = (await (
      await fetch(`${metald.url}/debug/vm/${networkVm}/security-policy`)
    ).json()) as Record<string, unknown>;
    expect(policy.ingress_rules).toEqual([
      "allow tcp from 2600:BEEF:1000::/64 to any port 80,443",
      "allow icmpv6 from any to any",
      "deny all from any to any",
    ]);
    expect(policy.egress_rules).toEqual([
      "allow tcp from any to any port 53",
      "deny all from any to any",
    ]);
  });

  it("UpdateVmNetwork changes the interface's RA guard sources, canonical, as /debug/network/vm shows", async () => {
    const res = await curlData(
      `${metald.url}${VM}/UpdateVmNetwork`,
      JSON.stringify({
        vm_id: networkVm,
        interface_id: "eth0",
        ipv6: { security: { enable_ra_guard: true, allowed_ra_sources: ["2600:BEEF:1000::1"] } },
      }),
      "PUT",
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const debug = (await (await fetch(`${metald.url}/debug/network/vm/${networkVm}`)).json()) as {
      ipv6: { security: { allowed_ra_sources: string[] } };
    };
    expect(debug.ipv6.security.allowed_ra_sources).toEqual(["2600:beef:1000::1"]);
  });

  it.each([() => networkVm, () => singleVm])(
    "PATCH /api/v1/vms/{id}/security applies the migration script's phase 1 (%#)",
    async (vm) => {
      const res = await patch(
        `${metald.url}/api/v1/vms/${vm()}/security`,
        JSON.stringify({ ra_guard: { enabled: true, block_all_ra: false, max_ra_rate: 10 } }),
        "application/json",
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const security = await (await fetch(`${metald.url}/api/v1/vms/${vm()}/security`)).json();
      expect(security).toMatchObject({
        ipv6_security: { ra_guard: { enabled: true, block_all_ra: false, max_ra_rate: 10 } },
      });
    },
  );

  it("PATCH without a Content-Type (the performance script) turns source validation and rate limits off", async () => {
    const res = await patch(
      `${metald.url}/api/v1/vms/${singleVm}/security`,
      JSON.stringify({ source_validation: { enabled: false }, rate_limits: { enabled: false } }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      ipv6_security: {
        source_validation: { strict_ingress: false, strict_egress: false, source_guard: false },
        rate_limits: { max_pps_per_vm: 0, max_bandwidth_per_vm: "0" },
      },
    });
  });

  it("GetVmNetworkSecurity says which layer set each value, and the value", async () => {
    const res = await postJson(`${metald.url}${VM}/GetVmNetworkSecurity`, { vm_id: singleVm });
    type Source = { field: string; source: string; value: string };
    const sources =
      (res.body as { interfaces: { sources: Source[] }[] }).interfaces[0]?.sources ?? [];
    const of = (field: string) => sources.find((s) => s.field === field)?.source;
    const effective = (field: string) => sources.find((s) => s.field === field)?.value;
    expect(of("raGuard.maxRaRate")).toBe("request");
    expect(of("extensionHeaders.mode")).toBe("profile");
    expect(of("monitoring.metricsIntervalS")).toBe("default");
    expect(effective("raGuard.maxRaRate")).toBe("10");
    expect(effective("raGuard.enabled")).toBe("true");
    expect(JSON.parse(effective("extensionHeaders.allowedTypes") ?? "null")).toBeInstanceOf(Array);
  });

  it("a bad patch is refused with its path and changes nothing", async () => {
    const before = (await (
      await fetch(`${metald.url}/api/v1/vms/${singleVm}/security`)
    ).json()) as { config_version: number };
    const res = await patch(
      `${metald.url}/api/v1/vms/${singleVm}/security`,
      JSON.stringify({ ra_guard: { max_ra_rate: -1 } }),
      "application/json",
    );
    expect(res).toEqual({
      status: 400,
      body: {
        code: "invalid_argument",
        message: "ra_guard.max_ra_rate: -1 is negative; this field is unsigned",
      },
    });
    const bad = await patch(
      `${metald.url}/api/v1/vms/${singleVm}/security`,
      JSON.stringify({ isolation: { bridge_interface: "br-way-too-long-name" } }),
      "application/json",
    );
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("bridge_interface");
    const after = (await (await fetch(`${metald.url}/api/v1/vms/${singleVm}/security`)).json()) as {
      config_version: number;
    };
    expect(after.config_version).toBe(before.config_version);
  });

  it("moving an interface to an address another VM holds is already_exists and changes nothing", async () => {
    const res = await curlData(
      `${metald.url}${VM}/UpdateVmNetwork`,
      JSON.stringify({ vm_id: networkVm, ipv6: { address: "2600:beef:1000::101/64" } }),
    );
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: "already_exists" });
    const vm = await curlData(`${metald.url}${VM}/GetVm`, JSON.stringify({ vm_id: networkVm }));
    expect((vm.body as { network: { ipv6: { address: string } }[] }).network[0]?.ipv6.address).toBe(
      "2600:beef:1000::100/64",
    );
  });

  it("an unknown VM is not_found on every update route", async () => {
    expect(
      (
        await postJson(`${metald.url}${VM}/UpdateVmNetworkSecurity`, {
          vm_id: "vm-nope",
          security: {},
        })
      ).status,
    ).toBe(404);
    expect(
      (await patch(`${metald.url}/api/v1/vms/vm-nope/security`, "{}", "application/json")).status,
    ).toBe(404);
    expect((await fetch(`${metald.url}/debug/vm/vm-nope/security-policy`)).status).toBe(404);
  });
});

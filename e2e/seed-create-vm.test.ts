// Seed conformance: every CreateVm body in the guides, sent as the guides send it, against
// the real server on both databases; GetVm and ListVms read with the guides' jq paths.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hexifySeedBody } from "./fixtures/hexify-seed-body.js";
import { curlData, postJson } from "./harness/curl-like.js";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";
import { type SeedBodyName, seedBody, seedBodyText } from "./harness/seed-bodies.js";

const CREATE = "/vmprovisioner.v1.VmService/CreateVm";
const GET = "/vmprovisioner.v1.VmService/GetVm";
const LIST = "/vmprovisioner.v1.VmService/ListVms";

const VALID_AS_WRITTEN: SeedBodyName[] = ["000-high-security-web-server", "000-concurrent-create"];

// Bodies whose placeholder groups are not hexadecimal: refused, naming the field and the group.
const PLACEHOLDER_BODIES: [SeedBodyName, string, string][] = [
  ["000-multi-tier-frontend", "config.ipv6_config.addresses[0]", 'group "app" is not hexadecimal'],
  ["000-multi-tier-backend", "config.ipv6_config.addresses[0]", 'group "app" is not hexadecimal'],
  [
    "001-example1-secure-web-server",
    "config.network[0].ipv6.address",
    'group "web" is not hexadecimal',
  ],
  ["001-example2-web-tier", "config.network[0].ipv6.address", 'group "dmz" is not hexadecimal'],
  ["001-example2-app-tier", "config.network[0].ipv6.address", 'group "app" is not hexadecimal'],
  [
    "001-example2-db-tier",
    "config.network[0].security_policy.ingress_rules[0]",
    'group "app" is not hexadecimal',
  ],
  [
    "001-example3-tenant-a-financial",
    "config.network[0].ipv6.address",
    'group "fin" is not hexadecimal',
  ],
];

interface GetVmJson {
  vmId: string;
  state: string;
  tenantId: string;
  network: { id: string; ipv6: { address: string; security: Record<string, unknown> } }[];
  ipv6Security?: { profile: string };
}

describe.each(["pglite", "postgres"] as const)("seed CreateVm bodies on %s", (kind) => {
  let metald: MetaldProcess;
  const created = new Map<string, string>();

  beforeAll(async () => {
    metald = await startMetald(kind);
  });
  afterAll(async () => {
    await metald.destroy();
  });

  it.each(VALID_AS_WRITTEN)("%s as written returns a vmId", async (name) => {
    const res = await postJson(metald.url + CREATE, seedBodyText(name));
    expect(res.status).toBe(200);
    const { vmId } = res.body as { vmId: string };
    expect(vmId).toMatch(/^vm-[0-9a-z]{26}$/);
    created.set(name, vmId);
  });

  it.each(PLACEHOLDER_BODIES)("%s as written is refused at %s", async (name, path, reason) => {
    const res = await postJson(metald.url + CREATE, seedBodyText(name));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "invalid_argument" });
    const { message } = res.body as { message: string };
    expect(message.startsWith(`${path}: `)).toBe(true);
    expect(message).toContain(reason);
  });

  it.each(PLACEHOLDER_BODIES.filter(([n]) => n !== "001-example3-tenant-a-financial"))(
    "%s with hexadecimal groups returns a vmId",
    async (name) => {
      const res = await postJson(metald.url + CREATE, hexifySeedBody(seedBody(name)));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      created.set(name, (res.body as { vmId: string }).vmId);
    },
  );

  it("the financial tenant with hexadecimal groups is still refused: its backup bridge name exceeds 15 characters", async () => {
    const body = hexifySeedBody(seedBody("001-example3-tenant-a-financial"));
    const res = await postJson(metald.url + CREATE, body);
    expect(res.status).toBe(400);
    expect((res.body as { message: string }).message).toBe(
      'config.network[1].bridge_name: "br-financial-backup" is not a valid Linux name: it is 19 characters; Linux names are at most 15',
    );
    const network = (body.config as { network: { bridge_name: string }[] }).network;
    (network[1] as { bridge_name: string }).bridge_name = "br-fin-backup";
    const fixed = await postJson(metald.url + CREATE, body);
    expect(fixed.status, JSON.stringify(fixed.body)).toBe(200);
    created.set("001-example3-tenant-a-financial", (fixed.body as { vmId: string }).vmId);
  });

  it("GetVm without a Content-Type (as curl -d sends it) returns .network[0].ipv6.security and .state", async () => {
    const vmId = created.get("001-example1-secure-web-server");
    const res = await curlData(metald.url + GET, JSON.stringify({ vm_id: vmId }));
    expect(res.status).toBe(200);
    const vm = res.body as GetVmJson;
    expect(vm.state).toBe("VM_STATE_CREATED");
    expect(vm.tenantId).toBe("secure-web-customer");
    expect(vm.network[0]?.ipv6.address).toBe("2600:beef:1000:e0b::10/64");
    expect(vm.network[0]?.ipv6.security).toMatchObject({
      enableRaGuard: true,
      allowedRaSources: ["2600:beef:1000:e0b::1"],
      enableSourceGuard: true,
      strictSourceValidation: true,
      blockHopByHop: true,
      blockRoutingHeader: true,
      blockFragmentHeader: true,
      blockDestinationOptions: true,
      ndRateLimit: 100,
      icmpv6RateLimit: 100,
      raRateLimit: 10,
      enableMldSnooping: true,
      multicastRateLimit: 50,
    });
  });

  it("GetVm of an ipv6_config VM shows the same interface view and its effective IPv6SecurityConfig", async () => {
    const vmId = created.get("000-high-security-web-server");
    const res = await curlData(metald.url + GET, JSON.stringify({ vm_id: vmId }));
    const vm = res.body as GetVmJson;
    expect(vm.network[0]?.ipv6.address).toBe("2001:db8:1000::10/64");
    expect(vm.network[0]?.ipv6.security).toMatchObject({
      enableRaGuard: true,
      blockRoutingHeader: true,
    });
    expect(vm.ipv6Security?.profile).toBe("SECURITY_PROFILE_HIGH");
  });

  it("PUT on a Connect path is answered as POST", async () => {
    const vmId = created.get("000-high-security-web-server");
    const res = await curlData(metald.url + GET, JSON.stringify({ vm_id: vmId }), "PUT");
    expect(res.status).toBe(200);
    expect((res.body as GetVmJson).vmId).toBe(vmId);
  });

  it("ListVms returns every created VM under .vms[].vmId, and they survive a restart", async () => {
    const ids = [...created.values()];
    expect(ids).toHaveLength(9);
    const before = await curlData(metald.url + LIST, "{}");
    expect((before.body as { vms: { vmId: string }[] }).vms.map((v) => v.vmId).sort()).toEqual(
      [...ids].sort(),
    );

    await metald.restart();

    const after = await curlData(metald.url + LIST, "{}");
    expect((after.body as { vms: { vmId: string }[] }).vms.map((v) => v.vmId).sort()).toEqual(
      [...ids].sort(),
    );
    const vm = await curlData(
      metald.url + GET,
      JSON.stringify({ vm_id: created.get("001-example2-db-tier") }),
    );
    expect((vm.body as GetVmJson).network[0]?.ipv6.address).toBe("2600:beef:1002:db::100/64");
  });
});

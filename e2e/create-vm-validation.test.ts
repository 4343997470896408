// Bad input over the real server: each class is refused with the field path, and nothing of
// the request is stored. Also the generated Connect client, in JSON and binary.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { VmService, VmState } from "@metald/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "./harness/curl-like.js";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";

const CREATE = "/vmprovisioner.v1.VmService/CreateVm";

function withAddress(address: string, security: Record<string, unknown> = {}) {
  return { config: { ipv6_config: { enabled: true, addresses: [address], security } } };
}

function iface(fields: Record<string, unknown>) {
  return {
    config: { network: [{ id: "eth0", ipv6: { address: "2001:db8:77::9/64" }, ...fields }] },
  };
}

// [case, body, code, exact path, text in the message]
const BAD_INPUT: [string, unknown, string, string, string][] = [
  [
    "prefix length above 128",
    withAddress("2001:db8:77::9/129"),
    "invalid_argument",
    "config.ipv6_config.addresses[0]",
    '"/129" is not 0–128',
  ],
  [
    "non-hex group",
    withAddress("2001:db8:web::9/64"),
    "invalid_argument",
    "config.ipv6_config.addresses[0]",
    'group "web"',
  ],
  [
    "multicast address",
    withAddress("ff02::1/64"),
    "invalid_argument",
    "config.ipv6_config.addresses[0]",
    "multicast",
  ],
  [
    "prefix with host bits",
    withAddress("2001:db8:77::9/64", {
      source_validation: { allowed_ingress_prefixes: ["2001:db8::1/32"] },
    }),
    "invalid_argument",
    "config.ipv6_config.addresses[0]".replace(
      "addresses[0]",
      "security.source_validation.allowed_ingress_prefixes[0]",
    ),
    "host bits set; the prefix is 2001:db8::/32",
  ],
  [
    "VLAN 0 in the interface form",
    iface({ vlan_id: "0" }),
    "invalid_argument",
    "config.network[0].vlan_id",
    "outside 1–4094",
  ],
  [
    "VLAN 4095",
    withAddress("2001:db8:77::9/64", { isolation: { customer_vlan: 4095 } }),
    "invalid_argument",
    "config.ipv6_config.security.isolation.customer_vlan",
    "outside 1–4094",
  ],
  [
    "VLAN that is not a number",
    iface({ vlan_id: "ten" }),
    "invalid_argument",
    "config.network[0].vlan_id",
    "is not a VLAN id",
  ],
  [
    "unknown enum name",
    withAddress("2001:db8:77::9/64", { extension_headers: { mode: "EXTENSION_HEADER_MODE_MOST" } }),
    "invalid_argument",
    "config.ipv6_config.security.extension_headers.mode",
    "is not one of",
  ],
  [
    "unknown profile name",
    { config: { security_profile: { profile_name: "paranoid" } } },
    "invalid_argument",
    "config.security_profile.profile_name",
    "is not a security profile",
  ],
  [
    "negative limit",
    withAddress("2001:db8:77::9/64", { rate_limits: { max_pps_per_vm: -1 } }),
    "invalid_argument",
    "config.ipv6_config.security.rate_limits.max_pps_per_vm",
    "negative",
  ],
  [
    "absurd limit",
    withAddress("2001:db8:77::9/64", { rate_limits: { max_bandwidth_per_vm: 10 ** 15 } }),
    "invalid_argument",
    "config.ipv6_config.security.rate_limits.max_bandwidth_per_vm",
    "above the maximum",
  ],
  [
    "absurd ND limit",
    iface({ ipv6: { address: "2001:db8:77::9/64", security: { nd_rate_limit: 5_000_000 } } }),
    "invalid_argument",
    "config.network[0].ipv6.security.nd_rate_limit",
    "above the maximum",
  ],
  [
    "bridge name too long",
    iface({ bridge_name: "br-much-too-long-name" }),
    "invalid_argument",
    "config.network[0].bridge_name",
    "at most 15",
  ],
  [
    "bridge name with a slash",
    iface({ bridge_name: "br/x" }),
    "invalid_argument",
    "config.network[0].bridge_name",
    '"/"',
  ],
  [
    "bridge name with whitespace",
    iface({ bridge_name: "br x" }),
    "invalid_argument",
    "config.network[0].bridge_name",
    "not allowed",
  ],
  [
    "namespace with a quote",
    withAddress("2001:db8:77::9/64", { isolation: { network_namespace: "ns'x" } }),
    "invalid_argument",
    "config.ipv6_config.security.isolation.network_namespace",
    "not allowed",
  ],
  [
    "namespace with shell metacharacters",
    withAddress("2001:db8:77::9/64", { isolation: { network_namespace: "$(reboot)" } }),
    "invalid_argument",
    "config.ipv6_config.security.isolation.network_namespace",
    "not allowed",
  ],
  [
    "interface id starting with '-'",
    iface({ id: "-eth0" }),
    "invalid_argument",
    "config.network[0].id",
    "starting with a letter or digit",
  ],
  [
    "unknown field",
    { config: { cpu: { vcpus: 2 } } },
    "invalid_argument",
    "config.cpu.vcpus",
    "unknown field",
  ],
  [
    "rule with a bad address",
    iface({ security_policy: { ingress_rules: ["allow tcp from 2001:db8:zz::/64 to any"] } }),
    "invalid_argument",
    "config.network[0].security_policy.ingress_rules[0]",
    'group "zz"',
  ],
  [
    "rule with a semicolon",
    iface({ security_policy: { egress_rules: ["allow tcp from any to any; flush ruleset"] } }),
    "invalid_argument",
    "config.network[0].security_policy.egress_rules[0]",
    "semicolon",
  ],
  [
    "both request forms",
    { config: { ipv6_config: {}, network: [{}] } },
    "invalid_argument",
    "config",
    "use one form",
  ],
];

describe.each(["pglite", "postgres"] as const)("CreateVm validation on %s", (kind) => {
  let metald: MetaldProcess;
  beforeAll(async () => {
    metald = await startMetald(kind);
  });
  afterAll(async () => {
    await metald.destroy();
  });

  async function totalVms(): Promise<number> {
    const res = await postJson(`${metald.url}/vmprovisioner.v1.VmService/ListVms`, {});
    return (res.body as { totalCount?: number }).totalCount ?? 0;
  }

  it.each(BAD_INPUT)(
    "%s is refused with the field path and stores nothing",
    async (_case, body, code, path, text) => {
      const before = await totalVms();
      const res = await postJson(metald.url + CREATE, body);
      expect(res.body).toMatchObject({ code });
      const { message } = res.body as { message: string };
      expect(message.startsWith(`${path}: `), message).toBe(true);
      expect(message).toContain(text);
      expect(res.status).toBe(400);
      expect(await totalVms()).toBe(before);
    },
  );

  it("an address held by another VM is already_exists, and a refused request holds no address", async () => {
    const first = await postJson(metald.url + CREATE, withAddress("2001:db8:77::1/64"));
    expect(first.status).toBe(200);
    // Canonical forms compare equal: 2001:DB8:77:0::1 is 2001:db8:77::1.
    const clash = await postJson(metald.url + CREATE, {
      config: {
        network: [
          { ipv6: { address: "2001:db8:77::2/64" } },
          { ipv6: { address: "2001:DB8:77:0::1/64" } },
        ],
      },
    });
    expect(clash.status).toBe(409);
    expect(clash.body).toEqual({
      code: "already_exists",
      message: "config.network[1].ipv6.address: 2001:db8:77::1 is already in use by another VM",
    });
    // The refused request's other address (…::2) was not kept.
    const reuse = await postJson(metald.url + CREATE, withAddress("2001:db8:77::2/64"));
    expect(reuse.status).toBe(200);
  });

  it("the same address twice in one request is invalid_argument", async () => {
    const res = await postJson(metald.url + CREATE, {
      config: {
        network: [
          { id: "a", ipv6: { address: "2001:db8:78::1/64" } },
          { id: "b", ipv6: { address: "2001:db8:78::1/64" } },
        ],
      },
    });
    expect(res.body).toEqual({
      code: "invalid_argument",
      message:
        "config.network[1].ipv6.address: 2001:db8:78::1 is already given at config.network[0].ipv6.address",
    });
  });

  describe.each([false, true])("generated Connect client (binary: %s)", (useBinaryFormat) => {
    it("creates, reads, lists and deletes a VM; addresses come back canonical", async () => {
      const client = createClient(
        VmService,
        createConnectTransport({ baseUrl: metald.url, httpVersion: "1.1", useBinaryFormat }),
      );
      const address = useBinaryFormat ? "2001:DB8:79:0:0::1/64" : "2001:db8:79::2/64";
      const { vmId, state } = await client.createVm({
        config: { ipv6Config: { enabled: true, addresses: [address] }, tenantId: "client-tenant" },
      });
      expect(state).toBe(VmState.CREATED);
      const vm = await client.getVm({ vmId });
      expect(vm.tenantId).toBe("client-tenant");
      expect(vm.config?.ipv6Config?.addresses).toEqual([
        useBinaryFormat ? "2001:db8:79::1/64" : "2001:db8:79::2/64",
      ]);
      const list = await client.listVms({ tenantId: "client-tenant" });
      expect(list.vms.map((v) => v.vmId)).toContain(vmId);
      const deleted = await client.deleteVm({ vmId });
      expect(deleted.state).toBe(VmState.TERMINATED);
      expect((await client.getVm({ vmId })).state).toBe(VmState.TERMINATED);
      await expect(client.getVm({ vmId: "vm-doesnotexist" })).rejects.toMatchObject({
        code: Code.NotFound,
      });
    });

    it("reports invalid input as invalid_argument with the path", async () => {
      const client = createClient(
        VmService,
        createConnectTransport({ baseUrl: metald.url, httpVersion: "1.1", useBinaryFormat }),
      );
      const error = await client
        .createVm({ config: { network: [{ id: "eth0", vlanId: "5000" }] } })
        .then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
      expect(error?.code).toBe(Code.InvalidArgument);
      expect(error?.rawMessage).toBe("config.network[0].vlan_id: VLAN id 5000 is outside 1–4094");
    });
  });

  it("answers gRPC-web too", async () => {
    const client = createClient(
      VmService,
      createGrpcWebTransport({ baseUrl: metald.url, httpVersion: "1.1" }),
    );
    const { vmId } = await client.createVm({
      config: { ipv6Config: { addresses: ["2001:db8:7a::1/64"] } },
    });
    expect((await client.getVm({ vmId })).network[0]?.ipv6?.address).toBe("2001:db8:7a::1/64");
  });

  it("VerifyAuditTrail, the last RPC implemented, answers with the chain's state", async () => {
    const res = await postJson(
      `${metald.url}/vmprovisioner.v1.ComplianceService/VerifyAuditTrail`,
      {},
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ intact: true, firstBrokenRecord: "" });
  });
});

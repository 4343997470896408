// Every field a CreateVm configuration accepts is decided: it acts (what the host is given
// changes), it is refused (invalid_argument naming its path), or it is reported as not
// enforced (notEnforcedFields names it). The list of fields is walked from the proto schema,
// so a new field fails here until it is decided.
import type { DescMessage } from "@bufbuild/protobuf";
import { fromJson } from "@bufbuild/protobuf";
import { CreateVmRequestSchema, IPv6SecurityConfigSchema, VmConfigSchema } from "@metald/proto";
import { describe, expect, it } from "vitest";
import { evaluateCompliance } from "../compliance/evaluate-compliance.js";
import type { HostEvidence } from "../compliance/host-evidence.js";
import { recordsSecurityEvent } from "../events/event-recording.js";
import { FieldError } from "../policy/field-error.js";
import { normalizeCreateVm } from "../policy/normalize-create-vm.js";
import { resolvePolicy } from "../policy/resolve-policy.js";
import type { PolicyLayer, SecurityPolicy } from "../policy/security-policy.js";
import type { VmSpec } from "../policy/vm-spec.js";
import { compileHostPlan } from "./compile-host-plan.js";
import { type HostEnforcementFacts, notEnforcedFields } from "./not-enforced-fields.js";
import { fieldsNotEnforcedOnHost } from "./not-enforced-reasons.js";

type Outcome =
  /** What the host, the event log or the compliance evaluation is given changes; where, in words. */
  | { acts: string }
  /** The request is refused with invalid_argument at the field's path. */
  | { refused: true }
  /** notEnforcedFields names this field. */
  | { reported: string }
  /** A name or label shown back, nothing to enforce. */
  | { label: string };

interface Case {
  value: unknown;
  outcome: Outcome;
  /** Fields the value needs beside it, as paths relative to the same root. */
  with?: Record<string, unknown>;
  /** The host's facts for this case (default: the sandbox driver on this kernel). */
  host?: Partial<HostEnforcementFacts>;
  /** A tenant layer under the request (what the field acts over). */
  tenant?: PolicyLayer;
  /** What the baseline removes (default: the field itself). */
  unset?: string;
}

const CUSTOM = { profile: "SECURITY_PROFILE_CUSTOM" };

const HOST: HostEnforcementFacts = {
  driver: "sandbox",
  vlanDevices: false,
  bridgeVlanFiltering: false,
  portGuard: true,
  bridgeMldSnooping: () => undefined,
};

const EVIDENCE: HostEvidence = { packetFiltering: true, unverifiedReason: "", bridgeVlans: false };

/** Fields of IPv6SecurityConfig, under ipv6_config.security and security_overrides. */
const SECURITY: Record<string, Case> = {
  profile: { value: "SECURITY_PROFILE_LOW", outcome: { acts: "the profile layer" } },
  "ra_guard.enabled": { value: false, outcome: { acts: "ra_guard elements" } },
  "ra_guard.block_all_ra": {
    value: true,
    tenant: { raGuard: { blockAllRa: false, allowedRouters: ["fe80::1"] } },
    outcome: { acts: "ra_allowed_in (over the tenant's routers)" },
  },
  "ra_guard.allowed_routers": { value: ["fe80::1"], outcome: { acts: "ra_allowed_in" } },
  "ra_guard.max_ra_rate": {
    value: 10,
    with: { "ra_guard.allowed_routers": ["fe80::1"] },
    outcome: { acts: "an RA rate class" },
  },
  "ra_guard.block_config.block_prefix_info": {
    value: false,
    outcome: { acts: "the port guard's RA option flags" },
  },
  "ra_guard.block_config.block_mtu_options": {
    value: false,
    outcome: { acts: "the port guard's RA option flags" },
  },
  "ra_guard.block_config.block_route_info": {
    value: false,
    outcome: { acts: "the port guard's RA option flags" },
  },
  "ra_guard.block_config.block_rdnss": {
    value: false,
    outcome: { acts: "the port guard's RA option flags" },
  },
  "source_validation.strict_ingress": {
    value: true,
    with: { ...CUSTOM, "source_validation.allowed_ingress_prefixes": ["2001:db8:9::/48"] },
    outcome: { acts: "ingress prefix elements" },
  },
  "source_validation.strict_egress": {
    value: true,
    with: { ...CUSTOM, "source_validation.allowed_egress_prefixes": ["2001:db8:9::/48"] },
    outcome: { acts: "egress prefix elements" },
  },
  "source_validation.allowed_ingress_prefixes": {
    value: ["2001:db8:9::/48"],
    outcome: { acts: "ingress prefix elements" },
  },
  "source_validation.allowed_egress_prefixes": {
    value: ["2001:db8:9::/48"],
    outcome: { acts: "egress prefix elements" },
  },
  "source_validation.block_private_addresses": {
    value: false,
    outcome: { acts: "private range elements" },
  },
  "source_validation.reverse_path_filtering": {
    value: true,
    with: { ...CUSTOM, "source_validation.source_guard": false },
    outcome: { reported: "source_validation.reverse_path_filtering" },
  },
  "source_validation.source_guard": { value: false, outcome: { acts: "vm_sources" } },
  "source_validation.allowed_destinations": {
    value: ["2001:db8:9::/48"],
    outcome: { acts: "destination elements" },
  },
  "source_validation.enabled": { value: false, outcome: { acts: "every source control off" } },
  "extension_headers.mode": {
    value: "EXTENSION_HEADER_MODE_BLOCK_ALL",
    outcome: { acts: "eh_* elements" },
  },
  "extension_headers.allowed_types": { value: [43], outcome: { acts: "eh_* elements" } },
  "extension_headers.max_chain_length": {
    value: 1,
    outcome: { acts: "the port guard's chain limit" },
  },
  "extension_headers.fragment_policy": {
    value: "FRAGMENT_POLICY_BLOCK",
    outcome: { acts: "eh_frag elements" },
  },
  "isolation.customer_vlan": { value: 100, outcome: { reported: "isolation.customer_vlan" } },
  "isolation.additional_vlans": {
    value: [200],
    outcome: { reported: "isolation.additional_vlans" },
  },
  "isolation.network_namespace": {
    value: "customer-prod",
    outcome: { reported: "isolation.network_namespace" },
  },
  "isolation.bridge_interface": { value: "br-dmz", outcome: { acts: "the port's bridge" } },
  "isolation.inter_tenant_policy": {
    value: "INTER_TENANT_POLICY_ALLOW_ALL",
    outcome: { acts: "tenant_check elements" },
  },
  "isolation.enable_mld_snooping": {
    value: false,
    host: { bridgeMldSnooping: () => true },
    outcome: { reported: "isolation.enable_mld_snooping" },
  },
  "rate_limits.max_pps_per_vm": { value: 5, outcome: { acts: "a pps rate class" } },
  "rate_limits.max_bandwidth_per_vm": { value: 100_000, outcome: { acts: "a bytes rate class" } },
  "rate_limits.max_connections_per_vm": { value: 7, outcome: { acts: "conn_limits" } },
  "rate_limits.method": {
    value: "RATE_LIMIT_METHOD_SLIDING_WINDOW",
    outcome: { reported: "rate_limits.method" },
  },
  "rate_limits.burst_config.burst_packets": { value: 3, outcome: { acts: "the pps burst" } },
  "rate_limits.burst_config.burst_duration_ms": {
    value: 1_000,
    outcome: { acts: "the bytes burst" },
  },
  "rate_limits.burst_config.recovery_time_s": {
    value: 30,
    with: CUSTOM,
    outcome: { reported: "rate_limits.burst_config.recovery_time_s" },
  },
  "rate_limits.enabled": { value: false, outcome: { acts: "every rate class removed" } },
  "monitoring.enable_security_logging": {
    value: false,
    outcome: { acts: "the VM's counter events are not recorded" },
  },
  "monitoring.security_log_level": {
    value: "LOG_LEVEL_ERROR",
    outcome: { acts: "events below the level are not recorded" },
  },
  "monitoring.enable_metrics": { value: false, outcome: { reported: "monitoring.enable_metrics" } },
  "monitoring.metrics_interval_s": {
    value: 60,
    outcome: { reported: "monitoring.metrics_interval_s" },
  },
  "monitoring.siem_config.enabled": {
    value: true,
    outcome: { reported: "monitoring.siem_config" },
  },
  "monitoring.siem_config.endpoint": {
    value: "https://siem.example.com/in",
    outcome: { reported: "monitoring.siem_config" },
  },
  "monitoring.siem_config.auth_token": { value: "secret", outcome: { refused: true } },
  "monitoring.siem_config.log_format": {
    value: "CEF",
    outcome: { reported: "monitoring.siem_config" },
  },
  "compliance.frameworks": {
    value: ["COMPLIANCE_FRAMEWORK_PCI_DSS"],
    outcome: { acts: "compliance evaluation" },
  },
  "compliance.data_retention_days": { value: 30, outcome: { acts: "event retention" } },
  "compliance.audit_config.enabled": {
    value: false,
    with: { "compliance.frameworks": ["COMPLIANCE_FRAMEWORK_PCI_DSS"] },
    outcome: { acts: "compliance evaluation" },
  },
  "compliance.audit_config.log_destination": {
    value: "/var/log/vm-audit.log",
    outcome: { reported: "compliance.audit_config.log_destination" },
  },
  "compliance.audit_config.include_performance_data": {
    value: true,
    outcome: { reported: "compliance.audit_config.include_performance_data" },
  },
  "compliance.audit_config.encrypt_logs": {
    value: false,
    outcome: { reported: "compliance.audit_config.encrypt_logs" },
  },
  "compliance.encryption.require_tls": {
    value: true,
    with: { "compliance.frameworks": ["COMPLIANCE_FRAMEWORK_PCI_DSS"] },
    outcome: { acts: "compliance evaluation" },
  },
  "compliance.encryption.min_tls_version": {
    value: "1.3",
    with: {
      "compliance.frameworks": ["COMPLIANCE_FRAMEWORK_PCI_DSS"],
      "compliance.encryption.require_tls": true,
    },
    outcome: { acts: "compliance evaluation" },
  },
  "compliance.encryption.require_encryption_at_rest": {
    value: true,
    with: { "compliance.frameworks": ["COMPLIANCE_FRAMEWORK_HIPAA"] },
    outcome: { acts: "compliance evaluation" },
  },
  "compliance.encryption.allowed_ciphers": {
    value: ["TLS_AES_256_GCM_SHA384"],
    outcome: { reported: "compliance.encryption.allowed_ciphers" },
  },
  "neighbor_discovery.nd_rate_limit": { value: 5, outcome: { acts: "an ND rate class" } },
  "neighbor_discovery.icmpv6_rate_limit": { value: 5, outcome: { acts: "an ICMPv6 rate class" } },
  "neighbor_discovery.multicast_rate_limit": {
    value: 5,
    outcome: { acts: "a multicast rate class" },
  },
};

/** The rest of VmConfig; `network[0]` fields are set on the network[] form. */
const VM: Record<string, Case> = {
  "cpu.vcpu_count": { value: 2, outcome: { acts: "the machine" } },
  "cpu.max_vcpu_count": {
    value: 4,
    with: { "cpu.vcpu_count": 2 },
    outcome: { reported: "cpu.max_vcpu_count" },
  },
  "memory.size_bytes": { value: "1073741824", outcome: { acts: "the machine" } },
  "boot.kernel_path": { value: "/srv/vmlinux", outcome: { acts: "the machine" } },
  "boot.kernel_args": { value: "console=ttyS0", outcome: { acts: "the machine" } },
  "boot.initrd_path": { value: "/srv/initrd", outcome: { acts: "the machine" } },
  "storage[0].id": {
    value: "root",
    with: { "storage[0].path": "/srv/a" },
    outcome: { acts: "the machine" },
  },
  "storage[0].path": { value: "/srv/a", unset: "storage", outcome: { acts: "the machine" } },
  "storage[0].readonly": {
    value: true,
    with: { "storage[0].path": "/srv/a" },
    outcome: { acts: "the machine" },
  },
  "storage[0].is_root_device": {
    value: true,
    with: { "storage[0].path": "/srv/a", "storage[1].path": "/srv/b" },
    outcome: { label: "the first drive is the root device whatever the flag; checked below" },
  },
  "network[0].id": { value: "dmz", outcome: { acts: "the guest interface's name" } },
  "network[0].interface_type": { value: "e1000", outcome: { refused: true } },
  "network[0].bridge_name": { value: "br-dmz", outcome: { acts: "the port's bridge" } },
  "network[0].vlan_id": { value: "100", outcome: { reported: "isolation.customer_vlan" } },
  "network[0].ipv6.address": { value: "2001:db8:1::20/64", outcome: { acts: "the addresses" } },
  "network[0].ipv6.gateway": {
    value: "2001:db8:1::1",
    outcome: { acts: "the guest's default route (sandbox); reported for linux, checked below" },
  },
  "network[0].ipv6.dns_servers": {
    value: ["2001:db8:1::53"],
    outcome: { reported: "ipv6.dns_servers" },
  },
  "network[0].ipv6.enable_privacy_extensions": {
    value: true,
    outcome: { reported: "ipv6.enable_privacy_extensions" },
  },
  "network[0].ipv6.enable_stable_privacy": {
    value: true,
    outcome: { reported: "ipv6.enable_stable_privacy" },
  },
  "network[0].ipv6.temp_valid_lifetime": {
    value: 3600,
    outcome: { reported: "ipv6.temp_valid_lifetime" },
  },
  "network[0].ipv6.security.enable_ra_guard": { value: false, outcome: { acts: "ra_guard" } },
  "network[0].ipv6.security.allowed_ra_sources": {
    value: ["fe80::1"],
    outcome: { acts: "ra_allowed_in" },
  },
  "network[0].ipv6.security.enable_source_guard": {
    value: false,
    outcome: { acts: "vm_sources" },
  },
  "network[0].ipv6.security.strict_source_validation": {
    value: true,
    with: { "security_profile.profile_name": "custom" },
    outcome: { reported: "source_validation.reverse_path_filtering" },
  },
  "network[0].ipv6.security.block_hop_by_hop": { value: true, outcome: { acts: "eh_hbh" } },
  "network[0].ipv6.security.block_routing_header": { value: false, outcome: { acts: "eh_rt" } },
  "network[0].ipv6.security.block_fragment_header": { value: true, outcome: { acts: "eh_frag" } },
  "network[0].ipv6.security.block_destination_options": {
    value: false,
    outcome: { acts: "eh_dst" },
  },
  "network[0].ipv6.security.nd_rate_limit": { value: 5, outcome: { acts: "an ND rate class" } },
  "network[0].ipv6.security.icmpv6_rate_limit": {
    value: 5,
    outcome: { acts: "an ICMPv6 rate class" },
  },
  "network[0].ipv6.security.ra_rate_limit": {
    value: 5,
    with: { "network[0].ipv6.security.allowed_ra_sources": ["fe80::1"] },
    outcome: { acts: "an RA rate class" },
  },
  "network[0].ipv6.security.enable_mld_snooping": {
    value: false,
    outcome: { acts: "the bridge's mcast_snooping (when the VM makes it)" },
  },
  "network[0].ipv6.security.multicast_rate_limit": {
    value: 5,
    outcome: { acts: "a multicast rate class" },
  },
  "network[0].ipv6.additional_addresses": {
    value: ["2001:db8:1::30/64"],
    outcome: { acts: "the addresses" },
  },
  "network[0].security_policy.ingress_rules": {
    value: ["allow tcp from any to any port 443", "deny all from any to any"],
    outcome: { acts: "ingress rule elements" },
  },
  "network[0].security_policy.egress_rules": {
    value: ["allow tcp from any to any port 443", "deny all from any to any"],
    outcome: { acts: "egress rule elements" },
  },
  "network[0].security_policy.enable_deep_packet_inspection": {
    value: true,
    outcome: { reported: "security_policy.enable_deep_packet_inspection" },
  },
  "network[0].security_policy.log_security_events": {
    value: false,
    outcome: { acts: "the VM's counter events are not recorded" },
  },
  "network[0].security_policy.bandwidth_limit_mbps": {
    value: 10,
    outcome: { acts: "a bytes rate class" },
  },
  "network[0].security_policy.packet_rate_limit": {
    value: 5,
    outcome: { acts: "a pps rate class" },
  },
  "network[0].security_policy.tenant_isolation_level": {
    value: "none",
    outcome: { acts: "tenant_check elements" },
  },
  "network[0].security_policy.allowed_destinations": {
    value: ["2001:db8:9::/48"],
    outcome: { acts: "destination elements" },
  },
  "network[0].mac_address": { value: "02:00:00:00:00:42", outcome: { acts: "the port's MAC" } },
  "network[0].mtu": { value: 9000, outcome: { acts: "the port's MTU" } },
  "network[0].tap_device": { value: "tap0", outcome: { refused: true } },
  tenant_id: { value: "globex", outcome: { acts: "the tenant's bridge" } },
  "security_profile.profile_name": { value: "low", outcome: { acts: "the profile layer" } },
  "security_profile.enable_network_microsegmentation": {
    value: true,
    outcome: { reported: "security_profile.enable_network_microsegmentation" },
  },
  "security_profile.require_encrypted_traffic": {
    value: true,
    with: { "compliance.frameworks": ["PCI-DSS"] },
    outcome: { acts: "compliance evaluation (require_tls)" },
  },
  "security_profile.security_groups": {
    value: ["dmz"],
    outcome: { reported: "security_profile.security_groups" },
  },
  "compliance.frameworks": { value: ["HIPAA"], outcome: { acts: "compliance evaluation" } },
  "compliance.data_residency": {
    value: "eu-west",
    with: { "compliance.frameworks": ["GDPR"] },
    outcome: { acts: "compliance evaluation" },
  },
  "compliance.encryption_required": {
    value: true,
    with: { "compliance.frameworks": ["PCI-DSS"] },
    outcome: { acts: "compliance evaluation" },
  },
  "compliance.audit_logging": {
    value: false,
    with: { "compliance.frameworks": ["PCI-DSS"] },
    outcome: { acts: "compliance evaluation" },
  },
  metadata: { value: { team: "web" }, outcome: { label: "labels shown back" } },
  "ipv6_config.enabled": {
    value: false,
    with: { "ipv6_config.addresses": [] },
    outcome: { acts: "no address is allocated from a pool (address-assignment.ts)" },
  },
  "ipv6_config.addresses": { value: ["2001:db8:1::20/64"], outcome: { acts: "the addresses" } },
  "ipv6_config.interface.name": { value: "eth1", outcome: { acts: "the guest interface's name" } },
  "ipv6_config.interface.mac_address": {
    value: "02:00:00:00:00:42",
    outcome: { acts: "the port's MAC" },
  },
  "ipv6_config.interface.mtu": { value: 9000, outcome: { acts: "the port's MTU" } },
  "ipv6_config.interface.vlan.vlan_id": {
    value: 100,
    outcome: { reported: "isolation.customer_vlan" },
  },
  "ipv6_config.interface.vlan.priority": {
    value: 5,
    outcome: { reported: "interface.vlan.priority" },
  },
  "ipv6_config.interface.vlan.name": { value: "web", outcome: { label: "a VLAN's description" } },
};

/** Leaf paths of a message, a list of messages walked through its first element. */
function leaves(message: DescMessage, prefix = ""): string[] {
  return message.fields.flatMap((f) => {
    const path = prefix + f.name;
    if (f.fieldKind === "message") return leaves(f.message, `${path}.`);
    if (f.fieldKind === "list" && f.listKind === "message") return leaves(f.message, `${path}[0].`);
    return [path];
  });
}

/** Sets `value` at a dotted path with `[i]` steps in a JSON object; undefined removes it. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const steps = path.split(".").flatMap((s) => {
    const m = /^(.+)\[(\d+)\]$/.exec(s);
    return m ? [m[1] as string, Number(m[2])] : [s];
  });
  let node: Record<string | number, unknown> = target;
  steps.forEach((step, i) => {
    if (i === steps.length - 1) {
      if (value === undefined) delete node[step];
      else node[step] = value;
      return;
    }
    const next = steps[i + 1];
    node[step] ??= typeof next === "number" ? [] : {};
    node = node[step] as Record<string | number, unknown>;
  });
}

const ADDRESS = "2001:db8:1::10/64";

function baseConfig(path: string): Record<string, unknown> {
  if (path.startsWith("network[0]") || path.startsWith("security_overrides"))
    return { tenant_id: "acme", network: [{ id: "eth0", ipv6: { address: ADDRESS } }] };
  return { tenant_id: "acme", ipv6_config: { addresses: [ADDRESS] } };
}

function configWith(path: string, c: Case | undefined): Record<string, unknown> {
  const config = baseConfig(path);
  if (!c) return config;
  const root = path.startsWith("ipv6_config.security.")
    ? "ipv6_config.security."
    : path.startsWith("security_overrides.")
      ? "security_overrides."
      : "";
  for (const [p, v] of Object.entries(c.with ?? {})) setPath(config, root + p, v);
  setPath(config, path, c.value);
  return config;
}

interface Outcomes {
  spec: VmSpec;
  policies: SecurityPolicy[];
  observed: string;
  notEnforced: string[];
}

function outcomes(
  config: Record<string, unknown>,
  host: HostEnforcementFacts,
  tenant?: PolicyLayer,
): Outcomes {
  const request = fromJson(CreateVmRequestSchema, { config } as never);
  const { spec } = normalizeCreateVm(request, { defaultProfile: "HIGH", defaultTenant: "t" });
  const effective = spec.interfaces.map((iface) =>
    resolvePolicy({
      profile: spec.profile,
      tenant,
      request: iface.requestLayer,
      switches: iface.switches,
    }),
  );
  const policies = effective.map((e) => e.policy);
  const r = spec.resources;
  const plan = compileHostPlan(
    {
      vmId: "vm-fields",
      tenantId: spec.tenantId,
      isolated: false,
      tenantMark: 1,
      // As the provisioner's machineOf: what Firecracker is given.
      machine: {
        vcpuCount: r.vcpuCount,
        memoryMib: Math.floor(r.memoryBytes / 1024 ** 2),
        kernelPath: r.kernelPath,
        kernelArgs: r.kernelArgs,
        initrdPath: r.initrdPath,
        drives: r.storage,
      },
    },
    spec.interfaces.map((iface, i) => ({ spec: iface, policy: policies[i] as SecurityPolicy })),
  );
  const compliance = evaluateCompliance(
    {
      interfaces: spec.interfaces.map((iface, i) => ({
        id: iface.id,
        policy: policies[i] as SecurityPolicy,
      })),
      facts: { profile: spec.profile, dataResidency: spec.compliance.dataResidency },
    },
    EVIDENCE,
  );
  const observed = JSON.stringify({
    plan,
    ipv6Enabled: spec.ipv6Enabled,
    recorded: (["info", "warning", "error", "critical"] as const).map((s) =>
      recordsSecurityEvent(policies, s),
    ),
    retention: policies.map((p) => p.compliance.dataRetentionDays),
    compliance,
  });
  const notEnforced = notEnforcedFields(spec, effective, host).map((f) => f.field);
  return { spec, policies, observed, notEnforced };
}

function refusal(config: Record<string, unknown>): FieldError | undefined {
  try {
    outcomes(config, HOST);
  } catch (error) {
    if (error instanceof FieldError) return error;
    throw error;
  }
  return undefined;
}

const cases: [string, Case][] = [
  ...Object.entries(VM),
  ...Object.entries(SECURITY).map(([p, c]): [string, Case] => [`ipv6_config.security.${p}`, c]),
  ...Object.entries(SECURITY).map(([p, c]): [string, Case] => [`security_overrides.${p}`, c]),
];

describe("every accepted VM configuration field acts, is refused, or is reported", () => {
  it("decides every field of the proto's VmConfig", () => {
    expect(cases.map(([p]) => p).sort()).toEqual(leaves(VmConfigSchema).sort());
    expect(Object.keys(SECURITY).sort()).toEqual(leaves(IPv6SecurityConfigSchema).sort());
  });

  it.each(cases)("%s", (path, c) => {
    const host = { ...HOST, ...c.host };
    const config = configWith(path, c);
    const outcome = c.outcome;
    if ("refused" in outcome) {
      expect(refusal(config)?.path).toBe(`config.${path}`);
      return;
    }
    const set = outcomes(config, host, c.tenant);
    // The same request without the field (its companions kept): the baseline.
    const without = configWith(path, c);
    setPath(without, c.unset ?? path, undefined);
    const base = outcomes(without, host, c.tenant);
    if ("reported" in outcome) {
      expect(set.notEnforced).toContain(outcome.reported);
      expect(base.notEnforced).not.toContain(outcome.reported);
    } else if ("acts" in outcome) {
      expect(set.observed).not.toBe(base.observed);
    } else {
      // Labels: accepted and shown back, nothing reported for them.
      expect(set.notEnforced).toEqual(base.notEnforced);
    }
  });

  it("precheck's host-wide list holds every field reported whatever the VM's other values", () => {
    // These depend on another value of the VM or on its bridge, not on the host alone.
    const conditional = new Set([
      "isolation.enable_mld_snooping",
      "source_validation.reverse_path_filtering",
    ]);
    const hostWide = fieldsNotEnforcedOnHost({ ...HOST, driver: "linux" }).map((f) => f.field);
    for (const [, c] of cases)
      if ("reported" in c.outcome && !conditional.has(c.outcome.reported))
        expect(hostWide).toContain(c.outcome.reported);
  });

  it("the first drive is the root device whether or not is_root_device says so", () => {
    const drives = (flag: boolean) =>
      outcomes(
        { storage: [{ path: "/srv/a", is_root_device: flag }, { path: "/srv/b" }] },
        HOST,
      ).spec.resources.storage.map((s) => s.isRootDevice);
    expect(drives(true)).toEqual([true, false]);
    expect(drives(false)).toEqual([true, false]);
  });

  it("reports the gateway where the guest is a VM (linux driver), not in the sandbox", () => {
    const config = configWith("network[0].ipv6.gateway", VM["network[0].ipv6.gateway"]);
    expect(outcomes(config, HOST).notEnforced).not.toContain("ipv6.gateway");
    expect(outcomes(config, { ...HOST, driver: "linux" }).notEnforced).toContain("ipv6.gateway");
    const plan = JSON.parse(outcomes(config, HOST).observed).plan;
    expect(plan.ports[0].gateway).toBe("2001:db8:1::1");
  });

  it("reports RA option filtering and max_chain_length where the port guard does not load", () => {
    const config = {
      ipv6_config: {
        addresses: ["2001:db8:1::10/64"],
        security: {
          ...CUSTOM,
          ra_guard: { enabled: true, block_config: { block_rdnss: true } },
          extension_headers: { max_chain_length: 2 },
        },
      },
    };
    const reported = (portGuard: boolean) => outcomes(config, { ...HOST, portGuard }).notEnforced;
    expect(reported(false)).toEqual(
      expect.arrayContaining([
        "ra_guard.block_config.block_rdnss",
        "extension_headers.max_chain_length",
      ]),
    );
    expect(reported(false)).not.toContain("ra_guard.block_config.block_prefix_info");
    expect(reported(true)).not.toContain("extension_headers.max_chain_length");
    expect(fieldsNotEnforcedOnHost({ ...HOST, portGuard: false }).map((f) => f.field)).toContain(
      "extension_headers.max_chain_length",
    );
  });

  it("reports MLD snooping only when the bridge's own setting differs", () => {
    const config = configWith("ipv6_config.security.isolation.enable_mld_snooping", {
      value: false,
      outcome: { acts: "" },
    });
    const with_ = (snooping: boolean | undefined) =>
      outcomes(config, { ...HOST, bridgeMldSnooping: () => snooping }).notEnforced;
    expect(with_(true)).toContain("isolation.enable_mld_snooping");
    expect(with_(false)).not.toContain("isolation.enable_mld_snooping");
    expect(with_(undefined)).not.toContain("isolation.enable_mld_snooping");
  });

  it("reports strict_ingress and strict_egress without prefixes only while the source guard is off", () => {
    const strict = (sourceGuard: boolean) =>
      outcomes(
        configWith("ipv6_config.security.source_validation.strict_ingress", {
          value: true,
          with: {
            ...CUSTOM,
            "source_validation.strict_egress": true,
            "source_validation.source_guard": sourceGuard,
          },
          outcome: { acts: "" },
        }),
        HOST,
      ).notEnforced;
    expect(strict(false)).toEqual(
      expect.arrayContaining([
        "source_validation.strict_ingress",
        "source_validation.strict_egress",
      ]),
    );
    expect(strict(true)).not.toContain("source_validation.strict_ingress");
    expect(strict(true)).not.toContain("source_validation.strict_egress");
  });

  it("names the host's missing VLAN support in the reason", () => {
    const config = configWith("network[0].vlan_id", VM["network[0].vlan_id"]);
    const request = fromJson(CreateVmRequestSchema, { config } as never);
    const { spec } = normalizeCreateVm(request, { defaultProfile: "HIGH", defaultTenant: "t" });
    const effective = spec.interfaces.map((iface) =>
      resolvePolicy({ profile: spec.profile, request: iface.requestLayer }),
    );
    const [vlan] = notEnforcedFields(spec, effective, HOST).filter(
      (f) => f.field === "isolation.customer_vlan",
    );
    expect(vlan).toMatchObject({ interfaceId: "eth0", source: "request", value: "100" });
    expect(vlan?.reason).toMatch(/this host has no bridge VLAN filtering/);
    // Where the kernel has it, the VLANs are programmed (port-vlans.ts): nothing to report.
    const filtering = { ...HOST, bridgeVlanFiltering: true };
    expect(
      notEnforcedFields(spec, effective, filtering).filter((f) => f.field.includes("vlan")),
    ).toEqual([]);
    const hostWide = fieldsNotEnforcedOnHost(filtering).map((f) => f.field);
    expect(hostWide).not.toContain("isolation.customer_vlan");
    expect(hostWide).toContain("interface.vlan.priority");
  });
});

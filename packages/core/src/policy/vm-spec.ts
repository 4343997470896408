// The one internal model of a VM that both request forms normalize into.
import type { ExtensionHeaderSwitches } from "./interface-security-layer.js";
import type { ComplianceFramework, PolicyLayer, SecurityProfileName } from "./security-policy.js";

export type RequestForm = "ipv6_config" | "network";

export interface InterfaceAddress {
  /** Canonical (RFC 5952), without prefix length. */
  address: string;
  prefixLength: number;
  /** Request path of the field that gave it, for error messages. */
  path: string;
  /** The pool it was allocated from (the request gave no address) or lies in. */
  poolId?: string;
  /** Allocated by metald rather than given by the request. */
  allocated?: boolean;
}

export interface InterfaceSpec {
  /** Interface name inside the guest (eth0, dmz, …). */
  id: string;
  type: "virtio-net";
  macAddress: string;
  mtu: number;
  addresses: InterfaceAddress[];
  gateway: string;
  dnsServers: string[];
  enablePrivacyExtensions: boolean;
  enableStablePrivacy: boolean;
  tempValidLifetime: number;
  vlanPriority: number;
  vlanName: string;
  /** What the request set for this interface's policy. */
  requestLayer: PolicyLayer;
  switches: ExtensionHeaderSwitches;
}

export interface VmSpec {
  /** Caller-chosen id, if any. */
  vmId?: string;
  form: RequestForm;
  tenantId: string;
  applicationTier: string;
  profile: SecurityProfileName;
  /** Whether the profile was chosen by the request (else the host default applied). */
  profileRequested: boolean;
  ipv6Enabled: boolean;
  resources: {
    vcpuCount: number;
    maxVcpuCount: number;
    memoryBytes: number;
    kernelPath: string;
    kernelArgs: string;
    initrdPath: string;
    storage: { id: string; path: string; readonly: boolean; isRootDevice: boolean }[];
  };
  interfaces: InterfaceSpec[];
  securityGroups: string[];
  microsegmentation: boolean;
  requireEncryptedTraffic: boolean;
  compliance: {
    frameworks: ComplianceFramework[];
    dataResidency: string;
    encryptionRequired: boolean;
    auditLogging: boolean;
  };
  metadata: Record<string, string>;
}

/** An interface with defaults (MTU 1500, no addresses, nothing requested), then `fields`. */
export function createInterfaceSpec(
  id: string,
  fields: Partial<InterfaceSpec> = {},
): InterfaceSpec {
  return {
    id,
    type: "virtio-net",
    macAddress: "",
    mtu: 1500,
    addresses: [],
    gateway: "",
    dnsServers: [],
    enablePrivacyExtensions: false,
    enableStablePrivacy: false,
    tempValidLifetime: 0,
    vlanPriority: 0,
    vlanName: "",
    requestLayer: {},
    switches: {},
    ...fields,
  };
}

// CreateVm request (either form) → VmSpec plus the submitted config with canonical addresses.
import { clone } from "@bufbuild/protobuf";
import {
  type CreateVmRequest,
  type IPv6Config,
  type NetworkInterface,
  type VmConfig,
  VmConfigSchema,
} from "@metald/proto";
import {
  checkAbsolutePath,
  checkIdentifier,
  checkLimit,
  checkLinuxName,
  checkListLength,
  checkMacAddress,
  checkRange,
  checkUnicastAddress,
  checkVlan,
  checkVlanText,
  checkVmAddress,
} from "./field-checks.js";
import { FieldError } from "./field-error.js";
import { interfaceSecurityLayer, securityPolicyLayer } from "./interface-security-layer.js";
import { BOUND_REASONS, LIMITS } from "./limits.js";
import { PROFILE_FROM_PROTO, securityConfigLayer } from "./security-config-layer.js";
import type { ComplianceFramework, PolicyLayer, SecurityProfileName } from "./security-policy.js";
import {
  createInterfaceSpec,
  type InterfaceAddress,
  type InterfaceSpec,
  type VmSpec,
} from "./vm-spec.js";

export interface NormalizeOptions {
  /** Profile for requests that name none (the host configuration's security_profile). */
  defaultProfile: SecurityProfileName;
  /** Tenant for requests that name none. */
  defaultTenant: string;
}

export interface NormalizedVm {
  spec: VmSpec;
  /** The request's config, address fields rewritten in canonical form. */
  config: VmConfig;
}

const DEFAULT_VCPUS = 1;
const DEFAULT_MEMORY = 512 * 1024 ** 2;
const DEFAULT_MTU = 1500;

const PROFILE_NAMES: Record<string, SecurityProfileName> = {
  high: "HIGH",
  medium: "MEDIUM",
  low: "LOW",
  custom: "CUSTOM",
};

// Framework spellings found in the guides and in common use.
const FRAMEWORK_NAMES: Record<string, ComplianceFramework> = {
  SOC2: "SOC2",
  "SOC-2": "SOC2",
  "SOC 2": "SOC2",
  "PCI-DSS": "PCI_DSS",
  PCI_DSS: "PCI_DSS",
  PCIDSS: "PCI_DSS",
  "PCI DSS": "PCI_DSS",
  GDPR: "GDPR",
  HIPAA: "HIPAA",
  ISO27001: "ISO27001",
  "ISO-27001": "ISO27001",
  "ISO 27001": "ISO27001",
};

export function parseFrameworkName(text: string, path: string): ComplianceFramework {
  const key = text.toUpperCase().replace(/^COMPLIANCE_FRAMEWORK_/, "");
  const name = FRAMEWORK_NAMES[key];
  if (!name) {
    throw new FieldError(
      path,
      `${JSON.stringify(text)} is not a compliance framework; use SOC2, PCI-DSS, GDPR, HIPAA or ISO27001`,
    );
  }
  return name;
}

export function normalizeCreateVm(
  request: CreateVmRequest,
  options: NormalizeOptions,
): NormalizedVm {
  if (!request.config) throw new FieldError("config", "is required");
  const config = clone(VmConfigSchema, request.config);
  const path = "config";

  let vmId: string | undefined;
  if (request.vmId !== "") {
    if (!/^vm-[a-z0-9][a-z0-9-]{0,59}$/.test(request.vmId)) {
      throw new FieldError(
        "vm_id",
        `${JSON.stringify(request.vmId)} is not a VM id: "vm-" then 1–60 of a-z, 0-9, '-'`,
      );
    }
    vmId = request.vmId;
  }
  const applicationTier =
    request.applicationTier === ""
      ? ""
      : checkIdentifier(request.applicationTier, "application_tier");
  const tenantId =
    config.tenantId === ""
      ? options.defaultTenant
      : checkIdentifier(config.tenantId, `${path}.tenant_id`);

  if (config.ipv6Config && config.network.length > 0) {
    throw new FieldError(path, "gives both ipv6_config and network[]; use one form");
  }

  const profile = resolveProfile(config, options.defaultProfile);
  const form = config.network.length > 0 ? "network" : "ipv6_config";
  const interfaces =
    form === "network"
      ? networkInterfaces(config.network, `${path}.network`)
      : config.ipv6Config
        ? [ipv6ConfigInterface(config.ipv6Config, `${path}.ipv6_config`)]
        : [];
  rejectDuplicateAddresses(interfaces);
  if (config.securityOverrides) {
    // Operator updates to a network[]-form VM: one layer over every interface's own settings.
    const { layer } = securityConfigLayer(config.securityOverrides, `${path}.security_overrides`);
    for (const iface of interfaces) iface.requestLayer = mergeLayers(iface.requestLayer, layer);
  }

  const sp = config.securityProfile;
  const securityGroups = (sp?.securityGroups ?? []).map((g, i) =>
    checkIdentifier(g, `${path}.security_profile.security_groups[${i}]`),
  );
  checkListLength(securityGroups, LIMITS.listEntries, `${path}.security_profile.security_groups`);
  const vmCompliance = config.compliance;
  const frameworks = (vmCompliance?.frameworks ?? []).map((f, i) =>
    parseFrameworkName(f, `${path}.compliance.frameworks[${i}]`),
  );
  const dataResidency = vmCompliance?.dataResidency ?? "";
  if (dataResidency !== "" && !/^[A-Za-z][A-Za-z0-9-]{1,31}$/.test(dataResidency)) {
    throw new FieldError(
      `${path}.compliance.data_residency`,
      `${JSON.stringify(dataResidency)} is not a region code`,
    );
  }
  // VM-wide compliance and encryption requirements become part of every interface's request layer.
  const vmLayer: PolicyLayer = {
    compliance: {
      frameworks: frameworks.length > 0 ? [...new Set(frameworks)] : undefined,
      encryption: {
        requireTls:
          vmCompliance?.encryptionRequired === true || sp?.requireEncryptedTraffic === true
            ? true
            : undefined,
      },
      audit: { enabled: vmCompliance?.auditLogging },
    },
  };
  for (const iface of interfaces) iface.requestLayer = mergeLayers(vmLayer, iface.requestLayer);

  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(config.metadata)) {
    checkIdentifier(key, `${path}.metadata`);
    if (value.length > 256)
      throw new FieldError(`${path}.metadata.${key}`, "is longer than 256 characters");
    metadata[key] = value;
  }

  const spec: VmSpec = {
    vmId,
    form,
    tenantId,
    applicationTier,
    profile: profile.name,
    profileRequested: profile.requested,
    ipv6Enabled: form === "network" || config.ipv6Config?.enabled !== false,
    resources: resources(config, path),
    interfaces,
    securityGroups,
    microsegmentation: sp?.enableNetworkMicrosegmentation ?? false,
    requireEncryptedTraffic: sp?.requireEncryptedTraffic ?? false,
    compliance: {
      frameworks,
      dataResidency,
      encryptionRequired: vmCompliance?.encryptionRequired ?? false,
      auditLogging: vmCompliance?.auditLogging ?? false,
    },
    metadata,
  };
  return { spec, config };
}

function resolveProfile(
  config: VmConfig,
  fallback: SecurityProfileName,
): { name: SecurityProfileName; requested: boolean } {
  const protoProfile = config.ipv6Config?.security?.profile;
  const fromConfig = protoProfile === undefined ? undefined : PROFILE_FROM_PROTO[protoProfile];
  const nameText = config.securityProfile?.profileName ?? "";
  let fromName: SecurityProfileName | undefined;
  if (nameText !== "") {
    fromName = PROFILE_NAMES[nameText.toLowerCase().replace(/^security_profile_/, "")];
    if (!fromName) {
      throw new FieldError(
        "config.security_profile.profile_name",
        `${JSON.stringify(nameText)} is not a security profile; use high, medium, low or custom`,
      );
    }
  }
  if (fromConfig && fromName && fromConfig !== fromName) {
    throw new FieldError(
      "config.security_profile.profile_name",
      `"${nameText}" contradicts config.ipv6_config.security.profile SECURITY_PROFILE_${fromConfig}`,
    );
  }
  const overrideProfile = config.securityOverrides?.profile;
  const fromOverrides =
    overrideProfile === undefined ? undefined : PROFILE_FROM_PROTO[overrideProfile];
  const chosen = fromOverrides ?? fromConfig ?? fromName;
  return chosen ? { name: chosen, requested: true } : { name: fallback, requested: false };
}

function resources(config: VmConfig, path: string): VmSpec["resources"] {
  const vcpuCount = config.cpu?.vcpuCount || DEFAULT_VCPUS;
  checkRange(vcpuCount, 1, LIMITS.vcpus, `${path}.cpu.vcpu_count`, "vCPUs");
  const maxVcpuCount = config.cpu?.maxVcpuCount || vcpuCount;
  if (maxVcpuCount < vcpuCount || maxVcpuCount > LIMITS.vcpus) {
    throw new FieldError(
      `${path}.cpu.max_vcpu_count`,
      `${maxVcpuCount} is outside ${vcpuCount}–${LIMITS.vcpus}`,
    );
  }
  const memoryBytes = config.memory?.sizeBytes ? Number(config.memory.sizeBytes) : DEFAULT_MEMORY;
  if (memoryBytes < LIMITS.minMemoryBytes || memoryBytes > LIMITS.memoryBytes) {
    throw new FieldError(
      `${path}.memory.size_bytes`,
      `${memoryBytes} bytes is outside 16 MiB–16 TiB`,
    );
  }
  const boot = config.boot;
  const kernelPath = boot?.kernelPath
    ? checkAbsolutePath(boot.kernelPath, `${path}.boot.kernel_path`)
    : "";
  const initrdPath = boot?.initrdPath
    ? checkAbsolutePath(boot.initrdPath, `${path}.boot.initrd_path`)
    : "";
  const kernelArgs = boot?.kernelArgs ?? "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
  if (kernelArgs.length > 4096 || /[\u0000-\u001f]/.test(kernelArgs)) {
    throw new FieldError(`${path}.boot.kernel_args`, "must be at most 4096 printable characters");
  }
  checkListLength(config.storage, 64, `${path}.storage`);
  const storage = config.storage.map((s, i) => {
    const p = `${path}.storage[${i}]`;
    if (s.path === "") throw new FieldError(`${p}.path`, "is required");
    if (s.id !== "") checkIdentifier(s.id, `${p}.id`);
    return {
      id: s.id || `disk${i}`,
      path: checkAbsolutePath(s.path, `${p}.path`),
      readonly: s.readonly,
      isRootDevice: s.isRootDevice || i === 0,
    };
  });
  return { vcpuCount, maxVcpuCount, memoryBytes, kernelPath, kernelArgs, initrdPath, storage };
}

function checkMtu(mtu: number, path: string): number {
  if (mtu === 0) return DEFAULT_MTU;
  return checkRange(mtu, LIMITS.mtuMin, LIMITS.mtuMax, path, "bytes", BOUND_REASONS.mtu);
}

function address(text: string, path: string): InterfaceAddress {
  const cidr = checkVmAddress(text, path);
  return { address: cidr.address, prefixLength: cidr.prefixLength, path };
}

function ipv6ConfigInterface(ipv6: IPv6Config, path: string): InterfaceSpec {
  const nic = ipv6.interface;
  const id = nic?.name ? checkLinuxName(nic.name, `${path}.interface.name`) : "eth0";
  const iface = createInterfaceSpec(id);
  if (ipv6.enabled === false && ipv6.addresses.length > 0) {
    throw new FieldError(`${path}.addresses`, "are given while enabled is false");
  }
  checkListLength(ipv6.addresses, 16, `${path}.addresses`);
  iface.addresses = ipv6.addresses.map((a, i) => address(a, `${path}.addresses[${i}]`));
  ipv6.addresses = iface.addresses.map((a) => `${a.address}/${a.prefixLength}`);
  if (nic) {
    if (nic.macAddress)
      iface.macAddress = checkMacAddress(nic.macAddress, `${path}.interface.mac_address`);
    iface.mtu = checkMtu(nic.mtu, `${path}.interface.mtu`);
    if (nic.vlan) {
      if (nic.vlan.vlanId !== 0) checkVlan(nic.vlan.vlanId, `${path}.interface.vlan.vlan_id`);
      iface.vlanPriority = checkRange(
        nic.vlan.priority,
        0,
        7,
        `${path}.interface.vlan.priority`,
        "(802.1p priority)",
      );
      iface.vlanName = nic.vlan.name;
      if (nic.vlan.name.length > 64)
        throw new FieldError(`${path}.interface.vlan.name`, "is longer than 64 characters");
    }
  }
  if (ipv6.security) {
    const { layer } = securityConfigLayer(ipv6.security, `${path}.security`);
    const interfaceVlan = nic?.vlan?.vlanId ?? 0;
    const customerVlan = layer.isolation?.customerVlan;
    if (interfaceVlan !== 0 && customerVlan !== undefined && customerVlan !== interfaceVlan) {
      throw new FieldError(
        `${path}.interface.vlan.vlan_id`,
        `VLAN ${interfaceVlan} differs from security.isolation.customer_vlan ${customerVlan}`,
      );
    }
    if (interfaceVlan !== 0 && customerVlan === undefined) {
      layer.isolation = { ...layer.isolation, customerVlan: interfaceVlan };
    }
    iface.requestLayer = layer;
  } else if (nic?.vlan?.vlanId) {
    iface.requestLayer = { isolation: { customerVlan: nic.vlan.vlanId } };
  }
  return iface;
}

function networkInterfaces(network: NetworkInterface[], path: string): InterfaceSpec[] {
  checkListLength(network, 16, path);
  const seen = new Set<string>();
  return network.map((nic, i) => {
    const p = `${path}[${i}]`;
    const id = nic.id === "" ? `eth${i}` : checkLinuxName(nic.id, `${p}.id`);
    if (seen.has(id))
      throw new FieldError(`${p}.id`, `${JSON.stringify(id)} is used by another interface`);
    seen.add(id);
    if (nic.interfaceType !== "" && nic.interfaceType !== "virtio-net") {
      throw new FieldError(
        `${p}.interface_type`,
        `${JSON.stringify(nic.interfaceType)} is not supported; use "virtio-net"`,
      );
    }
    const iface = createInterfaceSpec(id);
    const bridge =
      nic.bridgeName === "" ? undefined : checkLinuxName(nic.bridgeName, `${p}.bridge_name`);
    const vlan = checkVlanText(nic.vlanId, `${p}.vlan_id`);
    if (nic.macAddress) iface.macAddress = checkMacAddress(nic.macAddress, `${p}.mac_address`);
    iface.mtu = checkMtu(nic.mtu, `${p}.mtu`);
    if (nic.tapDevice !== "")
      throw new FieldError(`${p}.tap_device`, "is chosen by the host and cannot be set");
    let layer: PolicyLayer = {
      isolation: { bridgeInterface: bridge, customerVlan: vlan === 0 ? undefined : vlan },
    };
    const ipv6 = nic.ipv6;
    if (ipv6) {
      const ip = `${p}.ipv6`;
      const texts = [ipv6.address, ...ipv6.additionalAddresses].filter((a) => a !== "");
      iface.addresses = texts.map((a, j) =>
        address(
          a,
          j === 0 && ipv6.address !== ""
            ? `${ip}.address`
            : `${ip}.additional_addresses[${j - (ipv6.address ? 1 : 0)}]`,
        ),
      );
      const [first, ...rest] = iface.addresses.map((a) => `${a.address}/${a.prefixLength}`);
      if (ipv6.address !== "" && first) ipv6.address = first;
      ipv6.additionalAddresses =
        ipv6.address !== "" ? rest : [first ?? "", ...rest].filter((a) => a !== "");
      if (ipv6.gateway !== "") {
        iface.gateway = checkUnicastAddress(ipv6.gateway, `${ip}.gateway`);
        ipv6.gateway = iface.gateway;
      }
      checkListLength(ipv6.dnsServers, 8, `${ip}.dns_servers`);
      iface.dnsServers = ipv6.dnsServers.map((d, j) =>
        checkUnicastAddress(d, `${ip}.dns_servers[${j}]`),
      );
      ipv6.dnsServers = iface.dnsServers;
      iface.enablePrivacyExtensions = ipv6.enablePrivacyExtensions ?? false;
      iface.enableStablePrivacy = ipv6.enableStablePrivacy ?? false;
      iface.tempValidLifetime =
        ipv6.tempValidLifetime === undefined
          ? 0
          : checkLimit(
              ipv6.tempValidLifetime,
              LIMITS.tempValidLifetimeS,
              `${ip}.temp_valid_lifetime`,
              "s",
            );
      if (ipv6.security) {
        const fromSecurity = interfaceSecurityLayer(ipv6.security, `${ip}.security`);
        layer = mergeLayers(layer, fromSecurity.layer);
        iface.switches = fromSecurity.switches;
      }
    }
    if (nic.securityPolicy)
      layer = mergeLayers(layer, securityPolicyLayer(nic.securityPolicy, `${p}.security_policy`));
    iface.requestLayer = layer;
    return iface;
  });
}

function rejectDuplicateAddresses(interfaces: InterfaceSpec[]): void {
  const seen = new Map<string, string>();
  for (const iface of interfaces) {
    for (const a of iface.addresses) {
      const other = seen.get(a.address);
      if (other)
        throw new FieldError(
          a.path,
          `${a.address} is already given at ${other}`,
          "invalid_argument",
        );
      seen.set(a.address, a.path);
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deep merge of two layers; `top` wins, lists replace. */
export function mergeLayers(bottom: PolicyLayer, top: PolicyLayer): PolicyLayer {
  const out: Record<string, unknown> = { ...(bottom as Record<string, unknown>) };
  for (const [key, value] of Object.entries(top as Record<string, unknown>)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] = isPlainObject(value) && isPlainObject(current) ? mergeLayers(current, value) : value;
  }
  return out as PolicyLayer;
}

// What the host must look like for one VM: links, sysctls and nftables set elements.
// Plans are data; drivers apply them.

import type { PortGuard } from "../bpf/port-guard.js";
import type { RateClass } from "../nft/rate-classes.js";
import type { SetElements } from "../nft/vm-elements.js";

export type LinkStep =
  | { kind: "bridge"; name: string; mldSnooping: boolean }
  | { kind: "namespace"; name: string }
  | { kind: "tap"; name: string; bridge: string; mtu: number; vmInterface: string; vlan: number };

export interface SysctlStep {
  /** In sysctl's slash form (net/ipv6/conf/IF/KEY): interface names may contain dots. */
  key: string;
  value: string;
}

/** One VM interface as the host and the guest see it. */
export interface PortPlan {
  /** Host-side port on the tenant bridge. */
  name: string;
  bridge: string;
  /** Interface name inside the guest. */
  guestInterface: string;
  mac: string;
  mtu: number;
  /** "addr/len", canonical. */
  addresses: string[];
  linkLocal: string;
  gateway: string;
  /** The customer VLAN (untagged on the port); 0: none. */
  vlan: number;
  /** VLANs accepted tagged (additional_vlans); absent: none. */
  taggedVlans?: number[];
  /** What the eBPF port guard enforces on this port (vm_guard.c); absent: no guard. */
  guard?: PortGuard;
}

/** What a VM runtime needs to start the guest (Firecracker's machine configuration). */
export interface MachinePlan {
  vcpuCount: number;
  memoryMib: number;
  kernelPath: string;
  kernelArgs: string;
  initrdPath: string;
  drives: { id: string; path: string; readonly: boolean; isRootDevice: boolean }[];
}

export interface HostPlan {
  vmId: string;
  tenantId: string;
  /** Namespace holding the guest side (sandbox driver and netns runtime). */
  guestNamespace: string;
  links: LinkStep[];
  sysctls: SysctlStep[];
  ports: PortPlan[];
  /** The VM's elements in the metald_security sets. */
  elements: SetElements;
  /** Rate classes the elements refer to (created on the host when missing). */
  rateClasses: RateClass[];
  machine?: MachinePlan;
}

// What the host must look like for one VM: links, sysctls and (with the enforcement engine)
// nftables content. Plans are data; drivers apply them.

export type LinkStep =
  | { kind: "bridge"; name: string; mldSnooping: boolean }
  | { kind: "namespace"; name: string }
  | { kind: "tap"; name: string; bridge: string; mtu: number; vmInterface: string; vlan: number };

export interface SysctlStep {
  key: string;
  value: string;
}

export interface HostPlan {
  vmId: string;
  tenantId: string;
  links: LinkStep[];
  sysctls: SysctlStep[];
}

// The one interface between the control plane and a host's network stack.
import type { HostPlan } from "../plan/host-plan.js";

export interface HostCapabilities {
  vlanDevices: boolean;
  bridgeVlanFiltering: boolean;
  nftables: boolean;
  /**
   * The eBPF port guard loads (clang-built object, bpffs, cls_bpf): max_chain_length and RA
   * option filtering are enforced. Absent: not probed (treated as false).
   */
  portGuard?: boolean;
  /** Why a capability is missing, for operators. */
  notes: string[];
}

export interface ReconcileResult {
  /** VMs whose links had to be created. */
  created: number;
  /** Leftover links and namespaces removed. */
  removed: string[];
  /** VMs whose guest side is down (to boot again if they should be running). */
  guestsDown: Set<string>;
}

export interface HostDriver {
  readonly name: "linux" | "sandbox" | "dry-run";
  /** Probes what this host can do; never claims what it cannot. */
  compat(): Promise<HostCapabilities>;
  /** A bridge's multicast (MLD) snooping as the host has it; undefined when it does not exist. */
  bridgeMldSnooping(bridge: string): Promise<boolean | undefined>;
  /** Prepares the host (an empty metald_security table); VMs are applied again after it. */
  init(): Promise<void>;
  /** Makes the host match `plan` for its VM, atomically: on failure nothing of it remains. */
  applyVm(plan: HostPlan): Promise<void>;
  /**
   * Makes the host match exactly these plans and blocked sources: tables rebuilt in one
   * transaction, missing links created, links and namespaces of VMs not in `plans` removed. Reports which VMs' guest links are down.
   */
  reconcile(plans: HostPlan[], blockedSources: string[]): Promise<ReconcileResult>;
  /** Adds and removes host-wide blocked sources (canonical addresses or prefixes). */
  updateBlockedSources(add: string[], remove: string[]): Promise<void>;
  /** Removes everything a VM's plan created that no other VM uses. */
  removeVm(plan: HostPlan): Promise<void>;
}

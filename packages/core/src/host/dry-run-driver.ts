// A driver that needs no privileges: it records the plans it would apply.
import type { HostPlan } from "../plan/host-plan.js";
import type { HostCapabilities, HostDriver } from "./host-driver.js";

export interface DryRunDriver extends HostDriver {
  /** Plans currently "applied", by VM id. */
  readonly applied: ReadonlyMap<string, HostPlan>;
  readonly blockedSources: ReadonlySet<string>;
}

export function createDryRunDriver(): DryRunDriver {
  const applied = new Map<string, HostPlan>();
  const blockedSources = new Set<string>();
  return {
    name: "dry-run",
    applied,
    blockedSources,
    async updateBlockedSources(add, remove) {
      for (const s of remove) blockedSources.delete(s);
      for (const s of add) blockedSources.add(s);
    },
    async compat(): Promise<HostCapabilities> {
      return {
        vlanDevices: false,
        bridgeVlanFiltering: false,
        nftables: false,
        notes: ["dry-run driver: nothing is applied to the host; plans are recorded only"],
      };
    },
    async init() {
      applied.clear();
      blockedSources.clear();
    },
    async reconcile(plans, blocked) {
      applied.clear();
      blockedSources.clear();
      for (const b of blocked) blockedSources.add(b);
      for (const plan of plans) applied.set(plan.vmId, plan);
      return { created: 0, removed: [], guestsDown: new Set(plans.map((p) => p.vmId)) };
    },
    async applyVm(plan) {
      applied.set(plan.vmId, plan);
    },
    // As a kernel would: the first plan that made the bridge set it.
    async bridgeMldSnooping(bridge) {
      for (const plan of applied.values())
        for (const link of plan.links)
          if (link.kind === "bridge" && link.name === bridge) return link.mldSnooping;
      return undefined;
    },
    async removeVm(plan) {
      applied.delete(plan.vmId);
    },
  };
}

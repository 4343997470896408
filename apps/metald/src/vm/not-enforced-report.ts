// The "not enforced" report of VMs on this host: notEnforcedFields (pure, in core) fed with what
// the driver knows of the host — its probed capabilities (probed once) and each bridge's MLD
// snooping as the kernel has it (the driver keeps it; a bridge is read at most once).
import {
  bridgeOf,
  type EffectiveInterfacePolicy,
  type HostCapabilities,
  type HostDriver,
  type NotEnforcedField,
  notEnforcedFields,
} from "@metald/core";
import type { VmView } from "./vm-provisioner.js";

export interface NotEnforcedReport {
  /** The VM's fields this host does not enforce; `effective` may carry each value's source. */
  of(vm: VmView, effective?: readonly EffectiveInterfacePolicy[]): Promise<NotEnforcedField[]>;
  /** The same for many VMs (a metrics scrape): each bridge is asked once. */
  ofMany(vms: readonly VmView[]): Promise<NotEnforcedField[][]>;
}

const NONE: HostCapabilities = {
  vlanDevices: false,
  bridgeVlanFiltering: false,
  nftables: false,
  notes: [],
};

export function createNotEnforcedReport(
  driver: Pick<HostDriver, "name" | "bridgeMldSnooping">,
  /** The driver's probe, run once (it needs the host prepared: call it after the reconcile). */
  capabilities: () => Promise<HostCapabilities>,
): NotEnforcedReport {
  async function snoopingOf(vms: readonly VmView[]): Promise<Map<string, boolean | undefined>> {
    const bridges = new Set<string>();
    for (const vm of vms)
      for (const e of vm.effective) bridges.add(bridgeOf(e.policy, vm.record.tenantId));
    const out = new Map<string, boolean | undefined>();
    for (const bridge of bridges)
      out.set(bridge, await driver.bridgeMldSnooping(bridge).catch(() => undefined));
    return out;
  }

  async function report(
    vms: readonly VmView[],
    effective?: readonly EffectiveInterfacePolicy[],
  ): Promise<NotEnforcedField[][]> {
    const caps = await capabilities().catch(() => NONE);
    const snooping = await snoopingOf(vms);
    const facts = {
      driver: driver.name,
      vlanDevices: caps.vlanDevices,
      bridgeVlanFiltering: caps.bridgeVlanFiltering,
      portGuard: caps.portGuard === true,
      bridgeMldSnooping: (bridge: string) => snooping.get(bridge),
    };
    return vms.map((vm) => notEnforcedFields(vm.spec, effective ?? vm.effective, facts));
  }

  return {
    of: async (vm, effective) => (await report([vm], effective))[0] ?? [],
    ofMany: (vms) => report(vms),
  };
}

// What enrichment says about the VMs of one batch: read once per distinct VM of the batch (never
// a listing of all VMs), with the customer's tier from the host configuration.
import { type EnrichmentFlags, type SiemEnrichment, tenantBridgeName } from "@metald/core";
import type { StoredSecurityEvent } from "@metald/db";
import type { VmView } from "../vm/vm-provisioner.js";
import type { VmFacts } from "./siem-batch.js";

export interface VmFactsReaderOptions {
  getVm: (vmId: string) => Promise<VmView | undefined>;
  customerTier: (tenantId: string) => string | undefined;
}

export function createVmFactsReader(options: VmFactsReaderOptions) {
  return async (batch: StoredSecurityEvent[], flags: EnrichmentFlags): Promise<VmFacts> => {
    const facts = new Map<string, SiemEnrichment>();
    const vmIds = new Set(batch.flatMap((e) => (e.vmId ? [e.vmId] : [])));
    for (const vmId of vmIds) {
      const view = await options.getVm(vmId);
      if (view) facts.set(vmId, vmFactsOf(view, flags, options.customerTier));
    }
    return facts;
  };
}

export function vmFactsOf(
  view: VmView,
  flags: EnrichmentFlags,
  customerTier: (tenantId: string) => string | undefined,
): SiemEnrichment {
  const isolation = view.effective[0]?.policy.isolation;
  const addresses = view.spec.interfaces.flatMap((i) =>
    i.addresses.map((a) => `${a.address}/${a.prefixLength}`),
  );
  const tier = customerTier(view.record.tenantId);
  return {
    ...(flags.includeVmMetadata && {
      vmTier: view.record.applicationTier,
      vmState: view.record.state,
    }),
    ...(flags.includeCustomerContext && {
      tenant: view.record.tenantId,
      ...(tier !== undefined && { customerTier: tier }),
    }),
    ...(flags.includeNetworkTopology && {
      // The bridge the host plan puts the VM on (compile-host-plan.ts).
      bridge: isolation?.bridgeInterface || tenantBridgeName(view.record.tenantId),
      ...(isolation && isolation.customerVlan > 0 && { vlan: isolation.customerVlan }),
      addresses,
    }),
  };
}

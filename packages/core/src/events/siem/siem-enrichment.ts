// The host configuration's enrichment: facts about an event's VM (its tier, its customer's tier,
// its bridge, VLAN and addresses) added to the record already rendered, in each format's own
// vocabulary: ECS host.* and labels, CEF custom fields, LEEF custom attributes.
import type { EcsDocument } from "./ecs-document.js";
import { parseLeef } from "./leef-format.js";

export interface SiemEnrichment {
  /** include_vm_metadata: the VM's application tier and its state. */
  vmTier?: string;
  vmState?: string;
  /** include_customer_context: the tenant and its tier (premium, standard, basic). */
  tenant?: string;
  customerTier?: string;
  /** include_network_topology. */
  bridge?: string;
  vlan?: number;
  addresses?: readonly string[];
}

export interface EnrichmentFlags {
  includeVmMetadata: boolean;
  includeCustomerContext: boolean;
  includeNetworkTopology: boolean;
}

export const isEnriching = (flags: EnrichmentFlags): boolean =>
  flags.includeVmMetadata || flags.includeCustomerContext || flags.includeNetworkTopology;

export type EnrichedEcsDocument = EcsDocument & {
  labels?: Record<string, string>;
  host?: { name?: string; id?: string; ip?: string[] };
};

/** ECS: the VM is the host the event is about (host.name, host.ip); the rest are labels. */
export function enrichEcs(doc: EcsDocument, facts: SiemEnrichment): EnrichedEcsDocument {
  const labels: Record<string, string> = {
    ...(doc.labels as Record<string, string> | undefined),
    ...(facts.tenant !== undefined && { tenant: facts.tenant }),
    ...(facts.customerTier !== undefined && { customer_tier: facts.customerTier }),
    ...(facts.vmTier !== undefined && { vm_tier: facts.vmTier }),
    ...(facts.vmState !== undefined && { vm_state: facts.vmState }),
    ...(facts.bridge !== undefined && { bridge: facts.bridge }),
    ...(facts.vlan !== undefined && { vlan: String(facts.vlan) }),
  };
  const vmId = doc.labels?.vm_id;
  return {
    ...doc,
    ...(Object.keys(labels).length > 0 && { labels }),
    ...((vmId !== undefined || facts.addresses !== undefined) && {
      host: {
        ...(vmId !== undefined && { name: vmId, id: vmId }),
        ...(facts.addresses !== undefined && { ip: [...facts.addresses] }),
      },
    }),
  };
}

const escapeCefValue = (text: string): string =>
  text.replace(/[\\=\r\n]/g, (c) => (c === "\n" ? "\\n" : c === "\r" ? "\\r" : `\\${c}`));

/**
 * CEF: cs5 customer tier, cs6 bridge, cn1 VLAN, c6a1 the VM's first address, flexString1 all of
 * its addresses, flexString2 its application tier (cs1–cs4 already carry VM, tenant, control and
 * ICMPv6 type). Each with its label, appended to the extension.
 */
export function enrichCef(record: string, facts: SiemEnrichment): string {
  const fields: [string, string | undefined][] = [
    ["cs5", facts.customerTier],
    ["cs5Label", facts.customerTier === undefined ? undefined : "customerTier"],
    ["cs6", facts.bridge],
    ["cs6Label", facts.bridge === undefined ? undefined : "bridge"],
    ["cn1", facts.vlan === undefined ? undefined : String(facts.vlan)],
    ["cn1Label", facts.vlan === undefined ? undefined : "vlan"],
    ["c6a1", facts.addresses?.find((a) => a.includes(":"))?.split("/")[0]],
    ["c6a1Label", facts.addresses?.some((a) => a.includes(":")) ? "vmAddress" : undefined],
    ["flexString1", facts.addresses?.join(",")],
    ["flexString1Label", facts.addresses === undefined ? undefined : "vmAddresses"],
    ["flexString2", facts.vmTier],
    ["flexString2Label", facts.vmTier === undefined ? undefined : "vmTier"],
  ];
  const extra = fields
    .filter((f): f is [string, string] => f[1] !== undefined)
    .map(([key, value]) => `${key}=${escapeCefValue(value)}`);
  if (extra.length === 0) return record;
  return record.endsWith("|") ? `${record}${extra.join(" ")}` : `${record} ${extra.join(" ")}`;
}

/** LEEF: custom attributes with the record's own delimiter (LEEF has no escapes). */
export function enrichLeef(record: string, facts: SiemEnrichment): string {
  const { delimiter } = parseLeef(record);
  const attributes: [string, string | undefined][] = [
    ["customerTier", facts.customerTier],
    ["vmTier", facts.vmTier],
    ["vmState", facts.vmState],
    ["bridge", facts.bridge],
    ["vlan", facts.vlan === undefined ? undefined : String(facts.vlan)],
    ["vmAddresses", facts.addresses?.join(",")],
  ];
  const extra = attributes
    .filter((a): a is [string, string] => a[1] !== undefined)
    .map(([key, value]) => `${key}=${value.replace(/[\r\n]/g, " ").replaceAll(delimiter, " ")}`);
  return extra.length === 0 ? record : `${record}${delimiter}${extra.join(delimiter)}`;
}

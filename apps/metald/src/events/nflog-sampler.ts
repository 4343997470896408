// Turns the kernel's packet samples (NFLOG, see packet-samples.ts) into PacketSamples for the
// aggregator: which VM a sample belongs to (by its port, or by its address when the port is
// not a VM's), and what the packet was (addresses, extension headers, ICMPv6 type).
import { type NflogRecord, type SampleAggregator, summarizeIpv6Packet } from "@metald/core";
import { portNamesOf } from "../vm/counter-keys.js";
import type { VmView } from "../vm/vm-provisioner.js";

/** Controls that drop packets sent *to* the VM: the VM is the outgoing port or destination. */
export function isInboundControl(control: string): boolean {
  return (
    control.endsWith("_in") ||
    control.startsWith("ingress_") ||
    control === "inter_tenant_drops" ||
    control === "rl_ra_drops"
  );
}

export interface SampleAttribution {
  /** Port name → VM, address → VM, from the live VMs. */
  byPort: Map<string, { vmId: string }>;
  byAddress: Map<string, { vmId: string }>;
}

export function attributionOf(vms: VmView[]): SampleAttribution {
  const byPort = new Map<string, { vmId: string }>();
  const byAddress = new Map<string, { vmId: string }>();
  for (const vm of vms) {
    const ref = { vmId: vm.record.id };
    for (const port of portNamesOf(vm)) byPort.set(port, ref);
    for (const iface of vm.spec.interfaces)
      for (const a of iface.addresses) byAddress.set(a.address, ref);
  }
  return { byPort, byAddress };
}

export interface NflogSamplerOptions {
  aggregator: SampleAggregator;
  attribution: () => SampleAttribution;
  /** Interface index → name on the host side. */
  portName: (ifindex: number) => string | undefined;
}

/** Records one NFLOG record in the aggregator; false when no VM could be named. */
export function recordSample(record: NflogRecord, o: NflogSamplerOptions): boolean {
  const control = record.prefix;
  if (!control) return false;
  const packet = summarizeIpv6Packet(record.payload);
  const inbound = isInboundControl(control);
  const index = inbound ? (record.physoutdev ?? record.outdev) : (record.physindev ?? record.indev);
  const port = index === undefined ? undefined : o.portName(index);
  const { byPort, byAddress } = o.attribution();
  const vm =
    (port !== undefined ? byPort.get(port) : undefined) ??
    (packet &&
      (inbound
        ? byAddress.get(packet.destination)
        : (byAddress.get(packet.source) ?? byAddress.get(packet.destination))));
  if (!vm) return false;
  o.aggregator.record({
    vmId: vm.vmId,
    control,
    sourceIp: packet?.source,
    destinationIp: packet?.destination,
    interface: port,
    extensionHeaders: packet?.extensionHeaders,
    icmpv6Type: packet?.icmpv6Type,
  });
  return true;
}

// /debug routes for operators: a VM's live network and enforcement, as the guides read them.
import { toJson } from "@bufbuild/protobuf";
import {
  countersOf,
  type PortCounters,
  type SetElements,
  tapName,
  toInterfaceView,
} from "@metald/core";
import { NetworkInterfaceSchema } from "@metald/proto";
import type { FastifyInstance } from "fastify";
import type { VmProvisioner } from "../vm/vm-provisioner.js";

export interface DebugRouteOptions {
  provisioner: VmProvisioner;
  /** Per-port counters of the enforcement sets, when the driver has them. */
  readCounters?: () => Promise<PortCounters>;
  /**
   * A fresh reading that adds one VM's elements of the accept-side sets (vm_ports, vm_sources,
   * ra_allowed_in, inter_tenant_open), which nothing reads on a timer.
   */
  readVmCounters?: (elements: SetElements) => Promise<PortCounters>;
}

export function registerDebugRoutes(app: FastifyInstance, options: DebugRouteOptions): void {
  app.get<{ Params: { id: string } }>("/debug/network/vm/:id", async (req, reply) => {
    const vm = await options.provisioner.get(req.params.id);
    if (!vm)
      return reply
        .code(404)
        .send({ code: "not_found", message: `vm ${JSON.stringify(req.params.id)} not found` });
    const plan = options.provisioner.plan(vm);
    const counters = options.readVmCounters
      ? await options.readVmCounters(plan.elements)
      : options.readCounters
        ? await options.readCounters()
        : new Map();
    const interfaces = vm.spec.interfaces.map((iface, i) => {
      const policy = vm.effective[i]?.policy;
      const port = plan.ports[i];
      const view = policy && toInterfaceView(iface, policy, tapName(vm.record.id, i));
      return {
        ...(view
          ? (toJson(NetworkInterfaceSchema, view, { useProtoFieldName: true }) as object)
          : {}),
        guest_namespace: plan.guestNamespace,
        bridge: port?.bridge,
        link_local: port?.linkLocal,
        mac_address: port?.mac,
        counters: port
          ? countersOf(counters, [
              port.name,
              ...port.addresses.map((a) => a.slice(0, a.indexOf("/"))),
              port.linkLocal,
            ])
          : {},
      };
    });
    const first = interfaces[0] as { ipv6?: unknown } | undefined;
    return {
      vm_id: vm.record.id,
      state: `VM_STATE_${vm.record.state}`,
      tenant_id: vm.record.tenantId,
      isolated: vm.record.isolated,
      ipv6: first?.ipv6 ?? null,
      interfaces,
      elements: plan.elements,
    };
  });
}

import type { NotEnforcedField } from "@metald/core";
import { Registry } from "prom-client";
import { expect, it } from "vitest";
import type { VmView } from "../vm/vm-provisioner.js";
import { registerNotEnforcedMetrics } from "./not-enforced-metrics.js";

const field = (name: string, interfaceId = "eth0"): NotEnforcedField => ({
  field: name,
  interfaceId,
  reason: "",
  source: "request",
  value: "true",
});

it("counts the live VMs holding each field once, however many of their interfaces hold it", async () => {
  const vms = ["vm-a", "vm-b", "vm-c"].map((id) => ({ record: { id } }) as unknown as VmView);
  const perVm: Record<string, NotEnforcedField[]> = {
    "vm-a": [field("isolation.customer_vlan"), field("isolation.customer_vlan", "eth1")],
    "vm-b": [field("isolation.customer_vlan"), field("ipv6.dns_servers")],
    "vm-c": [],
  };
  const registry = new Registry();
  registerNotEnforcedMetrics({
    registry,
    liveVms: async () => vms,
    report: {
      of: async () => [],
      ofMany: async (views) => views.map((v) => perVm[v.record.id] ?? []),
    },
  });
  const text = await registry.metrics();
  expect(text).toContain('metald_ipv6_security_not_enforced{field="isolation.customer_vlan"} 2');
  expect(text).toContain('metald_ipv6_security_not_enforced{field="ipv6.dns_servers"} 1');
  // A field no VM holds any more leaves the gauge.
  perVm["vm-b"] = [];
  const later = await registry.metrics();
  expect(later).not.toContain('field="ipv6.dns_servers"');
  expect(later).toContain('metald_ipv6_security_not_enforced{field="isolation.customer_vlan"} 1');
});

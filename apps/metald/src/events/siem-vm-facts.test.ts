import { expect, it } from "vitest";
import type { VmView } from "../vm/vm-provisioner.js";
import { createVmFactsReader, vmFactsOf } from "./siem-vm-facts.js";

const view = (bridgeInterface: string, customerVlan: number) =>
  ({
    record: { id: "vm-1", tenantId: "acme", applicationTier: "web", state: "RUNNING" },
    spec: {
      interfaces: [
        { addresses: [{ address: "2001:db8::10", prefixLength: 64 }] },
        { addresses: [{ address: "2001:db8:1::10", prefixLength: 64 }] },
      ],
    },
    effective: [{ interfaceId: "eth0", policy: { isolation: { bridgeInterface, customerVlan } } }],
  }) as unknown as VmView;

const ALL = { includeVmMetadata: true, includeCustomerContext: true, includeNetworkTopology: true };

it("gives each flag's facts only, the tenant's default bridge when the policy names none", () => {
  expect(vmFactsOf(view("", 0), ALL, () => "premium")).toEqual({
    vmTier: "web",
    vmState: "RUNNING",
    tenant: "acme",
    customerTier: "premium",
    bridge: "br-acme",
    addresses: ["2001:db8::10/64", "2001:db8:1::10/64"],
  });
  expect(
    vmFactsOf(
      view("br-dmz", 120),
      { ...ALL, includeVmMetadata: false, includeCustomerContext: false },
      () => undefined,
    ),
  ).toEqual({ bridge: "br-dmz", vlan: 120, addresses: ["2001:db8::10/64", "2001:db8:1::10/64"] });
});

it("reads each VM of a batch once, and skips events without a VM or of a VM not found", async () => {
  const reads: string[] = [];
  const facts = await createVmFactsReader({
    getVm: async (id) => {
      reads.push(id);
      return id === "vm-1" ? view("", 0) : undefined;
    },
    customerTier: () => undefined,
  })([{ vmId: "vm-1" }, { vmId: "vm-1" }, { vmId: null }, { vmId: "gone" }] as never, ALL);
  expect(reads).toEqual(["vm-1", "gone"]);
  expect([...facts.keys()]).toEqual(["vm-1"]);
});

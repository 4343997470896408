import { expect, it } from "vitest";
import type { SecurityEvent } from "../security-event.js";
import { formatCef, parseCef } from "./cef-format.js";
import { toEcsDocument } from "./ecs-document.js";
import { formatLeef, parseLeef } from "./leef-format.js";
import { enrichCef, enrichEcs, enrichLeef, type SiemEnrichment } from "./siem-enrichment.js";

const context = { hostname: "node-7", productVersion: "2.3.4" };
const event: SecurityEvent = {
  id: "evt-1",
  timestamp: new Date("2026-12-01T00:00:00.000Z"),
  eventType: "source_spoofing",
  severity: "critical",
  vmId: "vm-1",
  customerId: "acme",
  sourceIp: "2001:db8::9",
  description: "spoofed",
  details: { control: "source_guard" },
  count: 1,
};
const facts: SiemEnrichment = {
  vmTier: "web",
  vmState: "RUNNING",
  tenant: "acme",
  customerTier: "premium",
  bridge: "br-acme",
  vlan: 100,
  addresses: ["2001:db8::10/64", "2001:db8::11/64"],
};

it("adds the VM as ECS host.* and its facts as labels", () => {
  const doc = enrichEcs(toEcsDocument(event, context), facts);
  expect(doc.host).toEqual({
    name: "vm-1",
    id: "vm-1",
    ip: ["2001:db8::10/64", "2001:db8::11/64"],
  });
  expect(doc.labels).toEqual({
    vm_id: "vm-1",
    customer_id: "acme",
    tenant: "acme",
    customer_tier: "premium",
    vm_tier: "web",
    vm_state: "RUNNING",
    bridge: "br-acme",
    vlan: "100",
  });
});

it("adds CEF custom fields that parse back, values escaped", () => {
  const cef = enrichCef(formatCef(event, context), { ...facts, bridge: "br=x\\y" });
  const { extension } = parseCef(cef);
  expect(extension).toMatchObject({
    cs1: "vm-1",
    cs5: "premium",
    cs5Label: "customerTier",
    cs6: "br=x\\y",
    cs6Label: "bridge",
    cn1: "100",
    cn1Label: "vlan",
    c6a1: "2001:db8::10",
    flexString1: "2001:db8::10/64,2001:db8::11/64",
    flexString2: "web",
  });
  expect(enrichCef("CEF:0|a|b|c|d|e|5|", {})).toBe("CEF:0|a|b|c|d|e|5|");
});

it("adds LEEF attributes with the record's delimiter", () => {
  const leef = enrichLeef(formatLeef(event, context), facts);
  expect(parseLeef(leef).attributes).toMatchObject({
    vmId: "vm-1",
    customerTier: "premium",
    bridge: "br-acme",
    vlan: "100",
    vmAddresses: "2001:db8::10/64,2001:db8::11/64",
  });
});

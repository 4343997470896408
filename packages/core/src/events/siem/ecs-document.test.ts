import { describe, expect, it } from "vitest";
import type { SecurityEvent } from "../security-event.js";
import { toEcsDocument } from "./ecs-document.js";

const context = { hostname: "node-7.fra1", productVersion: "2.3.4" };

const spoofing: SecurityEvent = {
  id: "evt-01hz",
  timestamp: new Date("2024-05-01T12:00:00.123Z"),
  vmId: "vm-a",
  customerId: "acme",
  eventType: "source_spoofing",
  severity: "critical",
  sourceIp: "2001:db8::66",
  description: "packets with a source address the VM does not own dropped",
  details: { control: "source_guard", destination_ip: "2001:db8::2", interface: "tap0" },
  count: 12,
};

const configChange: SecurityEvent = {
  id: "evt-01j0",
  timestamp: new Date("2024-05-01T12:05:00.000Z"),
  vmId: null,
  customerId: null,
  eventType: "config_change",
  severity: "info",
  sourceIp: null,
  description: "IPv6 policy updated",
  details: {},
  count: 1,
};

describe("toEcsDocument", () => {
  it("describes a critical source spoofing drop as a denied intrusion alert", () => {
    expect(toEcsDocument(spoofing, context)).toEqual({
      "@timestamp": "2024-05-01T12:00:00.123Z",
      message: "packets with a source address the VM does not own dropped",
      ecs: { version: "8.11.0" },
      event: {
        id: "evt-01hz",
        kind: "alert",
        category: ["network", "intrusion_detection"],
        type: ["denied"],
        action: "source_spoofing",
        severity: 10,
        dataset: "metald.security",
        module: "metald",
      },
      log: { level: "critical" },
      source: { ip: "2001:db8::66" },
      destination: { ip: "2001:db8::2" },
      network: { type: "ipv6" },
      observer: {
        vendor: "Unkey",
        product: "Metald",
        version: "2.3.4",
        hostname: "node-7.fra1",
        type: "firewall",
        ingress: { interface: { name: "tap0" } },
      },
      rule: { id: "source_guard", name: "source_spoofing", ruleset: "metald_security" },
      labels: { vm_id: "vm-a", customer_id: "acme" },
      metald: {
        vm_id: "vm-a",
        customer_id: "acme",
        count: 12,
        details: { control: "source_guard", destination_ip: "2001:db8::2", interface: "tap0" },
      },
    });
  });

  it("describes an info config change as a configuration event, omitting unknown fields", () => {
    expect(toEcsDocument(configChange, context)).toEqual({
      "@timestamp": "2024-05-01T12:05:00.000Z",
      message: "IPv6 policy updated",
      ecs: { version: "8.11.0" },
      event: {
        id: "evt-01j0",
        kind: "event",
        category: ["configuration"],
        type: ["change"],
        action: "config_change",
        severity: 2,
        dataset: "metald.security",
        module: "metald",
      },
      log: { level: "info" },
      observer: {
        vendor: "Unkey",
        product: "Metald",
        version: "2.3.4",
        hostname: "node-7.fra1",
        type: "firewall",
      },
      rule: { name: "config_change", ruleset: "metald_security" },
      metald: { count: 1, details: {} },
    });
  });

  it("classifies audit events as configuration and undropped traffic events as info", () => {
    expect(
      toEcsDocument({ ...configChange, eventType: "audit_login" }, context).event,
    ).toMatchObject({ category: ["configuration"], type: ["info"] });
    const event = toEcsDocument({ ...spoofing, severity: "warning", details: {} }, context).event;
    expect(event).toMatchObject({ kind: "alert", type: ["info"], severity: 5 });
  });

  it("never writes null and keeps only JSON-safe details", () => {
    const cycle: Record<string, unknown> = { name: "loop" };
    cycle.self = cycle;
    const document = toEcsDocument(
      {
        ...spoofing,
        vmId: null,
        details: {
          icmpv6_type: 134,
          prefixes: ["2001:db8::/64", null],
          nested: { seen: new Date("2024-05-01T00:00:00Z"), gone: undefined, nan: Number.NaN },
          big: 10n,
          callback: () => undefined,
          missing: null,
          cycle,
        },
      },
      context,
    );
    expect(document.labels).toEqual({ customer_id: "acme" });
    expect(document.metald).not.toHaveProperty("vm_id");
    expect(document.metald.details).toMatchObject({
      icmpv6_type: 134,
      prefixes: ["2001:db8::/64", null],
      nested: { seen: "2024-05-01T00:00:00.000Z" },
      big: "10",
    });
    expect(document.metald.details.nested).toEqual({ seen: "2024-05-01T00:00:00.000Z" });
    expect(document.metald.details).not.toHaveProperty("callback");
    expect(document.metald.details).not.toHaveProperty("missing");
    expect(() => JSON.stringify(document)).not.toThrow();
  });

  it("calls the network ipv4 when only IPv4 addresses are known", () => {
    const document = toEcsDocument({ ...spoofing, sourceIp: "192.0.2.1", details: {} }, context);
    expect(document.network).toEqual({ type: "ipv4" });
    expect(document).not.toHaveProperty("destination");
  });
});

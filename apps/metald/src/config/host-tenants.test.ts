import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { HostConfig } from "./host-config-schema.js";
import { hostTenants } from "./host-tenants.js";
import { parseHostConfig } from "./load-host-config.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../../test/config/${name}`, import.meta.url), "utf8");

function configOf(text: string): HostConfig {
  const result = parseHostConfig(text, { SIEM_AUTH_TOKEN: "token-for-tests" });
  if (!("config" in result)) throw new Error(JSON.stringify(result.errors));
  return result.config;
}

describe("host tenants", () => {
  it("are the multi-tenant template's customers with their VLAN, bridge and namespace", () => {
    const tenants = hostTenants(configOf(fixture("multi-tenant.yaml")));
    expect(
      tenants.map(({ id, profile, vlan, bridge, namespace }) => ({
        ...{ id, profile, vlan, bridge, namespace },
      })),
    ).toEqual([
      {
        ...{ id: "customer-001", profile: "HIGH", vlan: 1001 },
        ...{ bridge: "br-cust-001", namespace: "customer-001" },
      },
      {
        ...{ id: "customer-002", profile: "HIGH", vlan: 1002 },
        ...{ bridge: "br-cust-002", namespace: "customer-002" },
      },
    ]);
  });

  it("get default_security under their own settings", () => {
    const [first, second] = hostTenants(configOf(fixture("multi-tenant.yaml")));
    expect(first?.security.source_validation).toEqual({
      ...{ strict_ingress: true, strict_egress: true, block_private_addresses: true },
    });
    expect(second?.security.monitoring?.security_log_level).toBe("WARN");
    expect(first?.security.ra_guard).toEqual({
      ...{ enabled: true, block_all_ra: false, allowed_routers: ["2001:db8:1001::1"] },
      max_ra_rate: 5,
    });
    expect(second?.security.rate_limits?.max_pps_per_vm).toBe(15000);
  });

  it("override default_security field by field, and replace lists whole", () => {
    const text = fixture("multi-tenant.yaml").replace(
      '        "customer-002":\n',
      [
        '        "customer-002":',
        "          tier: premium",
        '          prefix: "2001:DB8:C002::/48"',
        "          extension_headers:",
        "            allowed_types: [44]",
        "          monitoring:",
        '            security_log_level: "ERROR"',
        "",
      ].join("\n"),
    );
    const second = hostTenants(configOf(text))[1];
    expect(second?.tier).toBe("premium");
    // Prefixes come out in canonical form.
    expect(second?.prefix).toBe("2001:db8:c002::/48");
    expect(second?.security.extension_headers).toEqual({
      ...{ mode: "SELECTIVE", allowed_types: [44], fragment_policy: "REASSEMBLE" },
    });
    expect(second?.security.monitoring).toEqual({
      ...{ enable_security_logging: true, security_log_level: "ERROR", enable_metrics: true },
    });
  });

  it("are none for a single-tenant configuration", () => {
    expect(hostTenants(configOf(fixture("production.yaml")))).toEqual([]);
  });
});

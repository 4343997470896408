import { create, fromJson } from "@bufbuild/protobuf";
import { type CreateVmRequest, CreateVmRequestSchema } from "@metald/proto";
import { describe, expect, it } from "vitest";
import { FieldError } from "./field-error.js";
import { normalizeCreateVm } from "./normalize-create-vm.js";
import { resolvePolicy } from "./resolve-policy.js";

const OPTIONS = { defaultProfile: "HIGH", defaultTenant: "default" } as const;

function request(json: unknown): CreateVmRequest {
  return fromJson(CreateVmRequestSchema, json as never);
}

function fieldError(json: unknown): FieldError {
  try {
    normalizeCreateVm(request(json), OPTIONS);
  } catch (error) {
    if (error instanceof FieldError) return error;
    throw error;
  }
  throw new Error("expected a FieldError");
}

describe("normalizing the two request forms", () => {
  it("turns the ipv6_config form into one interface with canonical addresses", () => {
    const { spec, config } = normalizeCreateVm(
      request({
        config: {
          ipv6_config: {
            addresses: ["2001:DB8:1000:0::10/64"],
            interface: { name: "eth1", mtu: 9000 },
          },
        },
      }),
      OPTIONS,
    );
    expect(spec.form).toBe("ipv6_config");
    expect(spec.interfaces).toHaveLength(1);
    expect(spec.interfaces[0]).toMatchObject({
      id: "eth1",
      mtu: 9000,
      addresses: [{ address: "2001:db8:1000::10", prefixLength: 64 }],
    });
    expect(config.ipv6Config?.addresses).toEqual(["2001:db8:1000::10/64"]);
    expect(spec.profile).toBe("HIGH");
    expect(spec.profileRequested).toBe(false);
  });

  it("turns the network[] form's switches and rule lists into the same policy model", () => {
    const { spec } = normalizeCreateVm(
      request({
        config: {
          tenant_id: "acme",
          security_profile: { profile_name: "medium" },
          network: [
            {
              id: "eth0",
              bridge_name: "br-acme",
              vlan_id: "100",
              ipv6: {
                address: "2001:db8::5/64",
                security: {
                  allowed_ra_sources: ["FE80::1"],
                  block_routing_header: true,
                  ra_rate_limit: 10,
                },
              },
              security_policy: {
                bandwidth_limit_mbps: 8,
                tenant_isolation_level: "moderate",
                ingress_rules: ["deny all from any to any"],
              },
            },
          ],
        },
      }),
      OPTIONS,
    );
    expect(spec).toMatchObject({
      tenantId: "acme",
      profile: "MEDIUM",
      profileRequested: true,
      form: "network",
    });
    const iface = spec.interfaces[0];
    if (!iface) throw new Error("no interface");
    const { policy, sources } = resolvePolicy({
      profile: spec.profile,
      request: iface.requestLayer,
      switches: iface.switches,
    });
    expect(policy.raGuard).toMatchObject({
      enabled: true,
      blockAllRa: false,
      allowedRouters: ["fe80::1"],
      maxRaRate: 10,
    });
    expect(policy.isolation).toMatchObject({
      bridgeInterface: "br-acme",
      customerVlan: 100,
      level: "moderate",
      interTenantPolicy: "SELECTIVE",
    });
    expect(policy.rateLimits.maxBandwidthPerVm).toBe(1_000_000);
    expect(policy.rules.ingress).toEqual(["deny all from any to any"]);
    // MEDIUM allows hop-by-hop, fragment and destination options; the switch removes nothing else.
    expect(policy.extensionHeaders).toMatchObject({ mode: "SELECTIVE", allowedTypes: [0, 44, 60] });
    expect(sources["raGuard.maxRaRate"]).toBe("request");
    expect(sources["raGuard.enabled"]).toBe("profile");
    expect(sources["monitoring.metricsIntervalS"]).toBe("default");
  });

  it("lets a block switch set to false put back a header the profile refuses", () => {
    const { spec } = normalizeCreateVm(
      request({
        config: {
          network: [
            { ipv6: { address: "2001:db8::6/64", security: { block_destination_options: false } } },
          ],
        },
      }),
      OPTIONS,
    );
    const iface = spec.interfaces[0];
    if (!iface) throw new Error("no interface");
    const { policy } = resolvePolicy({
      profile: "HIGH",
      request: iface.requestLayer,
      switches: iface.switches,
    });
    expect(policy.extensionHeaders.allowedTypes).toEqual([0, 44, 60]);
  });

  it("accepts the guides' framework spellings", () => {
    const { spec } = normalizeCreateVm(
      request({ config: { compliance: { frameworks: ["PCI-DSS", "SOC2", "ISO27001"] } } }),
      OPTIONS,
    );
    expect(spec.compliance.frameworks).toEqual(["PCI_DSS", "SOC2", "ISO27001"]);
  });
});

describe("refusing bad input with the path of the field", () => {
  it.each([
    [
      { config: { ipv6_config: { addresses: ["2001:db8::/129"] } } },
      "config.ipv6_config.addresses[0]",
      "is not 0–128",
    ],
    [
      { config: { ipv6_config: { addresses: ["fe80::1/64"] } } },
      "config.ipv6_config.addresses[0]",
      "link-local",
    ],
    [{ config: { network: [{ vlan_id: "4095" }] } }, "config.network[0].vlan_id", "outside 1–4094"],
    [
      { config: { network: [{ bridge_name: "br-financial-backup" }] } },
      "config.network[0].bridge_name",
      "19 characters",
    ],
    [
      { config: { network: [{ id: "a" }, { id: "a" }] } },
      "config.network[1].id",
      "used by another interface",
    ],
    [
      { config: { network: [{ interface_type: "e1000" }] } },
      "config.network[0].interface_type",
      "not supported",
    ],
    [
      { config: { compliance: { frameworks: ["FEDRAMP"] } } },
      "config.compliance.frameworks[0]",
      "not a compliance framework",
    ],
    [{ config: { tenant_id: "bad tenant" } }, "config.tenant_id", "not a valid identifier"],
    [{ config: { cpu: { vcpu_count: 1000 } } }, "config.cpu.vcpu_count", "outside 1–256"],
    [
      { config: { memory: { size_bytes: 1024 } } },
      "config.memory.size_bytes",
      "outside 16 MiB–16 TiB",
    ],
    [
      { config: { boot: { kernel_path: "../vmlinux" } } },
      "config.boot.kernel_path",
      "absolute path",
    ],
    [
      {
        config: {
          ipv6_config: {
            security: { ra_guard: { block_all_ra: true, allowed_routers: ["fe80::1"] } },
          },
        },
      },
      "config.ipv6_config.security.ra_guard.allowed_routers",
      "block_all_ra is true",
    ],
    [
      {
        config: {
          ipv6_config: {
            security: {
              extension_headers: { mode: "EXTENSION_HEADER_MODE_ALLOW_ALL", allowed_types: [0] },
            },
          },
        },
      },
      "config.ipv6_config.security.extension_headers.allowed_types",
      "SELECTIVE",
    ],
    [
      { config: { ipv6_config: { security: { extension_headers: { allowed_types: [300] } } } } },
      "config.ipv6_config.security.extension_headers.allowed_types[0]",
      "0–255",
    ],
    [
      {
        config: {
          ipv6_config: { security: { monitoring: { siem_config: { auth_token: "s3cret" } } } },
        },
      },
      "config.ipv6_config.security.monitoring.siem_config.auth_token",
      "secrets are not accepted",
    ],
    [
      {
        config: {
          ipv6_config: { security: { profile: "SECURITY_PROFILE_LOW" } },
          security_profile: { profile_name: "high" },
        },
      },
      "config.security_profile.profile_name",
      "contradicts",
    ],
    [{ vm_id: "VM_1", config: {} }, "vm_id", "is not a VM id"],
  ])("%j → %s", (json, path, text) => {
    const error = fieldError(json);
    expect(error.path).toBe(path);
    expect(error.message).toContain(text);
  });

  it("requires a config", () => {
    expect(() => normalizeCreateVm(create(CreateVmRequestSchema), OPTIONS)).toThrow(
      "config: is required",
    );
  });
});

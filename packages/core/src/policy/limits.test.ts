import { fromJson } from "@bufbuild/protobuf";
import { CreateVmRequestSchema } from "@metald/proto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BYTE_BURST_MAX, byteBurst, packetBurst } from "../nft/rate-classes.js";
import { FieldError } from "./field-error.js";
import {
  byteLimitFits,
  enforcedPacketRate,
  NFT_BYTE_RATE_PLUS_BURST_MAX,
  NFT_U32_MAX,
  packetLimitFits,
  TAP_MTU_MAX,
} from "./kernel-limits.js";
import { BYTES_PER_MBIT, LIMITS } from "./limits.js";
import { normalizeCreateVm } from "./normalize-create-vm.js";

const OPTIONS = { defaultProfile: "HIGH", defaultTenant: "default" } as const;
const ADDRESS = "2001:db8:77::9/64";

function normalize(json: unknown) {
  return normalizeCreateVm(fromJson(CreateVmRequestSchema, json as never), OPTIONS);
}

function refusal(json: unknown): FieldError {
  try {
    normalize(json);
  } catch (error) {
    if (error instanceof FieldError) return error;
    throw error;
  }
  throw new Error("expected a FieldError");
}

const security = (fields: Record<string, unknown>) => ({
  config: { ipv6_config: { addresses: [ADDRESS], security: fields } },
});
const ipv6Interface = (fields: Record<string, unknown>) => ({
  config: { ipv6_config: { addresses: [ADDRESS], interface: { name: "eth0", ...fields } } },
});
const nic = (fields: Record<string, unknown>) => ({
  config: { network: [{ id: "eth0", ipv6: { address: ADDRESS }, ...fields }] },
});
const nicSecurity = (fields: Record<string, unknown>) =>
  nic({ ipv6: { address: ADDRESS, security: fields } });
const overrides = (fields: Record<string, unknown>) => ({
  config: { network: [{ id: "eth0", ipv6: { address: ADDRESS } }], security_overrides: fields },
});

interface Bound {
  path: string;
  min: number;
  max: number;
  body: (value: number) => unknown;
  /** min − 1 is a request value that must be refused (not "unset" and not negative). */
  belowMin?: boolean;
}

const S = "config.ipv6_config.security";
const N = "config.network[0]";
const BOUNDS: Bound[] = [
  {
    path: `${S}.ra_guard.max_ra_rate`,
    min: 0,
    max: LIMITS.raPerMinute,
    body: (v) =>
      security({ ra_guard: { enabled: true, allowed_routers: ["fe80::1"], max_ra_rate: v } }),
  },
  {
    path: `${S}.extension_headers.max_chain_length`,
    min: 0,
    max: LIMITS.maxChainLength,
    body: (v) => security({ extension_headers: { max_chain_length: v } }),
  },
  {
    path: `${S}.extension_headers.allowed_types[0]`,
    min: 0,
    max: 255,
    body: (v) => security({ extension_headers: { allowed_types: [v] } }),
  },
  {
    path: `${S}.isolation.customer_vlan`,
    min: LIMITS.vlanMin,
    max: LIMITS.vlanMax,
    body: (v) => security({ isolation: { customer_vlan: v } }),
    belowMin: true,
  },
  {
    path: `${S}.isolation.additional_vlans[0]`,
    min: LIMITS.vlanMin,
    max: LIMITS.vlanMax,
    body: (v) => security({ isolation: { additional_vlans: [v] } }),
    belowMin: true,
  },
  {
    path: `${S}.rate_limits.max_pps_per_vm`,
    min: 0,
    max: LIMITS.ppsPerVm,
    body: (v) => security({ rate_limits: { max_pps_per_vm: v } }),
  },
  {
    path: `${S}.rate_limits.max_bandwidth_per_vm`,
    min: 0,
    max: LIMITS.bandwidthBytesPerSecond,
    body: (v) => security({ rate_limits: { max_bandwidth_per_vm: String(v) } }),
  },
  {
    path: `${S}.rate_limits.max_connections_per_vm`,
    min: 0,
    max: LIMITS.connectionsPerVm,
    body: (v) => security({ rate_limits: { max_connections_per_vm: v } }),
  },
  {
    path: `${S}.rate_limits.burst_config.burst_packets`,
    min: 0,
    max: LIMITS.burstPackets,
    body: (v) => security({ rate_limits: { burst_config: { burst_packets: v } } }),
  },
  {
    path: `${S}.rate_limits.burst_config.burst_duration_ms`,
    min: 0,
    max: LIMITS.burstDurationMs,
    body: (v) => security({ rate_limits: { burst_config: { burst_duration_ms: v } } }),
  },
  {
    path: `${S}.rate_limits.burst_config.recovery_time_s`,
    min: 0,
    max: LIMITS.recoveryS,
    body: (v) => security({ rate_limits: { burst_config: { recovery_time_s: v } } }),
  },
  ...(["nd_rate_limit", "icmpv6_rate_limit", "multicast_rate_limit"] as const).flatMap(
    (field): Bound[] => [
      {
        path: `${S}.neighbor_discovery.${field}`,
        min: 0,
        max: LIMITS.ndPps,
        body: (v) => security({ neighbor_discovery: { [field]: v } }),
      },
      {
        path: `${N}.ipv6.security.${field}`,
        min: 0,
        max: LIMITS.ndPps,
        body: (v) => nicSecurity({ [field]: v }),
      },
    ],
  ),
  {
    path: `${S}.monitoring.metrics_interval_s`,
    min: 1,
    max: LIMITS.metricsIntervalS,
    body: (v) => security({ monitoring: { metrics_interval_s: v } }),
  },
  {
    path: `${S}.compliance.data_retention_days`,
    min: 1,
    max: LIMITS.dataRetentionDays,
    body: (v) => security({ compliance: { data_retention_days: v } }),
    belowMin: true,
  },
  {
    path: "config.ipv6_config.interface.mtu",
    min: LIMITS.mtuMin,
    max: LIMITS.mtuMax,
    body: (v) => ipv6Interface({ mtu: v }),
    belowMin: true,
  },
  {
    path: "config.ipv6_config.interface.vlan.vlan_id",
    min: LIMITS.vlanMin,
    max: LIMITS.vlanMax,
    body: (v) => ipv6Interface({ vlan: { vlan_id: v } }),
  },
  {
    path: "config.ipv6_config.interface.vlan.priority",
    min: 0,
    max: 7,
    body: (v) => ipv6Interface({ vlan: { vlan_id: 10, priority: v } }),
  },
  {
    path: `${N}.mtu`,
    min: LIMITS.mtuMin,
    max: LIMITS.mtuMax,
    body: (v) => nic({ mtu: v }),
    belowMin: true,
  },
  {
    path: `${N}.vlan_id`,
    min: LIMITS.vlanMin,
    max: LIMITS.vlanMax,
    body: (v) => nic({ vlan_id: String(v) }),
    belowMin: true,
  },
  {
    path: `${N}.ipv6.security.ra_rate_limit`,
    min: 0,
    max: LIMITS.raPerMinute,
    body: (v) =>
      nicSecurity({ enable_ra_guard: true, allowed_ra_sources: ["fe80::1"], ra_rate_limit: v }),
  },
  {
    path: `${N}.ipv6.temp_valid_lifetime`,
    min: 0,
    max: LIMITS.tempValidLifetimeS,
    body: (v) => nic({ ipv6: { address: ADDRESS, temp_valid_lifetime: v } }),
  },
  {
    path: `${N}.security_policy.bandwidth_limit_mbps`,
    min: 0,
    max: LIMITS.bandwidthMbps,
    body: (v) => nic({ security_policy: { bandwidth_limit_mbps: v } }),
  },
  {
    path: `${N}.security_policy.packet_rate_limit`,
    min: 0,
    max: LIMITS.ppsPerVm,
    body: (v) => nic({ security_policy: { packet_rate_limit: v } }),
  },
  {
    path: "config.security_overrides.rate_limits.max_bandwidth_per_vm",
    min: 0,
    max: LIMITS.bandwidthBytesPerSecond,
    body: (v) => overrides({ rate_limits: { max_bandwidth_per_vm: String(v) } }),
  },
];

describe("every numeric field's range", () => {
  it.each(BOUNDS)("$path accepts its minimum and maximum", ({ min, max, body }) => {
    expect(() => normalize(body(min))).not.toThrow();
    expect(() => normalize(body(max))).not.toThrow();
  });

  it.each(BOUNDS)("$path refuses one past its maximum, naming the path and the range", (bound) => {
    const error = refusal(bound.body(bound.max + 1));
    expect(error.code).toBe("invalid_argument");
    expect(error.path).toBe(bound.path);
    expect(error.problem).toContain(`${bound.min === 0 ? 0 : bound.min}–${bound.max}`);
  });

  it.each(BOUNDS.filter((b) => b.belowMin))(
    "$path refuses one below its minimum, naming the path and the range",
    (bound) => {
      const error = refusal(bound.body(bound.min - 1));
      expect(error.code).toBe("invalid_argument");
      expect(error.path).toBe(bound.path);
      expect(error.problem).toContain(`${bound.min}–${bound.max}`);
    },
  );

  it("answers the reported 400,000 Mbit/s with the range and the kernel's reason", () => {
    const error = refusal(nic({ security_policy: { bandwidth_limit_mbps: 400_000 } }));
    expect(error.path).toBe(`${N}.security_policy.bandwidth_limit_mbps`);
    expect(error.problem).toBe(
      `400000 Mbit/s is above the maximum of 113214 Mbit/s; the accepted range is 0–113214 Mbit/s (the kernel's byte token bucket needs rate + burst ≤ 18446744073 bytes, with a burst of up to 4294967295 bytes)`,
    );
  });
});

describe("the ranges fit what the kernel holds after conversion", () => {
  it("derives the bandwidth maximum from the kernel's rate + burst bound and the burst cap", () => {
    expect(NFT_BYTE_RATE_PLUS_BURST_MAX).toBe(18_446_744_073);
    expect(LIMITS.bandwidthBytesPerSecond).toBe(14_151_776_778);
    expect(LIMITS.bandwidthMbps).toBe(113_214);
    expect(LIMITS.bandwidthMbps * BYTES_PER_MBIT).toBeLessThanOrEqual(
      LIMITS.bandwidthBytesPerSecond,
    );
    expect((LIMITS.bandwidthMbps + 1) * BYTES_PER_MBIT).toBeGreaterThan(
      LIMITS.bandwidthBytesPerSecond,
    );
    // Tight: one byte more with the longest burst does not load.
    const longest = byteBurst(LIMITS.bandwidthBytesPerSecond, LIMITS.burstDurationMs);
    expect(longest).toBe(NFT_U32_MAX);
    expect(byteLimitFits(LIMITS.bandwidthBytesPerSecond, longest)).toBe(true);
    expect(byteLimitFits(LIMITS.bandwidthBytesPerSecond + 1, longest)).toBe(false);
  });

  it("keeps every byte burst within 64 KiB and 32 bits, and every accepted rate loadable", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constantFrom(1, LIMITS.bandwidthBytesPerSecond),
          fc.integer({ min: 1, max: LIMITS.bandwidthBytesPerSecond }),
        ),
        fc.oneof(
          fc.constantFrom(0, 1, LIMITS.burstDurationMs),
          fc.integer({ min: 0, max: LIMITS.burstDurationMs }),
        ),
        (rate, durationMs) => {
          const burst = byteBurst(rate, durationMs);
          expect(burst).toBeGreaterThanOrEqual(65_536);
          expect(burst).toBeLessThanOrEqual(BYTE_BURST_MAX);
          expect(byteLimitFits(rate, burst)).toBe(true);
        },
      ),
    );
  });

  it("keeps packet limits loadable at every extreme (per second and per minute)", () => {
    const perSecond: [number, number][] = [
      [1, 1],
      [1, LIMITS.burstPackets],
      [LIMITS.ppsPerVm, LIMITS.burstPackets],
      [LIMITS.ppsPerVm, packetBurst(LIMITS.ppsPerVm)],
      [LIMITS.ndPps, packetBurst(LIMITS.ndPps)],
    ];
    for (const [rate, burst] of perSecond)
      expect(packetLimitFits(rate, burst, "second")).toBe(true);
    expect(packetLimitFits(1, packetBurst(1), "minute")).toBe(true);
    expect(packetLimitFits(LIMITS.raPerMinute, packetBurst(LIMITS.raPerMinute), "minute")).toBe(
      true,
    );
    // What the kernel refuses, for the record: a zero burst, 33 bits, a per-minute overflow.
    expect(packetLimitFits(1, 0, "second")).toBe(false);
    expect(packetLimitFits(1, NFT_U32_MAX + 1, "second")).toBe(false);
    expect(packetLimitFits(1, 307_445_734, "minute")).toBe(true);
    expect(packetLimitFits(1, 307_445_735, "minute")).toBe(false);
    // The largest accepted rate is enforced exactly (10 ns a packet).
    expect(enforcedPacketRate(LIMITS.ppsPerVm)).toBe(LIMITS.ppsPerVm);
  });

  it("keeps connection counts and MTUs within the kernel's fields", () => {
    expect(LIMITS.connectionsPerVm).toBeLessThanOrEqual(NFT_U32_MAX);
    expect(LIMITS.mtuMax).toBe(TAP_MTU_MAX);
  });
});

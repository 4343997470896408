import { describe, expect, it } from "vitest";
import { resolvePolicy } from "../policy/resolve-policy.js";
import { DEFAULT_POLICY } from "../policy/security-profiles.js";
import {
  attachLines,
  attachOp,
  detachOp,
  dropDeleteOp,
  GUARD_FLAGS,
  guardCounters,
  guardSetsOf,
  mergeCounters,
  parseGuardDrops,
  portGuardOf,
  settingsDeleteOp,
  settingsUpdateOp,
} from "./port-guard.js";

describe("portGuardOf", () => {
  it("gives no guard when neither max_chain_length nor an RA option filter is on", () => {
    expect(portGuardOf(DEFAULT_POLICY)).toBeUndefined();
    expect(portGuardOf(resolvePolicy({ profile: "LOW" }).policy)).toBeUndefined();
  });

  it("carries each block_config flag as its bit and the chain limit as is (HIGH: all four, 3)", () => {
    expect(portGuardOf(resolvePolicy({ profile: "HIGH" }).policy)).toEqual({
      flags: GUARD_FLAGS.prefixInfo | GUARD_FLAGS.mtu | GUARD_FLAGS.routeInfo | GUARD_FLAGS.rdnss,
      maxChainLength: 3,
    });
    const rdnss = resolvePolicy({
      profile: "LOW",
      request: { raGuard: { blockConfig: { blockRdnss: true } } },
    }).policy;
    expect(portGuardOf(rdnss)).toEqual({ flags: 8, maxChainLength: 0 });
  });
});

describe("guard-ports and tc lines", () => {
  it("writes the settings key as a little-endian u32 and the value as struct port_settings", () => {
    expect(
      settingsUpdateOp("/sys/fs/bpf/m/settings", 0x0102, { flags: 9, maxChainLength: 3 }),
    ).toBe("update /sys/fs/bpf/m/settings 02010000 09030000");
    expect(settingsDeleteOp("/p/settings", 7)).toBe("delete /p/settings 07000000");
    expect(dropDeleteOp("/p/drops", 0x1234, 2)).toBe("delete /p/drops 3412000002000000");
  });

  it("attaches from_vm at ingress and to_vm at egress of the host-side port", () => {
    expect(attachOp(42, "/sys/fs/bpf/metald/x")).toBe(
      "attach 42 /sys/fs/bpf/metald/x/from_vm /sys/fs/bpf/metald/x/to_vm",
    );
    expect(detachOp(42)).toBe("detach 42");
    expect(attachLines("tapabc", "/sys/fs/bpf/metald/x")).toEqual([
      "qdisc replace dev tapabc clsact",
      "filter replace dev tapabc ingress pref 1 handle 1 bpf direct-action pinned /sys/fs/bpf/metald/x/from_vm",
      "filter replace dev tapabc egress pref 1 handle 1 bpf direct-action pinned /sys/fs/bpf/metald/x/to_vm",
    ]);
  });
});

describe("drop counters", () => {
  const dump = JSON.stringify([
    {
      key: ["0x03"],
      value: ["0x01"],
      formatted: { key: { ifindex: 3, reason: 1 }, value: { packets: 4, bytes: 400 } },
    },
    {
      key: ["0x03"],
      value: ["0x01"],
      formatted: { key: { ifindex: 3, reason: 5 }, value: { packets: 1, bytes: 110 } },
    },
    {
      key: ["0x09"],
      value: ["0x01"],
      formatted: { key: { ifindex: 9, reason: 0 }, value: { packets: 2, bytes: 200 } },
    },
  ]);

  it("names each reason's counter per port, leaving out ports it does not know", () => {
    const counters = guardCounters(parseGuardDrops(dump), (i) => (i === 3 ? "tap0" : undefined));
    expect(counters).toEqual(
      new Map([
        [
          "tap0",
          {
            eh_chain_in: { packets: 4, bytes: 400 },
            ra_opt_rdnss_in: { packets: 1, bytes: 110 },
          },
        ],
      ]),
    );
    expect(parseGuardDrops("")).toEqual([]);
  });

  it("adds the guard's counters to a port's nftables counters", () => {
    const nft = new Map([["tap0", { source_guard: { packets: 1, bytes: 1 } }]]);
    const guard = new Map([["tap0", { eh_chain: { packets: 2, bytes: 2 } }]]);
    expect(mergeCounters(nft, guard).get("tap0")).toEqual({
      source_guard: { packets: 1, bytes: 1 },
      eh_chain: { packets: 2, bytes: 2 },
    });
    expect(mergeCounters(nft, new Map())).toBe(nft);
  });

  it("lists the counters a port's settings give it", () => {
    expect(guardSetsOf(undefined)).toEqual([]);
    expect(guardSetsOf({ flags: 0, maxChainLength: 2 })).toEqual(["eh_chain", "eh_chain_in"]);
    expect(guardSetsOf({ flags: GUARD_FLAGS.mtu, maxChainLength: 0 })).toEqual([
      "ra_opt_mtu_in",
      "ra_opt_unverifiable_in",
    ]);
  });
});

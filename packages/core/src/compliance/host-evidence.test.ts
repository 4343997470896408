import { describe, expect, it } from "vitest";
import { gapReason, type HostEvidence } from "./host-evidence.js";

const host: HostEvidence = { packetFiltering: true, unverifiedReason: "", bridgeVlans: false };

describe("gapReason", () => {
  it("counts block_config and max_chain_length as gaps where the eBPF port guard does not load", () => {
    expect(gapReason("ra_block_config", host)).toMatch(/cannot load the eBPF port guard/);
    expect(gapReason("eh_max_chain_length", { ...host, portGuard: false })).toMatch(
      /max_chain_length is not enforced/,
    );
  });

  it("counts neither as a gap where the guard loads", () => {
    expect(gapReason("ra_block_config", { ...host, portGuard: true })).toBeUndefined();
    expect(gapReason("eh_max_chain_length", { ...host, portGuard: true })).toBeUndefined();
  });
});

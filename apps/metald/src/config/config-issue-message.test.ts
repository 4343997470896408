import { describe, expect, it } from "vitest";
import { closestKey, knownKeysAt, unknownKeyMessage } from "./config-issue-message.js";

describe("unknown key hints", () => {
  it("suggest the key a typo most likely meant", () => {
    expect(closestKey("max_pps_per_mv", ["max_pps_per_vm", "max_bandwidth_per_vm"])).toBe(
      "max_pps_per_vm",
    );
    expect(closestKey("Enabled", ["enabled", "endpoint"])).toBe("enabled");
  });

  it("suggest nothing for a key unlike any known one", () => {
    expect(closestKey("firewall", ["enabled", "security_profile"])).toBeUndefined();
  });

  it("know the keys of tenant entries inside customer_configs", () => {
    const path = ["metald", "network", "ipv6", "customer_configs", "acme"];
    expect(knownKeysAt(path)).toEqual(expect.arrayContaining(["tier", "prefix", "isolation"]));
    expect(unknownKeyMessage(path, "isolaton")).toBe(
      'unknown key "isolaton"; did you mean "isolation"?',
    );
  });

  it("list the allowed keys of a small mapping when nothing is close", () => {
    expect(unknownKeyMessage(["metald", "network"], "ipv4_and_more")).toBe(
      'unknown key "ipv4_and_more" (allowed: ipv6)',
    );
  });
});

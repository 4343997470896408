// The bridge table's fast path: a frame whose IPv6 header is followed at once by TCP or UDP
// skips the header controls. That is only sound while every skipped rule needs an extension
// header, ICMPv6 or ESP, which such a frame cannot carry; these tests hold new rules to it.
import { describe, expect, it } from "vitest";
import { renderBaseTable } from "./ruleset-table.js";

const bridge = renderBaseTable().split("table inet")[0] ?? "";

function chain(name: string): string[] {
  const start = bridge.indexOf(`  chain ${name} {`);
  const end = bridge.indexOf("\n  }", start);
  return bridge
    .slice(start, end)
    .split("\n")
    .slice(1)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
}

/** Matches a plain TCP or UDP packet (no extension header) can never satisfy. */
const NEEDS_HEADERS =
  /^(exthdr \w+ exists|icmpv6 type|ip6 saddr :: icmpv6 type|rt type 0|meta l4proto esp)/;

describe("plain TCP and UDP fast path", () => {
  it("from a VM: after quarantine and the tenant mark, skips only rules that need a header such a packet lacks", () => {
    const rules = chain("from_vm");
    const fast = rules.indexOf("ip6 nexthdr { tcp, udp } goto source_from_vm");
    expect(fast).toBe(2);
    expect(rules[0]).toMatch(/^iifname @quarantine /);
    expect(rules[1]).toBe("meta mark set iifname map @port_tenant");
    const skipped = rules.slice(fast + 1, -1);
    expect(skipped.length).toBeGreaterThan(10);
    for (const rule of skipped) expect(rule).toMatch(NEEDS_HEADERS);
    expect(rules.at(-1)).toBe("goto source_from_vm");
  });

  it("from a VM: DHCPv6 server messages, rate limits and the source guard apply on both paths", () => {
    const rules = chain("source_from_vm");
    expect(rules[0]).toMatch(/^udp sport 547 iifname @dhcp_guard /);
    expect(rules).toContain("jump rate_limits");
    expect(rules.at(-2)).toBe("iifname . ip6 saddr @vm_sources return");
    expect(rules.at(-1)).toMatch(/^iifname @source_guard /);
  });

  it("to a VM: quarantine and the tenant check come first, then only rules that need a header", () => {
    const rules = chain("to_vm");
    const fast = rules.indexOf("ip6 nexthdr { tcp, udp } return");
    expect(rules[0]).toMatch(/^oifname @quarantine_in /);
    expect(rules[1]).toBe("meta mark != 0 jump tenant_check");
    expect(fast).toBe(2);
    const skipped = rules.slice(fast + 1);
    expect(skipped.length).toBeGreaterThan(5);
    for (const rule of skipped) expect(rule).toMatch(NEEDS_HEADERS);
  });

  it("before the bridge: walks the header chain for fragments only when the packet can have one", () => {
    expect(chain("prerouting")[1]).toMatch(
      /^ip6 nexthdr != \{ tcp, udp \} exthdr frag exists ip6 daddr @eh_frag_to /,
    );
  });
});

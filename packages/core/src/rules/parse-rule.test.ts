import { describe, expect, it } from "vitest";
import { parseRule, RuleSyntaxError } from "./parse-rule.js";

describe("the rule language", () => {
  it("parses the examples guide's rules", () => {
    expect(parseRule("allow tcp from 2600:BEEF:1000::/64 to any port 22")).toMatchObject({
      action: "accept",
      protocol: "tcp",
      source: { kind: "prefix", prefix: "2600:beef:1000::/64" },
      destination: { kind: "any" },
      destinationPorts: [{ from: 22, to: 22 }],
    });
    expect(
      parseRule(
        "allow icmpv6 type destination-unreachable,packet-too-big,time-exceeded from any to any",
      ),
    ).toMatchObject({
      protocol: "icmpv6",
      icmpTypes: [1, 2, 3],
    });
    expect(parseRule("deny all from any to any")).toMatchObject({
      action: "drop",
      protocol: "all",
    });
    expect(parseRule("allow tcp from any to any port 53, 80,443")).toMatchObject({
      destinationPorts: [
        { from: 53, to: 53 },
        { from: 80, to: 80 },
        { from: 443, to: 443 },
      ],
    });
    expect(parseRule("allow udp from 2001:db8::5 port 1000-2000 to any").sourcePorts).toEqual([
      { from: 1000, to: 2000 },
    ]);
    expect(parseRule("allow udp from 2001:db8::5 to any").source).toEqual({
      kind: "prefix",
      prefix: "2001:db8::5/128",
    });
  });

  it.each([
    ["permit tcp form any to any", 12, '"from"', '"form"'],
    ["allow sctp from any to any", 7, "a protocol (tcp, udp, icmpv6 or all)", '"sctp"'],
    ["allow tcp from any to any port 0", 32, "a port number or range (1–65535)", '"0"'],
    [
      "allow tcp from any to any port 80,",
      35,
      "a port number or range (1–65535)",
      "the end of the rule",
    ],
    ["allow icmpv6 type ping from any to any", 19, "an ICMPv6 type name", '"ping"'],
    [
      "allow udp from 2001:db8:zz::/64 to any",
      16,
      '"any" or an IPv6 address or prefix',
      '"2001:db8:zz::/64"',
    ],
    ["allow all from any to any port 22", 27, '"to" or the end of the rule', '"port"'],
    ["allow tcp from any", 19, '"to"', "the end of the rule"],
    ["allow tcp from any to any extra", 27, '"port" or the end of the rule', '"extra"'],
    ["", 1, "an action (allow or deny)", "the end of the rule"],
  ])("%j fails at column %i", (text, column, expected, found) => {
    try {
      parseRule(text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RuleSyntaxError);
      const e = error as RuleSyntaxError;
      expect({ column: e.column, found: e.found }).toEqual({ column, found });
      expect(e.expected.startsWith(expected)).toBe(true);
    }
  });
});

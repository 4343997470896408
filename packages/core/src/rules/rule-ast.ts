// The parsed form of one rule of the rule language ("allow tcp from any to any port 80,443").

export type RuleAction = "accept" | "drop";
export type RuleProtocol = "tcp" | "udp" | "icmpv6" | "all";

/** "any", or a canonical IPv6 prefix ("2001:db8::/64"; a bare address is a /128). */
export type RuleEndpoint = { kind: "any" } | { kind: "prefix"; prefix: string };

export interface PortRange {
  from: number;
  to: number;
}

export interface Rule {
  action: RuleAction;
  protocol: RuleProtocol;
  /** ICMPv6 type numbers; empty: every type. */
  icmpTypes: number[];
  source: RuleEndpoint;
  sourcePorts: PortRange[];
  destination: RuleEndpoint;
  destinationPorts: PortRange[];
  /** The rule as written, for messages and listings. */
  text: string;
}

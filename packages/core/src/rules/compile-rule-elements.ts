// A VM's rule lists as elements of the inet table's keyed sets. Elements express a list that
// is a union of allows closed by "deny all from any to any" (an allow-list), or a union of
// denies optionally closed by "allow all from any to any" (a deny-list); first-match order
// inside such a list does not matter. Lists that interleave allows and denies are refused at
// validation (`ruleListShape`). Rules are keyed by the VM's own addresses, which the source
// guard makes trustworthy: the VM side is the source for egress, the destination for ingress.
import { formatIpv6, networkOf, parseIpv6, parseIpv6Cidr } from "../ipam/ipv6-address.js";
import { parseRule } from "./parse-rule.js";
import type { PortRange, Rule, RuleEndpoint } from "./rule-ast.js";

export type RuleListShape =
  | { kind: "open" }
  | { kind: "allow-list"; rules: Rule[] }
  | { kind: "deny-list"; rules: Rule[] };

export class RuleOrderError extends Error {
  override name = "RuleOrderError";
}

function isCatchAll(rule: Rule): boolean {
  return (
    rule.protocol === "all" &&
    rule.source.kind === "any" &&
    rule.destination.kind === "any" &&
    rule.sourcePorts.length === 0 &&
    rule.destinationPorts.length === 0
  );
}

/** Classifies a rule list; throws RuleOrderError for interleaved allow and deny rules. */
export function ruleListShape(rules: Rule[]): RuleListShape {
  if (rules.length === 0) return { kind: "open" };
  const last = rules[rules.length - 1] as Rule;
  const closed = isCatchAll(last);
  const body = closed ? rules.slice(0, -1) : rules;
  const actions = new Set(body.map((r) => r.action));
  if (actions.size > 1) {
    throw new RuleOrderError(
      'mixes allow and deny rules; write allow rules closed by "deny all from any to any", or deny rules (optionally closed by "allow all from any to any")',
    );
  }
  const action = body[0]?.action ?? (last.action === "accept" ? "drop" : "accept");
  if (closed && last.action === action) {
    // e.g. allows closed by "allow all": every packet is allowed.
    return action === "accept" ? { kind: "open" } : { kind: "deny-list", rules: [last] };
  }
  if (action === "accept") return closed ? { kind: "allow-list", rules: body } : { kind: "open" };
  return { kind: "deny-list", rules: body };
}

function covers(endpoint: RuleEndpoint, address: string): boolean {
  if (endpoint.kind === "any") return true;
  const cidr = parseIpv6Cidr(endpoint.prefix);
  return networkOf(parseIpv6(address), cidr.prefixLength) === cidr.value;
}

// One dimension of an element: a value range (ports, ICMPv6 types, protocols) or a prefix.
type Dimension =
  | { kind: "range"; from: number; to: number; text?: string }
  | { kind: "prefix"; value: bigint; length: number };

function prefixDimension(endpoint: RuleEndpoint): Dimension {
  if (endpoint.kind === "any") return { kind: "prefix", value: 0n, length: 0 };
  const cidr = parseIpv6Cidr(endpoint.prefix);
  return { kind: "prefix", value: cidr.value, length: cidr.prefixLength };
}

function portDimensions(ports: PortRange[]): Dimension[] {
  if (ports.length === 0) return [{ kind: "range", from: 0, to: 65535 }];
  return ports.map((p) => ({ kind: "range", from: p.from, to: p.to }));
}

function contains(outer: Dimension, inner: Dimension): boolean {
  if (outer.kind === "range" && inner.kind === "range")
    return outer.from <= inner.from && inner.to <= outer.to;
  if (outer.kind === "prefix" && inner.kind === "prefix") {
    return outer.length <= inner.length && networkOf(inner.value, outer.length) === outer.value;
  }
  return false;
}

function renderDimension(d: Dimension): string {
  if (d.kind === "prefix") return `${formatIpv6(d.value)}/${d.length}`;
  if (d.text) return d.text;
  return d.from === d.to ? String(d.from) : `${d.from}-${d.to}`;
}

// The kernel refuses an interval element that an element already in the set covers, and a
// covered element adds nothing to a union: drop every element another one covers.
function withoutCovered(boxes: Dimension[][]): Dimension[][] {
  const kept: Dimension[][] = [];
  boxes.forEach((box, i) => {
    const covered = boxes.some(
      (other, j) =>
        j !== i &&
        other.every((d, k) => contains(d, box[k] as Dimension)) &&
        (j < i || !box.every((d, k) => contains(d, other[k] as Dimension))),
    );
    if (!covered) kept.push(box);
  });
  return kept;
}

export type Direction = "egress" | "ingress";

export interface RuleSetElements {
  l4: string[];
  icmp: string[];
  any: string[];
}

const PROTOCOL_NUMBERS = { tcp: 6, udp: 17 } as const;

/**
 * Elements for one direction and one VM address, the VM address first. Egress keys:
 * proto . sport . daddr . dport / type . daddr / daddr. Ingress keys: proto . saddr . sport .
 * dport / type . saddr / saddr.
 */
export function ruleElements(
  rules: Rule[],
  direction: Direction,
  address: string,
): RuleSetElements {
  const l4: Dimension[][] = [];
  const icmp: Dimension[][] = [];
  const any: Dimension[][] = [];
  for (const rule of rules) {
    const own = direction === "egress" ? rule.source : rule.destination;
    if (!covers(own, address)) continue;
    const other = prefixDimension(direction === "egress" ? rule.destination : rule.source);
    if (rule.protocol === "tcp" || rule.protocol === "udp") {
      const n = PROTOCOL_NUMBERS[rule.protocol];
      const proto: Dimension = { kind: "range", from: n, to: n, text: rule.protocol };
      for (const sport of portDimensions(rule.sourcePorts)) {
        for (const dport of portDimensions(rule.destinationPorts)) {
          l4.push(
            direction === "egress" ? [proto, sport, other, dport] : [proto, other, sport, dport],
          );
        }
      }
    } else if (rule.protocol === "icmpv6") {
      const types: Dimension[] =
        rule.icmpTypes.length === 0
          ? [{ kind: "range", from: 0, to: 255 }]
          : rule.icmpTypes.map((t) => ({ kind: "range", from: t, to: t }));
      for (const type of types) icmp.push([type, other]);
    } else {
      any.push([other]);
    }
  }
  const render = (boxes: Dimension[][]) => [
    ...new Set(
      withoutCovered(boxes).map((box) => [address, ...box.map(renderDimension)].join(" . ")),
    ),
  ];
  return { l4: render(l4), icmp: render(icmp), any: render(any) };
}

export function parseRuleList(texts: string[]): Rule[] {
  return texts.map((t) => parseRule(t));
}

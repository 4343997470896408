// Parser for the rule language:
//   rule     = action protocol [ "type" name {"," name} ] "from" endpoint [ports] "to" endpoint [ports]
//   action   = "allow" | "accept" | "permit" | "deny" | "drop" | "reject"
//   protocol = "tcp" | "udp" | "icmpv6" | "all" | "any" | "ip"
//   endpoint = "any" | IPv6 address | IPv6 prefix
//   ports    = "port" port {"," port}, port = N | N-M (1–65535), tcp and udp only
// Errors give the column and what was expected there.
import { formatCidr, Ipv6SyntaxError, networkOf, parseIpv6Cidr } from "../ipam/ipv6-address.js";
import { ICMPV6_TYPES } from "./icmpv6-types.js";
import type { PortRange, Rule, RuleAction, RuleEndpoint, RuleProtocol } from "./rule-ast.js";
import { type Token, tokenizeRule } from "./rule-lexer.js";

export class RuleSyntaxError extends Error {
  override name = "RuleSyntaxError";
  constructor(
    readonly column: number,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`at column ${column}: expected ${expected}, found ${found}`);
  }
}

const ACTIONS: Record<string, RuleAction> = {
  allow: "accept",
  accept: "accept",
  permit: "accept",
  deny: "drop",
  drop: "drop",
  reject: "drop",
};
const PROTOCOLS: Record<string, RuleProtocol> = {
  tcp: "tcp",
  udp: "udp",
  icmpv6: "icmpv6",
  all: "all",
  any: "all",
  ip: "all",
};

function shown(token: Token): string {
  if (token.kind === "word") return JSON.stringify(token.text);
  return token.kind === "comma" ? '","' : "the end of the rule";
}

export function parseRule(text: string): Rule {
  const tokens = tokenizeRule(text);
  let pos = 0;
  const peek = (): Token => tokens[pos] as Token;
  const fail = (expected: string): never => {
    const token = peek();
    throw new RuleSyntaxError(token.column, expected, shown(token));
  };
  const word = (expected: string): { text: string; column: number } => {
    const token = peek();
    if (token.kind !== "word") return fail(expected);
    pos++;
    return { text: token.text, column: token.column };
  };
  const keyword = (name: string): void => {
    const token = peek();
    if (token.kind !== "word" || token.text.toLowerCase() !== name) fail(`"${name}"`);
    pos++;
  };
  const isKeyword = (name: string): boolean => {
    const token = peek();
    return token.kind === "word" && token.text.toLowerCase() === name;
  };
  const list = <T>(item: () => T): T[] => {
    const items = [item()];
    while (peek().kind === "comma") {
      pos++;
      items.push(item());
    }
    return items;
  };

  const actionWord = word("an action (allow or deny)");
  const action = ACTIONS[actionWord.text.toLowerCase()];
  if (!action)
    throw new RuleSyntaxError(
      actionWord.column,
      "an action (allow or deny)",
      JSON.stringify(actionWord.text),
    );
  const protocolWord = word("a protocol (tcp, udp, icmpv6 or all)");
  const protocol = PROTOCOLS[protocolWord.text.toLowerCase()];
  if (!protocol) {
    throw new RuleSyntaxError(
      protocolWord.column,
      "a protocol (tcp, udp, icmpv6 or all)",
      JSON.stringify(protocolWord.text),
    );
  }

  let icmpTypes: number[] = [];
  if (isKeyword("type")) {
    if (protocol !== "icmpv6") fail('"from" ("type" applies to icmpv6 only)');
    pos++;
    icmpTypes = list(() => {
      const name = word("an ICMPv6 type name");
      const type = ICMPV6_TYPES[name.text.toLowerCase()];
      if (type === undefined) {
        throw new RuleSyntaxError(
          name.column,
          `an ICMPv6 type name (${Object.keys(ICMPV6_TYPES).join(", ")})`,
          JSON.stringify(name.text),
        );
      }
      return type;
    });
  }

  const endpoint = (): RuleEndpoint => {
    const token = word('"any" or an IPv6 address or prefix');
    if (token.text.toLowerCase() === "any") return { kind: "any" };
    try {
      const cidr = parseIpv6Cidr(token.text, 128);
      return {
        kind: "prefix",
        prefix: formatCidr(networkOf(cidr.value, cidr.prefixLength), cidr.prefixLength),
      };
    } catch (error) {
      if (error instanceof Ipv6SyntaxError) {
        throw new RuleSyntaxError(
          token.column,
          `"any" or an IPv6 address or prefix (${error.message})`,
          JSON.stringify(token.text),
        );
      }
      throw error;
    }
  };
  const ports = (): PortRange[] => {
    if (!isKeyword("port")) return [];
    if (protocol !== "tcp" && protocol !== "udp")
      fail('"to" or the end of the rule ("port" applies to tcp and udp only)');
    pos++;
    return list(() => {
      const token = word("a port number or range (1–65535)");
      const match = /^([0-9]{1,5})(?:-([0-9]{1,5}))?$/.exec(token.text);
      const from = Number(match?.[1]);
      const to = match?.[2] === undefined ? from : Number(match[2]);
      if (!match || from < 1 || to > 65535 || to < from) {
        throw new RuleSyntaxError(
          token.column,
          "a port number or range (1–65535)",
          JSON.stringify(token.text),
        );
      }
      return { from, to };
    });
  };

  keyword("from");
  const source = endpoint();
  const sourcePorts = ports();
  keyword("to");
  const destination = endpoint();
  const destinationPorts = ports();
  if (peek().kind !== "end")
    fail(
      protocol === "tcp" || protocol === "udp"
        ? '"port" or the end of the rule'
        : "the end of the rule",
    );
  return { action, protocol, icmpTypes, source, sourcePorts, destination, destinationPorts, text };
}

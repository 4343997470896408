import { describe, expect, it } from "vitest";
import { formatIpv6, Ipv6SyntaxError, parseIpv6, parseIpv6Cidr } from "./ipv6-address.js";

const canonical = (text: string) => formatIpv6(parseIpv6(text));

describe("IPv6 text form", () => {
  it.each([
    ["2001:DB8:1000:0:0:0:0:10", "2001:db8:1000::10"],
    ["2001:0db8::0001", "2001:db8::1"],
    ["::", "::"],
    ["::1", "::1"],
    ["fe80::bad:addr".replace("addr", "ad"), "fe80::bad:ad"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["::ffff:192.0.2.1", "::ffff:c000:201"],
    ["2600:BEEF:1000::1", "2600:beef:1000::1"],
  ])("canonicalizes %s as %s (RFC 5952)", (input, expected) => {
    expect(canonical(input)).toBe(expected);
  });

  it.each([
    ["2600:BEEF:1000:web::10", 'group "web" is not hexadecimal'],
    ["2001:db8:app:frontend::5", 'group "app" is not hexadecimal'],
    ["2001:db8:bad::actor", 'group "actor" is longer than 4 hex digits'],
    ["2001:db8::1::2", '"::" may appear only once'],
    ["2001:db8:1:2:3:4:5", "has 7 groups"],
    ["1:2:3:4:5:6:7:8:9", "has 9 groups"],
    ["", "empty address"],
    ["2001:db8:::1", "empty group"],
  ])("rejects %s: %s", (input, reason) => {
    expect(() => parseIpv6(input)).toThrow(Ipv6SyntaxError);
    expect(() => parseIpv6(input)).toThrow(reason);
  });

  it("parses prefix lengths 0–128 and rejects /129", () => {
    expect(parseIpv6Cidr("2001:db8::/32").prefixLength).toBe(32);
    expect(parseIpv6Cidr("::/0").prefixLength).toBe(0);
    expect(() => parseIpv6Cidr("2001:db8::/129")).toThrow('prefix length "/129" is not 0–128');
    expect(() => parseIpv6Cidr("2001:db8::/-1")).toThrow("is not 0–128");
    expect(parseIpv6Cidr("2001:db8::5", 64).prefixLength).toBe(64);
  });
});

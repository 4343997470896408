import { describe, expect, it } from "vitest";
import { diffConfigs } from "./config-diff.js";

describe("diffConfigs", () => {
  it("finds nothing between equal configurations, whatever their key order", () => {
    expect(
      diffConfigs(
        { ipv6_security: { ra_guard: { enabled: true, mode: "block" } }, tenant_id: "acme" },
        { tenant_id: "acme", ipv6_security: { ra_guard: { mode: "block", enabled: true } } },
      ),
    ).toEqual([]);
  });

  it("names a changed leaf by its dotted path with both values", () => {
    expect(
      diffConfigs(
        { ipv6_security: { ra_guard: { enabled: false }, rate_limit_pps: 100 } },
        { ipv6_security: { ra_guard: { enabled: true }, rate_limit_pps: 100 } },
      ),
    ).toEqual([{ path: "ipv6_security.ra_guard.enabled", before: false, after: true }]);
  });

  it("reports added and removed values without the missing side", () => {
    expect(
      diffConfigs(
        { ipv6_security: { profile: "LOW" }, metadata: { owner: "a" } },
        { ipv6_security: { profile: "LOW", dhcpv6_guard: { enabled: true } } },
      ),
    ).toEqual([
      { path: "ipv6_security.dhcpv6_guard.enabled", after: true },
      { path: "metadata.owner", before: "a" },
    ]);
  });

  it("compares lists whole at the list's path", () => {
    const changes = diffConfigs(
      { addresses: ["2001:db8::1/64", "2001:db8::2/64"] },
      { addresses: ["2001:db8::9/64", "2001:db8::1/64", "2001:db8::2/64"] },
    );
    expect(changes).toEqual([
      {
        path: "addresses",
        before: ["2001:db8::1/64", "2001:db8::2/64"],
        after: ["2001:db8::9/64", "2001:db8::1/64", "2001:db8::2/64"],
      },
    ]);
  });

  it("reports a value that changes kind (object to scalar) at its path", () => {
    expect(diffConfigs({ a: { b: 1 } }, { a: 2 })).toEqual([
      { path: "a", before: { b: 1 }, after: 2 },
    ]);
  });

  it("treats null and undefined configurations as empty", () => {
    expect(diffConfigs(undefined, { a: 1 })).toEqual([{ path: "a", after: 1 }]);
    expect(diffConfigs({ a: 1 }, null)).toEqual([{ path: "a", before: 1 }]);
  });

  it("returns changes sorted by path", () => {
    const paths = diffConfigs({ z: 1, a: { y: 1, b: 1 } }, { z: 2, a: { y: 2, b: 2 } }).map(
      (c) => c.path,
    );
    expect(paths).toEqual(["a.b", "a.y", "z"]);
  });
});

import fc from "fast-check";
import { expect, it } from "vitest";
import {
  addressAt,
  allocatedPrefixLength,
  firstFreeOffset,
  parsePoolPrefix,
  poolContains,
  utilization,
} from "./address-pool.js";
import { parseIpv6 } from "./ipv6-address.js";

it("counts a /48 without enumerating it and hands out addresses by offset", () => {
  const pool = parsePoolPrefix("2600:BEEF:1000::/48");
  expect(pool.capacity).toBe((1n << 80n) - 1n);
  expect(addressAt(pool, 1n)).toBe("2600:beef:1000::1");
  expect(addressAt(pool, 0x1_0000n)).toBe("2600:beef:1000::1:0");
  expect(addressAt(pool, pool.capacity)).toBe("2600:beef:1000:ffff:ffff:ffff:ffff:ffff");
  expect(allocatedPrefixLength(pool)).toBe(64);
  expect(utilization(pool, 1_000_000)).toBe(0);
});

it("refuses prefixes with host bits, and lengths outside 16–126", () => {
  expect(() => parsePoolPrefix("2001:db8::1/64")).toThrow("host bits");
  expect(() => parsePoolPrefix("2001:db8::/127")).toThrow("/127");
  expect(() => parsePoolPrefix("2001:db8::/8")).toThrow("/8");
});

it("every offset's address lies in the pool and maps back to the offset", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 16, max: 126 }),
      fc.bigInt({ min: 1n, max: (1n << 112n) - 1n }),
      (len, raw) => {
        const pool = parsePoolPrefix(`2001:db8::/${Math.max(len, 32)}`);
        const offset = 1n + (raw % pool.capacity);
        const address = parseIpv6(addressAt(pool, offset));
        expect(poolContains(pool, address)).toBe(true);
        expect(address - pool.network).toBe(offset);
      },
    ),
  );
});

it("finds the lowest free offset of a small pool, or none when it is full", () => {
  const pool = parsePoolPrefix("2001:db8::/126");
  expect(pool.capacity).toBe(3n);
  expect(firstFreeOffset(pool, new Set([1n, 3n]))).toBe(2n);
  expect(firstFreeOffset(pool, new Set([1n, 2n, 3n]))).toBeUndefined();
  expect(utilization(pool, 3)).toBe(1);
});

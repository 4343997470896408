// Address pools are fleet-wide: a pool one host creates is drawn from by another host at once
// (its allocator's pool cache neither answers "no pool" nor falls back to "default" without
// reading again), and two hosts drawing from one pool at once never get the same address.
import { createPoolRepository } from "@metald/db";
import { TEST_DATABASES, type TestDatabase } from "@metald/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAddressAllocator } from "../ipam/address-allocator.js";

describe.each(Object.entries(TEST_DATABASES))("pools across hosts on %s", (_name, open) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await open();
  }, 60_000);
  afterAll(async () => {
    await t.drop();
  });

  it("finds a pool another host created since its cache was filled, and draws distinct addresses", async () => {
    const hostA = createAddressAllocator(createPoolRepository(t.db));
    const hostB = createAddressAllocator(createPoolRepository(t.db));
    // Host B fills its cache while the tenant has no pool.
    expect(await hostB.allocate("fleet-t", 1)).toBeUndefined();
    await createPoolRepository(t.db).create({
      id: "fleet-t-pool",
      prefix: "2001:db8:7e::/120",
      description: "",
      tenantId: "fleet-t",
      rateLimit: 0,
    });
    hostA.invalidate();
    const drawn = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? hostA : hostB).allocate("fleet-t", 1)),
    );
    const addresses = drawn.map((d) => d?.[0]?.address);
    expect(addresses.every((a) => a?.startsWith("2001:db8:7e::"))).toBe(true);
    expect(new Set(addresses).size).toBe(40);
  });

  it("draws from a tenant's pool another host created while its cache held only the default pool", async () => {
    const pools = createPoolRepository(t.db);
    await pools.create({
      id: "default",
      prefix: "2001:db8:de::/64",
      description: "",
      tenantId: null,
      rateLimit: 0,
    });
    const hostB = createAddressAllocator(createPoolRepository(t.db));
    // Host B's cache is filled with the default pool only.
    expect((await hostB.allocate("late-t", 1))?.[0]?.poolId).toBe("default");
    await pools.create({
      id: "late-t-pool",
      prefix: "2001:db8:7f::/120",
      description: "",
      tenantId: "late-t",
      rateLimit: 0,
    });
    const [next] = (await hostB.allocate("late-t", 1)) ?? [];
    expect(next).toMatchObject({ poolId: "late-t-pool" });
    expect(next?.address.startsWith("2001:db8:7f::")).toBe(true);
  });
});

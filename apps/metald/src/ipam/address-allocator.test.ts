import { createPoolRepository } from "@metald/db";
import { TEST_DATABASES, type TestDatabase } from "@metald/db/testing";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { createAddressAllocator, PoolExhaustedError } from "./address-allocator.js";

describe.each(Object.entries(TEST_DATABASES))("address allocation on %s", (_name, open) => {
  const opened: TestDatabase[] = [];
  afterAll(async () => {
    for (const o of opened) await o.drop();
  });

  it("under concurrent requests, hands out every address of a pool once and only then reports exhaustion", async () => {
    const t = await open();
    opened.push(t);
    const pools = createPoolRepository(t.db);
    let serial = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 122, max: 126 }),
        fc.integer({ min: 1, max: 80 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 4 }),
        async (prefixLength, requests, taken) => {
          const id = `p${serial++}`;
          const prefix = `2001:db8:${serial.toString(16)}::/${prefixLength}`;
          const capacity = 2 ** (128 - prefixLength) - 1;
          await pools.create({ id, prefix, description: "", tenantId: `t-${id}`, rateLimit: 0 });
          // Addresses given explicitly to VMs beforehand: allocation must step around them.
          const explicit = taken.filter((o) => o <= capacity);
          for (const o of explicit)
            await t.db.query(
              "INSERT INTO ipv6_allocations (address, prefix_length, pool_id, interface_id, allocated_at) VALUES ($1, 64, $2, 'eth0', now())",
              [`2001:db8:${serial.toString(16)}::${o.toString(16)}`, id],
            );
          const allocator = createAddressAllocator(pools);
          // What CreateVm does: draw, store (the primary key refuses a taken address), retry.
          const claim = async (): Promise<string | "exhausted"> => {
            for (let attempt = 0; attempt < 100; attempt++) {
              try {
                const [a] = (await allocator.allocate(`t-${id}`, 1)) ?? [];
                if (!a) throw new Error("no pool");
                const { affectedRows } = await t.db.query(
                  "INSERT INTO ipv6_allocations (address, prefix_length, pool_id, interface_id, allocated_at) VALUES ($1, $2, $3, 'eth0', now()) ON CONFLICT DO NOTHING",
                  [a.address, a.prefixLength, a.poolId],
                );
                if (affectedRows === 1) return a.address;
              } catch (error) {
                if (error instanceof PoolExhaustedError) return "exhausted";
                throw error;
              }
            }
            throw new Error("no progress");
          };
          const results = await Promise.all(Array.from({ length: requests }, claim));
          const got = results.filter((r) => r !== "exhausted");
          expect(new Set(got).size).toBe(got.length);
          expect(got.length).toBe(Math.min(requests, capacity - explicit.length));
          expect(results.length - got.length).toBe(
            Math.max(0, requests - (capacity - explicit.length)),
          );
        },
      ),
      { numRuns: 15 },
    );
  }, 120_000);
});

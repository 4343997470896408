// IPv6 address pools through the API, on both databases: CreateVm without addresses draws from
// the tenant's pool, else "default"; 64 concurrent CreateVm never get one address twice;
// exhaustion answers the guide's message; explicit addresses are checked against pools;
// leaked allocations are found and released; the guide's jq paths resolve.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "./harness/curl-like.js";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";

type PoolJson = {
  id: string;
  prefix: string;
  utilization: number;
  available_addresses: string;
  allocated: number;
};

describe.each(["pglite", "postgres"] as const)("IPv6 address pools on %s", (kind) => {
  let metald: MetaldProcess;
  const create = (config: Record<string, unknown>) =>
    postJson(`${metald.url}/vmprovisioner.v1.VmService/CreateVm`, { config });
  const addressOf = async (vmId: string) => {
    const res = await postJson(`${metald.url}/vmprovisioner.v1.VmService/GetVm`, { vm_id: vmId });
    return (res.body as { network: { ipv6?: { address: string } }[] }).network[0]?.ipv6?.address;
  };
  const pools = async () =>
    (await (await fetch(`${metald.url}/debug/ipv6/pools`)).json()) as PoolJson[];

  beforeAll(async () => {
    metald = await startMetald(kind, {
      env: { METALD_DEFAULT_POOL_PREFIX: "2600:BEEF:1000::/48" },
    });
  }, 60_000);

  afterAll(async () => {
    await metald?.destroy();
  });

  it("gives a VM without addresses one from the default pool, kept across updates", async () => {
    const res = await create({ tenant_id: "pool-a", network: [{ id: "eth0", ipv6: {} }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const vmId = (res.body as { vmId: string }).vmId;
    const address = await addressOf(vmId);
    expect(address).toMatch(/^2600:beef:1000::[0-9a-f]+\/64$/);
    const update = await postJson(
      `${metald.url}/vmprovisioner.v1.VmService/UpdateVmNetworkSecurity`,
      { vm_id: vmId, security: { ra_guard: { enabled: true } } },
    );
    expect(update.status, JSON.stringify(update.body)).toBe(200);
    expect(await addressOf(vmId)).toBe(address);
    const [pool] = (await pools()).filter((p) => p.id === "default");
    expect(pool).toMatchObject({ id: "default", prefix: "2600:beef:1000::/48", allocated: 1 });
    expect(pool?.available_addresses).toBe(((1n << 80n) - 2n).toString());
  });

  it("never hands out an address twice to 64 concurrent CreateVm", async () => {
    const results = await Promise.all(
      Array.from({ length: 64 }, () =>
        create({ tenant_id: "pool-burst", network: [{ id: "eth0", ipv6: {} }] }),
      ),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const addresses = await Promise.all(
      results.map((r) => addressOf((r.body as { vmId: string }).vmId)),
    );
    expect(new Set(addresses).size).toBe(64);
  });

  it("draws from the tenant's own pool, answers the guide's message when it is exhausted, and refuses another tenant's addresses", async () => {
    const made = await postJson(`${metald.url}/debug/ipv6/pools`, {
      id: "tiny",
      prefix: "2001:db8:77::/126",
      description: "three addresses",
      tenant_id: "pool-tiny",
      rate_limit: 1000,
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await create({ tenant_id: "pool-tiny", network: [{ id: "eth0", ipv6: {} }] });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      ids.push((r.body as { vmId: string }).vmId);
    }
    expect(await addressOf(ids[0] as string)).toBe("2001:db8:77::1/126");
    const full = await create({ tenant_id: "pool-tiny", network: [{ id: "eth0", ipv6: {} }] });
    expect(full.status).toBe(429);
    expect(full.body).toEqual({
      code: "resource_exhausted",
      message: "no available IPv6 addresses in pool 'tiny'",
    });
    const text = await (await fetch(metald.metricsUrl)).text();
    expect(text).toMatch(/^metald_ipv6_pool_utilization\{pool_id="tiny"\} 1$/m);
    // A freed address is found again once the offsets are used up.
    await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, { vm_id: ids[1] });
    const again = await create({ tenant_id: "pool-tiny", network: [{ id: "eth0", ipv6: {} }] });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(await addressOf((again.body as { vmId: string }).vmId)).toBe("2001:db8:77::2/126");
    // Another tenant may not take an address inside "tiny".
    const foreign = await create({
      tenant_id: "pool-other",
      network: [{ id: "eth0", ipv6: { address: "2001:db8:77::3/126" } }],
    });
    expect(foreign.status).toBe(400);
    expect((foreign.body as { message: string }).message).toContain(
      "config.network[0].ipv6.address",
    );
  });

  it("validates pool changes, and PUT changes the prefix as the guide does", async () => {
    const bad = await postJson(`${metald.url}/debug/ipv6/pools`, {
      id: "x",
      prefix: "2001:db8::1/64",
    });
    expect(bad.status).toBe(400);
    expect((bad.body as { message: string }).message).toMatch(/^prefix: .*host bits/);
    const dup = await postJson(`${metald.url}/debug/ipv6/pools`, {
      id: "tiny",
      prefix: "2001:db8:78::/64",
    });
    expect(dup.status).toBe(409);
    const put = await fetch(`${metald.url}/debug/ipv6/pools/tiny`, {
      method: "PUT",
      body: JSON.stringify({
        prefix: "2001:db8:79::/120",
        description: "Expanded pool for growth",
      }),
    });
    expect(put.status, await put.clone().text()).toBe(200);
    expect(((await put.json()) as PoolJson).prefix).toBe("2001:db8:79::/120");
    const r = await create({ tenant_id: "pool-tiny", network: [{ id: "eth0", ipv6: {} }] });
    expect(await addressOf((r.body as { vmId: string }).vmId)).toBe("2001:db8:79::1/120");
    expect(
      (await fetch(`${metald.url}/debug/ipv6/pools/nope`, { method: "PUT", body: "{}" })).status,
    ).toBe(404);
  });

  it("enforces a pool's rate_limit (allocations per hour)", async () => {
    await postJson(`${metald.url}/debug/ipv6/pools`, {
      id: "slow",
      prefix: "2001:db8:5105::/64",
      tenant_id: "pool-slow",
      rate_limit: 2,
    });
    const make = () => create({ tenant_id: "pool-slow", network: [{ id: "eth0", ipv6: {} }] });
    expect((await make()).status).toBe(200);
    expect((await make()).status).toBe(200);
    const third = await make();
    expect(third.status).toBe(429);
    expect((third.body as { message: string }).message).toBe(
      "pool 'slow' allows 2 allocations per hour; try again later",
    );
  });

  it("lists allocations with vm_id null for leaked ones, and cleans them up", async () => {
    // A leak: an allocation whose VM row is gone (as after a crash half-way through a create).
    const client = kind === "postgres" ? metald.env.DATABASE_URL : undefined;
    if (client) {
      const pg = await import("pg");
      const c = new pg.default.Client({ connectionString: client });
      await c.connect();
      await c.query(
        "INSERT INTO ipv6_allocations (address, prefix_length, pool_id, vm_id, interface_id, allocated_at) VALUES ('2600:beef:1000::dead', 64, 'default', NULL, 'eth0', now())",
      );
      await c.end();
    }
    const all = (await (await fetch(`${metald.url}/debug/ipv6/allocations`)).json()) as {
      address: string;
      vm_id: string | null;
    }[];
    expect(all.length).toBeGreaterThan(60);
    const leaked = all.filter((a) => a.vm_id === null).map((a) => a.address);
    if (client) expect(leaked).toEqual(["2600:beef:1000::dead"]);
    else expect(leaked).toEqual([]);
    const cleaned = await postJson(`${metald.url}/debug/ipv6/cleanup-allocations`, {});
    expect((cleaned.body as { released: string[] }).released).toEqual(leaked);
    const after = (await (await fetch(`${metald.url}/debug/ipv6/allocations`)).json()) as {
      vm_id: string | null;
    }[];
    expect(after.filter((a) => a.vm_id === null)).toEqual([]);
  });
});

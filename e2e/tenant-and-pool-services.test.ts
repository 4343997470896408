// TenantService, Ipv6PoolService and HostService through the real server with bearer tokens: an
// operator manages tenants and pools; a tenant token sees its own tenant, its own pools and the
// allocations of its own VMs, and another tenant's look exactly like ones that do not exist;
// changes are the operator's. The same repositories as /api/v1/customers and /debug/ipv6/pools.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import {
  HostService,
  Ipv6PoolService,
  PrincipalKind,
  TenantService,
  TenantTier,
  VmService,
} from "@metald/proto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";

const MAIN = fileURLToPath(new URL("../apps/metald/dist/main.js", import.meta.url));

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );

describe("tenant, pool and host services", () => {
  let metald: MetaldProcess;
  const tokens: Record<string, string> = {};

  const clientsFor = (who: "operator" | "acme" | "globex" | "auditor") => {
    const bearer: Interceptor = (next) => async (req) => {
      req.header.set("authorization", `Bearer ${tokens[who]}`);
      return next(req);
    };
    const transport = createConnectTransport({
      baseUrl: metald.url,
      httpVersion: "1.1",
      interceptors: [bearer],
    });
    return {
      tenants: createClient(TenantService, transport),
      pools: createClient(Ipv6PoolService, transport),
      vms: createClient(VmService, transport),
      host: createClient(HostService, transport),
    };
  };

  beforeAll(async () => {
    metald = await startMetald("postgres", { env: { METALD_AUTH: "required" } });
    for (const [name, args] of [
      ["operator", ["--role", "operator", "--name", "ops"]],
      ["acme", ["--role", "tenant", "--tenant", "acme"]],
      ["globex", ["--role", "tenant", "--tenant", "globex"]],
      ["auditor", ["--role", "auditor"]],
    ] as const) {
      const r = spawnSync(process.execPath, [MAIN, "token", "create", ...args], {
        env: { ...process.env, DATABASE_URL: metald.env.DATABASE_URL },
        encoding: "utf8",
      });
      expect(r.status, r.stderr).toBe(0);
      tokens[name] = r.stdout.trim();
    }
  }, 90_000);

  afterAll(async () => {
    await metald?.destroy();
  });

  it("lets an operator create, read, list and change tenants, with canonical prefixes", async () => {
    const { tenants } = clientsFor("operator");
    const { tenant } = await tenants.createTenant({
      tenant: {
        id: "acme",
        name: "Acme Corp",
        tier: TenantTier.PREMIUM,
        vlanId: 100,
        ipv6Prefix: "2001:DB8:A1:0::/48",
        bridgeName: "br-acme",
      },
    });
    expect(tenant).toMatchObject({
      id: "acme",
      name: "Acme Corp",
      tier: TenantTier.PREMIUM,
      vlanId: 100,
      ipv6Prefix: "2001:db8:a1::/48",
      bridgeName: "br-acme",
      vmCount: 0,
    });
    await tenants.createTenant({ tenant: { id: "globex" } });
    await tenants.createTenant({ tenant: { id: "initech", tier: TenantTier.BASIC } });
    expect((await tenants.listTenants({})).tenants.map((t) => t.id)).toEqual([
      "acme",
      "globex",
      "initech",
    ]);
    expect(
      (await tenants.listTenants({ tier: TenantTier.BASIC })).tenants.map((t) => t.id),
    ).toEqual(["initech"]);
    const updated = await tenants.updateTenant({
      tenant: { id: "initech", name: "Initech", tier: TenantTier.STANDARD, vlanId: 300 },
    });
    expect(updated.tenant).toMatchObject({ name: "Initech", tier: TenantTier.STANDARD });
    expect((await tenants.getTenant({ id: "initech" })).tenant?.vlanId).toBe(300);
    const rest = (await (
      await fetch(`${metald.url}/api/v1/customers/acme`, {
        headers: { authorization: `Bearer ${tokens.operator}` },
      })
    ).json()) as Record<string, unknown>;
    expect(rest).toMatchObject({ id: "acme", tier: "premium", vlan_id: 100, bridge: "br-acme" });
  });

  it("refuses bad tenant fields with the field's path, and a second tenant of the same id", async () => {
    const { tenants } = clientsFor("operator");
    const cases: [Parameters<typeof tenants.createTenant>[0], Code, string][] = [
      [
        { tenant: { id: "t1", vlanId: 5000 } },
        Code.InvalidArgument,
        "tenant.vlan_id: must be 1–4094",
      ],
      [
        { tenant: { id: "t1", ipv6Prefix: "2001:db8::zz/48" } },
        Code.InvalidArgument,
        "tenant.ipv6_prefix: ",
      ],
      [
        { tenant: { id: "t1", bridgeName: "br/../x" } },
        Code.InvalidArgument,
        "tenant.bridge_name: ",
      ],
      [{ tenant: { id: "bad id" } }, Code.InvalidArgument, "tenant.id: "],
      [{}, Code.InvalidArgument, "tenant: is required"],
      [{ tenant: { id: "acme" } }, Code.AlreadyExists, 'tenant.id: tenant "acme" exists'],
    ];
    for (const [request, code, message] of cases) {
      const error = await failure(tenants.createTenant(request));
      expect(error?.code, message).toBe(code);
      expect(error?.rawMessage.startsWith(message), error?.rawMessage).toBe(true);
    }
    const missing = await failure(tenants.updateTenant({ tenant: { id: "nobody" } }));
    expect(missing?.code).toBe(Code.NotFound);
  });

  it("shows a tenant token its own tenant only; another looks like one that does not exist", async () => {
    const { tenants } = clientsFor("acme");
    expect((await tenants.listTenants({})).tenants.map((t) => t.id)).toEqual(["acme"]);
    expect((await tenants.getTenant({ id: "acme" })).tenant?.name).toBe("Acme Corp");
    const other = await failure(tenants.getTenant({ id: "globex" }));
    const ghost = await failure(tenants.getTenant({ id: "nobody" }));
    expect(other?.code).toBe(Code.NotFound);
    expect(other?.rawMessage.replace("globex", "X")).toBe(ghost?.rawMessage.replace("nobody", "X"));
  });

  it("keeps tenant and pool changes for operators", async () => {
    for (const who of ["acme", "auditor"] as const) {
      const c = clientsFor(who);
      const attempts = [
        () => c.tenants.createTenant({ tenant: { id: "mine" } }),
        () => c.tenants.updateTenant({ tenant: { id: "acme" } }),
        () => c.tenants.deleteTenant({ id: "globex" }),
        () => c.pools.createPool({ pool: { id: "mine", prefix: "2001:db8:ff::/48" } }),
        () => c.pools.deletePool({ id: "default" }),
        () => c.pools.cleanupAllocations({}),
      ];
      for (const attempt of attempts)
        expect((await failure(attempt()))?.code, who).toBe(Code.PermissionDenied);
    }
  });

  it("manages pools; a tenant sees its own pools and its own VMs' allocations only", async () => {
    const operator = clientsFor("operator");
    const { pool } = await operator.pools.createPool({
      pool: { id: "acme-pool", prefix: "2001:DB8:A1::/48", tenantId: "acme", description: "acme" },
    });
    expect(pool).toMatchObject({
      id: "acme-pool",
      prefix: "2001:db8:a1::/48",
      tenantId: "acme",
      allocatedAddresses: 0n,
      availableAddresses: ((1n << 80n) - 1n).toString(),
    });
    await operator.pools.createPool({
      pool: { id: "globex-pool", prefix: "2001:db8:b2::/48", tenantId: "globex" },
    });
    const badPrefix = await failure(
      operator.pools.createPool({ pool: { id: "bad", prefix: "2001:db8::/200" } }),
    );
    expect(badPrefix?.code).toBe(Code.InvalidArgument);
    expect(badPrefix?.rawMessage).toMatch(/^pool\.prefix: /);
    expect(
      (
        await failure(
          operator.pools.createPool({ pool: { id: "acme-pool", prefix: "2001:db8:c::/48" } }),
        )
      )?.code,
    ).toBe(Code.AlreadyExists);

    const acme = clientsFor("acme");
    const { vmId } = await acme.vms.createVm({
      config: { network: [{ id: "eth0", ipv6: {} }] },
    });
    const [allocation] = (await acme.pools.listAllocations({})).allocations;
    expect(allocation).toMatchObject({ poolId: "acme-pool", vmId, leaked: false });
    expect(allocation?.address).toMatch(/^2001:db8:a1::/);
    expect((await acme.pools.listPools({})).pools.map((p) => p.id)).toEqual(["acme-pool"]);
    expect((await acme.pools.getPool({ id: "acme-pool" })).pool?.allocatedAddresses).toBe(1n);
    expect((await failure(acme.pools.getPool({ id: "globex-pool" })))?.code).toBe(Code.NotFound);

    const globex = clientsFor("globex");
    expect((await globex.pools.listAllocations({ poolId: "acme-pool" })).allocations).toEqual([]);
    expect((await globex.pools.listPools({ tenantId: "acme" })).pools.map((p) => p.id)).toEqual([
      "globex-pool",
    ]);
    expect((await operator.pools.listPools({ tenantId: "acme" })).pools.map((p) => p.id)).toEqual([
      "acme-pool",
    ]);
    expect((await operator.tenants.getTenant({ id: "acme" })).tenant?.vmCount).toBe(1);

    // Deletions that would orphan something are refused with what is in the way.
    const poolInUse = await failure(operator.pools.deletePool({ id: "acme-pool" }));
    expect(poolInUse?.code).toBe(Code.FailedPrecondition);
    expect(poolInUse?.rawMessage).toContain("1 allocated address");
    const tenantInUse = await failure(operator.tenants.deleteTenant({ id: "acme" }));
    expect(tenantInUse?.code).toBe(Code.FailedPrecondition);
    expect(tenantInUse?.rawMessage).toContain("acme-pool");

    // Deleting the VM releases its address; a leak (a row left by a create that crashed half-way)
    // is listed until cleaned up, and a dry run only lists it.
    await acme.vms.deleteVm({ vmId });
    expect((await operator.pools.listAllocations({ poolId: "acme-pool" })).allocations).toEqual([]);
    const db = new pg.Client({ connectionString: metald.env.DATABASE_URL });
    await db.connect();
    await db.query(
      "INSERT INTO ipv6_allocations (address, prefix_length, pool_id, vm_id, interface_id, allocated_at) VALUES ('2001:db8:a1::dead', 64, 'acme-pool', NULL, 'eth0', now())",
    );
    await db.end();
    const leaked = await operator.pools.listAllocations({ leakedOnly: true });
    expect(leaked.allocations.map((a) => [a.address, a.leaked, a.vmId])).toEqual([
      ["2001:db8:a1::dead", true, ""],
    ]);
    expect((await acme.pools.listAllocations({})).allocations).toHaveLength(1);
    expect((await globex.pools.listAllocations({})).allocations).toEqual([]);
    expect(await operator.pools.cleanupAllocations({ dryRun: true })).toMatchObject({
      released: 1,
      addresses: ["2001:db8:a1::dead"],
    });
    expect((await operator.pools.listAllocations({})).allocations).toHaveLength(1);
    expect((await operator.pools.cleanupAllocations({})).released).toBe(1);
    expect((await operator.pools.listAllocations({})).allocations).toEqual([]);

    const changed = await operator.pools.updatePool({
      pool: { id: "acme-pool", prefix: "2001:db8:a1::/48", description: "changed", rateLimit: 60 },
    });
    expect(changed.pool).toMatchObject({ description: "changed", rateLimit: 60, tenantId: "" });
    expect((await operator.pools.deletePool({ id: "acme-pool" })).success).toBe(true);
    expect((await failure(operator.pools.getPool({ id: "acme-pool" })))?.code).toBe(Code.NotFound);
  });

  it("deletes a tenant nothing refers to, and keeps one whose VMs' history remains", async () => {
    const { tenants } = clientsFor("operator");
    expect((await tenants.deleteTenant({ id: "initech" })).success).toBe(true);
    expect((await failure(tenants.getTenant({ id: "initech" })))?.code).toBe(Code.NotFound);
    expect((await failure(tenants.deleteTenant({ id: "initech" })))?.code).toBe(Code.NotFound);
    const kept = await failure(tenants.deleteTenant({ id: "acme" }));
    expect(kept?.code).toBe(Code.FailedPrecondition);
    expect(kept?.rawMessage).toContain("terminated ones kept for their history");
  });

  it("tells each caller who they are; host details for operators and auditors only", async () => {
    const operator = await clientsFor("operator").host.getHostInfo({});
    expect(operator.caller).toMatchObject({ kind: PrincipalKind.OPERATOR, name: "ops" });
    expect(operator).toMatchObject({
      driver: "dry-run",
      database: "postgres",
      authMode: "required",
    });
    expect(operator.capabilities).toBeDefined();
    const auditor = await clientsFor("auditor").host.getHostInfo({});
    expect(auditor.caller?.kind).toBe(PrincipalKind.AUDITOR);
    const tenant = await clientsFor("acme").host.getHostInfo({});
    expect(tenant.caller).toMatchObject({ kind: PrincipalKind.TENANT, tenantId: "acme" });
    expect(tenant).toMatchObject({ driver: "", version: "", hostId: "" });
    expect(tenant.capabilities).toBeUndefined();
  });
});

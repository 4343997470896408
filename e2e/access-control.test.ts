// Access control, table-driven: tenant B's token (and no token, a revoked one, malformed
// headers) on every route that reaches tenant A's VM or events. Tenant B gets exactly what a VM
// that does not exist gets (not_found, same message shape): nothing about A leaks. The guides'
// dev_customer_<id> convention works only in development mode, which production refuses.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";

const MAIN = fileURLToPath(new URL("../apps/metald/dist/main.js", import.meta.url));
const GHOST = "vm-01aaaaaaaaaaaaaaaaaaaaaaaa";

type Call = {
  name: string;
  method: string;
  path: (vmId: string, eventId: string) => string;
  body?: (vmId: string, eventId: string) => unknown;
};

const rpc = (method: string, body: (vm: string, ev: string) => unknown): Call => ({
  name: method,
  method: "POST",
  path: () => `/vmprovisioner.v1.${method}`,
  body,
});
const vmRpc = (name: string, extra: Record<string, unknown> = {}) =>
  rpc(`VmService/${name}`, (vm) => ({ vm_id: vm, ...extra }));

/** Every route that names one of tenant A's VMs or events. */
const CALLS: Call[] = [
  vmRpc("GetVm"),
  vmRpc("GetVmNetworkSecurity"),
  vmRpc("UpdateVmNetworkSecurity", { security: { ra_guard: { enabled: true } } }),
  vmRpc("UpdateVmNetwork", { ipv6: { address: "2001:db8:a1::9/64" } }),
  vmRpc("UpdateSecurityPolicy", { security_policy: { ingress_rules: ["deny all"] } }),
  vmRpc("BootVm"),
  vmRpc("ShutdownVm"),
  vmRpc("IsolateVm", { reason: "x" }),
  vmRpc("UnisolateVm", { reason: "x" }),
  vmRpc("DeleteVm"),
  rpc("SecurityEventService/GetSecurityEvent", (_, ev) => ({ event_id: ev })),
  rpc("ComplianceService/GetComplianceStatus", (vm) => ({ vm_id: vm })),
  {
    name: "GET /api/v1/compliance/vms/{id}",
    method: "GET",
    path: (vm) => `/api/v1/compliance/vms/${vm}`,
  },
  { name: "GET /api/v1/vms/{id}", method: "GET", path: (vm) => `/api/v1/vms/${vm}` },
  {
    name: "GET /api/v1/vms/{id}/security",
    method: "GET",
    path: (vm) => `/api/v1/vms/${vm}/security`,
  },
  {
    name: "PATCH /api/v1/vms/{id}/security",
    method: "PATCH",
    path: (vm) => `/api/v1/vms/${vm}/security`,
    body: () => ({ ra_guard: { enabled: true } }),
  },
  {
    name: "GET /api/v1/vms/{id}/history",
    method: "GET",
    path: (vm) => `/api/v1/vms/${vm}/history`,
  },
  { name: "DELETE /api/v1/vms/{id}", method: "DELETE", path: (vm) => `/api/v1/vms/${vm}` },
  {
    name: "GET /api/v1/security/events/{id}",
    method: "GET",
    path: (_, ev) => `/api/v1/security/events/${ev}`,
  },
  { name: "GET /debug/network/vm/{id}", method: "GET", path: (vm) => `/debug/network/vm/${vm}` },
  {
    name: "GET /debug/vm/{id}/security-policy",
    method: "GET",
    path: (vm) => `/debug/vm/${vm}/security-policy`,
  },
];

describe("access control", () => {
  let metald: MetaldProcess;
  const tokens: Record<string, string> = {};
  let vmA = "";
  let eventA = "";

  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [MAIN, "token", ...args], {
      env: { ...process.env, DATABASE_URL: metald.env.DATABASE_URL },
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  const call = async (c: Call, vm: string, ev: string, authorization?: string) => {
    const body = c.body?.(vm, ev);
    const res = await fetch(`${metald.url}${c.path(vm, ev)}`, {
      method: c.method,
      headers: {
        ...(body !== undefined && { "content-type": "application/json" }),
        ...(authorization !== undefined && { authorization }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text };
  };
  const bearer = (name: string) => `Bearer ${tokens[name]}`;

  beforeAll(async () => {
    metald = await startMetald("postgres", { env: { METALD_AUTH: "required" } });
    for (const [name, args] of [
      ["operator", ["--role", "operator", "--name", "ops"]],
      ["acme", ["--role", "tenant", "--tenant", "acme"]],
      ["globex", ["--role", "tenant", "--tenant", "globex"]],
      ["auditor", ["--role", "auditor"]],
      ["revoked", ["--role", "operator"]],
    ] as const)
      tokens[name] = cli("create", ...args);
    const revokedId = tokens.revoked?.split("_")[1] as string;
    expect(cli("revoke", revokedId)).toContain("revoked");
    // The secret is everything after "mtd_<id>_": base64url, so it may hold "_" itself.
    const operatorSecret = tokens.operator?.slice("mtd_".length + 13) as string;
    expect(operatorSecret).toHaveLength(43);
    expect(cli("list")).not.toContain(operatorSecret);
    const created = await fetch(`${metald.url}/vmprovisioner.v1.VmService/CreateVm`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: bearer("acme") },
      body: JSON.stringify({
        config: { network: [{ id: "eth0", ipv6: { address: "2001:db8:a1::1/64" } }] },
      }),
    });
    expect(created.status).toBe(200);
    vmA = ((await created.json()) as { vmId: string }).vmId;
    const events = (await (
      await fetch(`${metald.url}/api/v1/security/events?category=all&customer_id=acme`, {
        headers: { authorization: bearer("operator") },
      })
    ).json()) as { events: { event_id: string; customer_id: string }[] };
    eventA = events.events[0]?.event_id as string;
    expect(events.events[0]?.customer_id).toBe("acme");
  }, 60_000);

  afterAll(async () => {
    await metald?.destroy();
  });

  it.each(CALLS.map((c) => [c.name, c] as const))(
    "%s: tenant B is answered exactly as for a VM or event that does not exist",
    async (_, c) => {
      const other = await call(c, vmA, eventA, bearer("globex"));
      const ghost = await call(c, GHOST, "evt-01aaaaaaaaaaaaaaaaaaaaaaaa", bearer("globex"));
      expect(other.status).toBe(ghost.status);
      expect([403, 404]).toContain(other.status);
      expect(other.text.replaceAll(vmA, "ID").replaceAll(eventA, "ID")).toBe(
        ghost.text.replaceAll(GHOST, "ID").replaceAll("evt-01aaaaaaaaaaaaaaaaaaaaaaaa", "ID"),
      );
    },
  );

  it.each([
    ["no token", undefined],
    ["a revoked token", "revoked"],
    ["a malformed header", "Basic b3BlcmF0b3I="],
    ["a bearer that is not a token", "Bearer mtd_nope"],
    ["the development convention outside development mode", "Bearer dev_customer_acme"],
  ])("%s is refused on every route with unauthenticated", async (_, credential) => {
    const header = credential === "revoked" ? bearer("revoked") : credential;
    for (const c of CALLS) {
      const r = await call(c, vmA, eventA, header);
      expect(r.status, c.name).toBe(401);
      expect(JSON.parse(r.text)).toMatchObject({ code: "unauthenticated" });
    }
  });

  it("left tenant A's VM untouched, and A and the operator still reach it", async () => {
    for (const who of ["acme", "operator"]) {
      const r = await call(CALLS[0] as Call, vmA, eventA, bearer(who));
      expect(r.status, r.text).toBe(200);
      expect(JSON.parse(r.text)).toMatchObject({ state: "VM_STATE_CREATED", isolated: false });
    }
  });

  it("scopes lists, feeds and reports to the caller's tenant", async () => {
    const get = async (path: string, who: string) =>
      (await (
        await fetch(`${metald.url}${path}`, { headers: { authorization: bearer(who) } })
      ).json()) as Record<string, unknown>;
    expect((await get("/api/v1/vms?customer_id=acme", "globex")).vms).toEqual([]);
    expect(((await get("/api/v1/vms", "acme")).vms as { id: string }[]).map((v) => v.id)).toEqual([
      vmA,
    ]);
    expect(
      (await get("/api/v1/security/events?customer_id=acme&category=all", "globex")).events,
    ).toEqual([]);
    expect((await get("/api/v1/security/feed?customer_id=acme", "globex")).events).toEqual([]);
    expect(
      ((await get("/api/v1/security/feed", "acme")).events as unknown[]).length,
    ).toBeGreaterThan(0);
    expect((await get("/api/v1/customers", "globex")).customers).toEqual([]);
    const list = await fetch(`${metald.url}/vmprovisioner.v1.VmService/ListVms`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: bearer("globex") },
      body: JSON.stringify({ tenant_id: "acme" }),
    });
    expect(((await list.json()) as { vms: unknown[] }).vms).toEqual([]);
    const foreign = await fetch(`${metald.url}/vmprovisioner.v1.VmService/CreateVm`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: bearer("globex") },
      body: JSON.stringify({ config: { tenant_id: "acme", network: [{ id: "eth0", ipv6: {} }] } }),
    });
    expect(foreign.status).toBe(400);
  });

  it("gives the auditor events and reports but no VMs, and tenants no debug or pool routes", async () => {
    const status = async (method: string, path: string, who: string) =>
      (
        await fetch(`${metald.url}${path}`, {
          method,
          headers: { authorization: bearer(who), "content-type": "application/json" },
          body: method === "POST" ? "{}" : undefined,
        })
      ).status;
    expect(await status("GET", "/api/v1/security/events", "auditor")).toBe(200);
    expect(await status("GET", "/api/v1/security/feed", "auditor")).toBe(200);
    expect(await status("POST", "/debug/security/report", "auditor")).toBe(200);
    expect(await status("POST", "/vmprovisioner.v1.VmService/GetVm", "auditor")).toBe(403);
    expect(await status("GET", "/debug/ipv6/pools", "acme")).toBe(403);
    expect(await status("POST", "/debug/ipv6/pools", "auditor")).toBe(403);
    expect(await status("GET", "/debug/ipv6/pools", "operator")).toBe(200);
    expect((await fetch(`${metald.url}/health`)).status).toBe(200);
  });

  it("compliance: a tenant sees its own tenant only, the auditor reads every tenant", async () => {
    const get = async (path: string, who: string) => {
      const res = await fetch(`${metald.url}${path}`, { headers: { authorization: bearer(who) } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    for (const who of ["acme", "auditor", "operator"]) {
      const vm = await get(`/api/v1/compliance/vms/${vmA}`, who);
      expect(vm.status, who).toBe(200);
      expect(vm.body).toMatchObject({ vm_id: vmA, customer_id: "acme" });
    }
    const report = async (who: string, query = "") =>
      ((await get(`/api/v1/compliance/report${query}`, who)).body as { customer_id: string | null })
        .customer_id;
    // A tenant's report is its own whatever customer_id it names; the auditor's covers all.
    expect(await report("globex", "?customer_id=acme")).toBe("globex");
    expect(await report("auditor")).toBeNull();
    expect(await report("auditor", "?customer_id=acme")).toBe("acme");
    const tenantStatus = await fetch(
      `${metald.url}/vmprovisioner.v1.ComplianceService/GetComplianceStatus`,
      {
        method: "POST",
        headers: { "content-type": "application/json", authorization: bearer("globex") },
        body: JSON.stringify({ customer_id: "acme" }),
      },
    );
    expect(await tenantStatus.json()).toMatchObject({ customerId: "globex", vmsChecked: 0 });
    // A list naming another tenant's VM lists nothing, as for a VM that never existed.
    const listed = await fetch(
      `${metald.url}/vmprovisioner.v1.ComplianceService/ListComplianceViolations`,
      {
        method: "POST",
        headers: { "content-type": "application/json", authorization: bearer("globex") },
        body: JSON.stringify({ vm_id: vmA, include_resolved: true }),
      },
    );
    expect(await listed.json()).toEqual({ violations: [], nextPageToken: "" });
    const html = await fetch(`${metald.url}/api/v1/compliance/report?format=html`, {
      headers: { authorization: bearer("auditor") },
    });
    expect(html.status).toBe(200);
    expect(await html.text()).toContain("every tenant");
  });

  it("keeps quarantine the operator's: the tenant sees it and its reason but cannot lift or impose it", async () => {
    const rpcAs = async (method: string, who: string, body: unknown) => {
      const res = await fetch(`${metald.url}/vmprovisioner.v1.VmService/${method}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: bearer(who) },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const reason = "suspected rogue router";
    expect((await rpcAs("IsolateVm", "operator", { vm_id: vmA, reason })).status).toBe(200);
    const lift = await rpcAs("UnisolateVm", "acme", { vm_id: vmA, reason: "mine" });
    expect(lift.status).toBe(403);
    expect(lift.body).toMatchObject({ code: "permission_denied" });
    expect((await rpcAs("IsolateVm", "acme", { vm_id: vmA, reason: "x" })).status).toBe(403);
    expect((await rpcAs("GetVm", "acme", { vm_id: vmA })).body).toMatchObject({ isolated: true });
    const events = (await (
      await fetch(`${metald.url}/api/v1/security/events?category=all&event_type=vm_quarantined`, {
        headers: { authorization: bearer("acme") },
      })
    ).json()) as { events: { vm_id: string; description?: string; details?: unknown }[] };
    const quarantined = events.events.find((e) => e.vm_id === vmA);
    expect(JSON.stringify(quarantined)).toContain(reason);
    expect((await rpcAs("UnisolateVm", "operator", { vm_id: vmA, reason: "cleared" })).status).toBe(
      200,
    );
  });

  it("records refused credentials as events and counts them", async () => {
    const text = await (await fetch(metald.metricsUrl)).text();
    expect(text).toMatch(/^metald_auth_failures_total\{reason="missing"\} [1-9]/m);
    const events = (await (
      await fetch(`${metald.url}/api/v1/security/events?event_type=authentication_failure`, {
        headers: { authorization: bearer("operator") },
      })
    ).json()) as { events: { source_ip: string }[] };
    expect(events.events.length).toBeGreaterThan(0);
    expect(events.events[0]?.source_ip).toBe("127.0.0.1");
  });
});

describe("development mode", () => {
  it("is refused with METALD_ENV=production", () => {
    const r = spawnSync(process.execPath, [MAIN, "serve", "--listen", "127.0.0.1:0"], {
      env: {
        ...process.env,
        METALD_AUTH: "development",
        METALD_ENV: "production",
        METALD_DRIVER: "dry-run",
      },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("refused with METALD_ENV=production");
  });
});

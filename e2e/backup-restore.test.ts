// Backup and restore on a sandbox host: tenants, pools and VMs of different profiles (one
// changed after creation, one given its address by a pool), a blocked source and an API token
// are backed up with `metald backup`, restored with `metald restore` into a new database, and
// a metald started on it rebuilds the same enforcement: GetVm and GetVmNetworkSecurity answer
// the same, and the metald tables' sets and maps hold the same elements. A database that holds
// data is refused. On PGlite (backup of a stopped host) and PostgreSQL (backup while it serves).
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { kernelTestsCanRun } from "@metald/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "./harness/curl-like.js";
import { readKernelState } from "./harness/kernel-state.js";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";
import { createPostgresSchema } from "./harness/postgres-schema.js";

const MAIN = fileURLToPath(new URL("../apps/metald/dist/main.js", import.meta.url));
const VM = "/vmprovisioner.v1.VmService";
const POOL_PREFIX = "2600:beef:7000::/48";

/** Every set and map of metald's tables in the sandbox namespace: name → sorted elements. */
async function kernelElements(namespace: string): Promise<Record<string, string[]>> {
  return (await readKernelState(namespace)).sets;
}

function cli(
  command: "backup" | "restore",
  env: NodeJS.ProcessEnv,
  input?: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, command], {
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

/** What a restored host must answer identically, per VM. */
async function answers(metald: MetaldProcess, vmIds: string[]) {
  const out: Record<string, unknown> = {};
  for (const vmId of vmIds) {
    const vm = await postJson(`${metald.url}${VM}/GetVm`, { vm_id: vmId });
    const security = await postJson(`${metald.url}${VM}/GetVmNetworkSecurity`, { vm_id: vmId });
    expect(vm.status, JSON.stringify(vm.body)).toBe(200);
    expect(security.status, JSON.stringify(security.body)).toBe(200);
    out[vmId] = { vm: vm.body, security: security.body };
  }
  return out;
}

describe
  .runIf(kernelTestsCanRun("backup and restore on the sandbox host", ["root", "ip", "nft"]))
  .each(["pglite", "postgres"] as const)("backup and restore (sandbox driver, %s)", (kind) => {
  const env = { METALD_DEFAULT_POOL_PREFIX: POOL_PREFIX };
  let source: MetaldProcess | undefined;
  let restored: MetaldProcess | undefined;
  let target: NodeJS.ProcessEnv;
  let dropTarget: () => Promise<void>;
  let backup: string;
  const vmIds: string[] = [];
  let before: Record<string, unknown>;
  let kernelBefore: Record<string, string[]>;

  beforeAll(async () => {
    source = await startMetald(kind, { driver: "sandbox", logLevel: "warn", env });
    const url = source.url;
    const tenant = await postJson(`${url}/vmprovisioner.v1.TenantService/CreateTenant`, {
      tenant: { id: "bk-acme", name: "Acme", tier: "TENANT_TIER_PREMIUM" },
    });
    expect(tenant.status, JSON.stringify(tenant.body)).toBe(200);
    const pool = await postJson(`${url}/vmprovisioner.v1.Ipv6PoolService/CreatePool`, {
      pool: { id: "bk-acme-pool", prefix: "2600:beef:7100::/48", tenant_id: "bk-acme" },
    });
    expect(pool.status, JSON.stringify(pool.body)).toBe(200);
    const configs = [
      // From the tenant's pool, HIGH.
      {
        tenant_id: "bk-acme",
        network: [{ id: "eth0", ipv6: {} }],
        security_profile: { profile_name: "high" },
      },
      // Explicit address, LOW, changed afterwards.
      {
        tenant_id: "bk-globex",
        ipv6_config: {
          addresses: ["2600:beef:7000::20/64"],
          security: { profile: "SECURITY_PROFILE_LOW" },
        },
      },
      // Rule lists and RA sources of its own, MEDIUM by default.
      {
        tenant_id: "bk-globex",
        network: [
          {
            id: "eth0",
            ipv6: {
              address: "2600:beef:7000::21/64",
              security: { enable_ra_guard: true, allowed_ra_sources: ["fe80::1"] },
            },
            security_policy: {
              ingress_rules: ["allow tcp from any to any port 443", "deny all from any to any"],
            },
          },
        ],
      },
    ];
    for (const config of configs) {
      const res = await postJson(`${url}${VM}/CreateVm`, { config });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      vmIds.push((res.body as { vmId: string }).vmId);
    }
    const updated = await postJson(`${url}${VM}/UpdateVmNetworkSecurity`, {
      vm_id: vmIds[1],
      security: { ra_guard: { enabled: true, block_all_ra: true } },
    });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    const blocked = await postJson(`${url}/debug/security/blocked-sources`, {
      source: "2001:db8:bad::/48",
      reason: "scanner",
    });
    expect(blocked.status, JSON.stringify(blocked.body)).toBeLessThan(300);

    before = await answers(source, vmIds);
    const namespace = source.env.METALD_SANDBOX_NAMESPACE as string;
    kernelBefore = await kernelElements(namespace);
    const database = {
      DATABASE_URL: source.env.DATABASE_URL,
      METALD_DATA_DIR: source.env.METALD_DATA_DIR,
    };
    // PGlite is one process's database: back it up once the server stopped. PostgreSQL is
    // backed up while the server runs.
    if (kind === "pglite") await source.stop();
    const b = await cli("backup", database);
    expect(b.status, b.stderr).toBe(0);
    backup = b.stdout;
    // The guest namespaces are named after the VMs: the source host goes before the restored
    // one comes.
    await source.destroy();
    source = undefined;

    if (kind === "pglite") {
      const dir = await mkdtemp(join(tmpdir(), "metald-restore-"));
      target = { METALD_DATA_DIR: dir, DATABASE_URL: "" };
      dropTarget = () => rm(dir, { recursive: true, force: true });
    } else {
      const schema = await createPostgresSchema("metald_restore");
      target = { DATABASE_URL: schema.url, METALD_DATA_DIR: "/nonexistent-unused" };
      dropTarget = schema.drop;
    }
    const r = await cli("restore", target, backup);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/restored tenants 2, ipv6_pools 2, vms 3, vm_config_versions 4,/);
    restored = await startMetald(kind, {
      driver: "sandbox",
      logLevel: "warn",
      env: { ...env, ...target },
    });
  }, 300_000);

  afterAll(async () => {
    await source?.destroy();
    await restored?.destroy();
    await dropTarget?.();
  });

  it("writes a versioned document of every backed-up table", () => {
    const doc = JSON.parse(backup) as {
      format: string;
      format_version: number;
      tables: Record<string, Record<string, unknown>[]>;
    };
    expect(doc.format).toBe("metald-backup");
    expect(doc.format_version).toBe(1);
    expect(doc.tables.blocked_sources?.map((b) => b.source)).toEqual(["2001:db8:bad::/48"]);
    expect(doc.tables.ipv6_allocations).toHaveLength(3);
  });

  it("answers GetVm and GetVmNetworkSecurity as the source host did", async () => {
    expect(await answers(restored as MetaldProcess, vmIds)).toEqual(before);
  });

  it("keeps the audit trail verifiable and the history naming who changed what", async () => {
    const url = restored?.url as string;
    const verify = await postJson(`${url}/vmprovisioner.v1.ComplianceService/VerifyAuditTrail`, {});
    expect(verify.status, JSON.stringify(verify.body)).toBe(200);
    expect(verify.body).toMatchObject({ intact: true });
    expect(Number((verify.body as { recordsChecked: string }).recordsChecked)).toBeGreaterThan(0);
    const history = await postJson(
      `${url}/vmprovisioner.v1.ConfigHistoryService/ListVmConfigVersions`,
      { vm_id: vmIds[1] },
    );
    const versions = (history.body as { versions: { version: number; action: string }[] }).versions;
    expect(versions.map((v) => [v.version, v.action])).toEqual([
      [2, "vm.update_security"],
      [1, "vm.create"],
    ]);
  });

  it("rebuilds the same kernel elements in metald's tables", async () => {
    const namespace = restored?.env.METALD_SANDBOX_NAMESPACE as string;
    const after = await kernelElements(namespace);
    expect(after).toEqual(kernelBefore);
    // Not vacuous: the VMs' ports and the blocked source are there.
    const all = Object.values(after).flat().join("\n");
    expect(all).toContain("2001:db8:bad::/48");
    expect(all).toContain("2600:beef:7000::20");
  });

  it("refuses to restore into a database that holds data, and exits 1", async () => {
    await restored?.stop();
    const r = await cli("restore", target, backup);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^metald restore: the database is not empty \(tenants: 2, ipv6_pools: 2, vms: 3, .*\); metald restores into an empty database only/,
    );
  });
});

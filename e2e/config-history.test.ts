// Configuration history through the running server: the configuration in force at instants
// before, at and between versions (REST, as the guide's investigation script reads it, and
// GetVmConfigAt), the list of versions with who made each change, the diff between two, and
// tenant scoping of ConfigHistoryService; on PGlite and PostgreSQL.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "./harness/curl-like.js";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";

const VM = "/vmprovisioner.v1.VmService";
const HISTORY = "/vmprovisioner.v1.ConfigHistoryService";
const MAIN = fileURLToPath(new URL("../apps/metald/dist/main.js", import.meta.url));

interface Version {
  version: number;
  createdAt: string;
  actor: string;
  action: string;
  auditId: string;
  changedControls: string[];
}

async function rpc(
  metald: MetaldProcess,
  method: string,
  body: unknown,
  authorization?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${metald.url}${HISTORY}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(authorization && { authorization }) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function rest(metald: MetaldProcess, path: string, authorization?: string) {
  const res = await fetch(`${metald.url}${path}`, {
    headers: authorization ? { authorization } : {},
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const shift = (iso: string, ms: number) => new Date(new Date(iso).getTime() + ms).toISOString();

describe.each(["pglite", "postgres"] as const)("configuration history on %s", (kind) => {
  let metald: MetaldProcess;
  let vmId: string;
  let otherVm: string;
  let versions: Version[];

  beforeAll(async () => {
    metald = await startMetald(kind);
    const created = await postJson(`${metald.url}${VM}/CreateVm`, {
      config: {
        tenant_id: "hist-a",
        ipv6_config: {
          addresses: ["2600:beef:4000::10/64"],
          security: { profile: "SECURITY_PROFILE_LOW" },
        },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    vmId = (created.body as { vmId: string }).vmId;
    for (const security of [
      { profile: "SECURITY_PROFILE_HIGH" },
      { ra_guard: { max_ra_rate: 7 } },
    ]) {
      const updated = await postJson(`${metald.url}${VM}/UpdateVmNetworkSecurity`, {
        vm_id: vmId,
        security,
      });
      expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    }
    const other = await postJson(`${metald.url}${VM}/CreateVm`, {
      config: { tenant_id: "hist-b", ipv6_config: { addresses: ["2600:beef:4001::10/64"] } },
    });
    expect(other.status, JSON.stringify(other.body)).toBe(200);
    otherVm = (other.body as { vmId: string }).vmId;
    const list = await rpc(metald, "ListVmConfigVersions", { vm_id: vmId });
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    versions = list.body.versions as Version[];
  }, 180_000);
  afterAll(async () => {
    await metald?.destroy();
  });

  it("lists the versions newest first with who made each change and the controls it changed", () => {
    expect(versions.map((v) => v.version)).toEqual([3, 2, 1]);
    expect(versions.map((v) => v.action)).toEqual([
      "vm.update_security",
      "vm.update_security",
      "vm.create",
    ]);
    for (const v of versions) {
      expect(v.actor).not.toBe("");
      expect(v.auditId).not.toBe("");
    }
    expect(versions[0]?.changedControls).toEqual(["ra_guard"]);
    expect(versions[1]?.changedControls).toContain("profile");
    expect(versions[2]?.changedControls).toContain("ra_guard");
  });

  it("pages the versions with a token until the last page", async () => {
    const seen: number[] = [];
    let token = "";
    for (let pages = 0; pages < 5; pages++) {
      const page = await rpc(metald, "ListVmConfigVersions", {
        vm_id: vmId,
        page_size: 2,
        page_token: token,
      });
      seen.push(...(page.body.versions as Version[]).map((v) => v.version));
      token = page.body.nextPageToken as string;
      if (token === "") break;
    }
    expect(seen).toEqual([3, 2, 1]);
    const bad = await rpc(metald, "ListVmConfigVersions", { vm_id: vmId, page_token: "x" });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^page_token: /);
  });

  it("answers the configuration in force before, exactly at and between versions", async () => {
    const [v3, v2, v1] = versions as [Version, Version, Version];
    const at = (timestamp: string) =>
      rest(metald, `/api/v1/vms/${vmId}/history?timestamp=${encodeURIComponent(timestamp)}`);
    const before = await at(shift(v1.createdAt, -1));
    expect(before.status).toBe(404);
    expect(before.body.code).toBe("not_found");
    const exactly = await at(v2.createdAt);
    expect(exactly.body.version).toBe(2);
    expect(
      (exactly.body.config as { ipv6_security: { profile: string } }).ipv6_security.profile,
    ).toBe("SECURITY_PROFILE_HIGH");
    const justBefore = await at(shift(v2.createdAt, -1));
    expect(justBefore.body.version).toBe(1);
    expect(
      (justBefore.body.config as { ipv6_security: { profile: string } }).ipv6_security.profile,
    ).toBe("SECURITY_PROFILE_LOW");
    const between = await at(shift(v3.createdAt, -1));
    expect(between.body.version).toBe(2);
    expect((await at(shift(v3.createdAt, 60_000))).body.version).toBe(3);
    // The guide's script passes its times as it has them: seconds since the epoch (date +%s.%N)
    // or date -Iseconds, whose "+" curl leaves unencoded.
    const epoch = (Date.parse(v2.createdAt) / 1000).toFixed(3);
    const bySeconds = await rest(metald, `/api/v1/vms/${vmId}/history?timestamp=${epoch}`);
    expect(bySeconds.body.version).toBe(2);
    const offset = new Date(Date.parse(v3.createdAt) + 3_600_000 + 1000)
      .toISOString()
      .replace(/\.\d+Z$/, "+01:00");
    const byOffset = await rest(metald, `/api/v1/vms/${vmId}/history?timestamp=${offset}`);
    expect(byOffset.body.version).toBe(3);

    // The same instants through Connect.
    const c = (timestamp: string) => rpc(metald, "GetVmConfigAt", { vm_id: vmId, timestamp });
    expect((await c(shift(v1.createdAt, -1))).status).toBe(404);
    const c2 = await c(v2.createdAt);
    expect((c2.body.version as Version).version).toBe(2);
    expect((c2.body.ipv6Security as { profile: string }).profile).toBe("SECURITY_PROFILE_HIGH");
    expect(((await c(shift(v2.createdAt, -1))).body.version as Version).version).toBe(1);
    const byNumber = await rpc(metald, "GetVmConfigAt", { vm_id: vmId, version: 1 });
    expect((byNumber.body.config as { tenantId: string }).tenantId).toBe("hist-a");
    expect((byNumber.body.ipv6Security as { profile: string }).profile).toBe(
      "SECURITY_PROFILE_LOW",
    );
    const current = await rpc(metald, "GetVmConfigAt", { vm_id: vmId });
    expect((current.body.version as Version).version).toBe(3);
    expect((await rpc(metald, "GetVmConfigAt", { vm_id: vmId, version: 9 })).status).toBe(404);
  });

  it("diffs two versions path by path, over REST and Connect", async () => {
    const d = await rest(metald, `/api/v1/vms/${vmId}/versions?from=2&to=3`);
    expect(d.status, JSON.stringify(d.body)).toBe(200);
    const changes = d.body.changes as { path: string; before: unknown; after: unknown }[];
    const paths = changes.map((c) => c.path);
    expect(paths).toEqual([...paths].sort());
    expect(changes).toContainEqual({
      path: "ipv6_security.ra_guard.max_ra_rate",
      before: expect.anything(),
      after: 7,
    });
    expect(changes.every((c) => c.path !== "ipv6_security.profile")).toBe(true);
    const profile = (await rest(metald, `/api/v1/vms/${vmId}/versions?from=1&to=2`)).body
      .changes as { path: string; before: unknown; after: unknown }[];
    expect(profile).toContainEqual({
      path: "ipv6_security.profile",
      before: "SECURITY_PROFILE_LOW",
      after: "SECURITY_PROFILE_HIGH",
    });

    const c = await rpc(metald, "DiffVmConfigVersions", {
      vm_id: vmId,
      from_version: 1,
      to_version: 2,
    });
    expect(c.status).toBe(200);
    expect(c.body.changes).toContainEqual({
      path: "ipv6_security.profile",
      beforeJson: '"SECURITY_PROFILE_LOW"',
      afterJson: '"SECURITY_PROFILE_HIGH"',
    });
    const same = await rpc(metald, "DiffVmConfigVersions", {
      vm_id: vmId,
      from_version: 2,
      to_version: 2,
    });
    expect(same.body.changes).toEqual([]);
    const missing = await rest(metald, `/api/v1/vms/${vmId}/versions?from=1&to=x`);
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      code: "invalid_argument",
      message: "to: must be a version number (1 or more)",
    });
    const required = await rpc(metald, "DiffVmConfigVersions", { vm_id: vmId, to_version: 2 });
    expect(required.status).toBe(400);
    expect(required.body.message).toBe("from_version: is required");
  });

  it("shows a tenant its own VMs' history only", async () => {
    const own = "Bearer dev_customer_hist-a";
    expect((await rpc(metald, "ListVmConfigVersions", { vm_id: vmId }, own)).status).toBe(200);
    for (const [method, body] of [
      ["ListVmConfigVersions", { vm_id: otherVm }],
      ["GetVmConfigAt", { vm_id: otherVm }],
      ["DiffVmConfigVersions", { vm_id: otherVm, from_version: 1, to_version: 1 }],
    ] as const) {
      const r = await rpc(metald, method, body, own);
      expect(r.status, method).toBe(404);
      expect(r.body.message).toBe(`vm "${otherVm}" not found`);
    }
    expect((await rest(metald, `/api/v1/vms/${otherVm}/versions`, own)).status).toBe(404);
    expect((await rest(metald, `/api/v1/vms/${otherVm}/versions/1`, own)).status).toBe(404);
  });

  it.runIf(kind === "postgres")(
    "lets an auditor token read every VM's history and nothing it may change",
    async () => {
      const r = spawnSync(process.execPath, [MAIN, "token", "create", "--role", "auditor"], {
        env: { ...process.env, DATABASE_URL: metald.env.DATABASE_URL },
        encoding: "utf8",
      });
      expect(r.status, r.stderr).toBe(0);
      const auditor = `Bearer ${r.stdout.trim()}`;
      for (const vm of [vmId, otherVm]) {
        expect((await rpc(metald, "ListVmConfigVersions", { vm_id: vm }, auditor)).status).toBe(
          200,
        );
        expect((await rest(metald, `/api/v1/vms/${vm}/versions`, auditor)).status).toBe(200);
        expect((await rest(metald, `/api/v1/vms/${vm}/history`, auditor)).status).toBe(200);
      }
      const get = await fetch(`${metald.url}${VM}/GetVm`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: auditor },
        body: JSON.stringify({ vm_id: vmId }),
      });
      expect(get.status).toBe(403);
    },
  );
});

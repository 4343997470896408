import { DEFAULT_POLICY, type SecurityPolicy } from "@metald/core";
import type { ConfigHistoryRepository, HistoryVersion } from "@metald/db";
import { describe, expect, it } from "vitest";
import { createConfigHistory } from "./config-history.js";
import type { VmProvisioner } from "./vm-provisioner.js";

const T0 = Date.parse("2026-01-01T00:00:00Z");

function version(
  n: number,
  policy: SecurityPolicy,
  config: Record<string, unknown>,
): HistoryVersion {
  return {
    version: n,
    createdAt: new Date(T0 + n * 60_000),
    config,
    spec: { profile: "MEDIUM" },
    effective: [{ interfaceId: "eth0", policy }],
    actor: `user-${n}`,
    action: n === 1 ? "vm.create" : "vm.update_security",
    auditId: `audit-${n}`,
  };
}

const raOn: SecurityPolicy = {
  ...DEFAULT_POLICY,
  raGuard: { ...DEFAULT_POLICY.raGuard, enabled: true },
};
const VERSIONS = [
  version(1, DEFAULT_POLICY, { tenant_id: "acme" }),
  version(2, raOn, { tenant_id: "acme", metadata: { owner: "ops" } }),
  version(3, raOn, { tenant_id: "acme", metadata: { owner: "sec" } }),
];

const repository: ConfigHistoryRepository = {
  async list(vmId, page) {
    if (vmId !== "vm-1") return [];
    return VERSIONS.filter(
      (v) => page.beforeVersion === undefined || v.version < page.beforeVersion,
    )
      .sort((a, b) => b.version - a.version)
      .slice(0, page.limit);
  },
  async get(vmId, n) {
    return vmId === "vm-1" ? VERSIONS.find((v) => v.version === n) : undefined;
  },
};

/** A provisioner that sees vm-1 only, as a scoped one hides other tenants' VMs. */
const vms = {
  async get(vmId: string) {
    return vmId === "vm-1" ? { record: { configVersion: 3 } } : undefined;
  },
  async versionAt(vmId: string, at: Date) {
    if (vmId !== "vm-1") return undefined;
    const inForce = VERSIONS.filter((v) => v.createdAt <= at).pop();
    return inForce && { version: inForce.version };
  },
} as unknown as VmProvisioner;

describe("configuration history", () => {
  const history = createConfigHistory({ repository });

  it("lists versions newest first with the controls each changed from the one before", async () => {
    const page = await history.list(vms, "vm-1", { limit: 10 });
    expect("versions" in page && page.versions.map((v) => [v.version, v.changedControls])).toEqual([
      [3, []],
      [2, ["ra_guard"]],
      // The first version sets every control.
      [1, expect.arrayContaining(["ra_guard", "source_validation", "profile"])],
    ]);
  });

  it("pages with the version the next page starts below, reading one row more than it returns", async () => {
    const first = await history.list(vms, "vm-1", { limit: 2 });
    expect(first).toMatchObject({ next: 2 });
    expect("versions" in first && first.versions[1]?.changedControls).toEqual(["ra_guard"]);
    const second = await history.list(vms, "vm-1", { beforeVersion: 2, limit: 2 });
    expect("versions" in second && second.versions.map((v) => v.version)).toEqual([1]);
    expect(second).not.toHaveProperty("next");
  });

  it("answers the version in force at an instant, by number, or the current one", async () => {
    expect(await history.get(vms, "vm-1", { timestamp: new Date(T0) })).toEqual({ missing: "vm" });
    expect(await history.get(vms, "vm-1", { timestamp: new Date(T0 + 150_000) })).toMatchObject({
      version: 2,
      actor: "user-2",
    });
    expect(await history.get(vms, "vm-1", { version: 1 })).toMatchObject({ version: 1 });
    expect(await history.get(vms, "vm-1", {})).toMatchObject({ version: 3 });
    expect(await history.get(vms, "vm-1", { version: 7 })).toEqual({
      missing: "version",
      version: 7,
    });
  });

  it("diffs the normalized configurations, effective security included", async () => {
    const diff = await history.diff(vms, "vm-1", 1, 3);
    expect("changes" in diff && diff.changes).toEqual([
      { path: "ipv6_security.ra_guard.enabled", before: false, after: true },
      { path: "metadata.owner", after: "sec" },
    ]);
  });

  it("has nothing for a VM the caller may not see", async () => {
    expect(await history.list(vms, "vm-2", { limit: 10 })).toEqual({ missing: "vm" });
    expect(await history.diff(vms, "vm-2", 1, 2)).toEqual({ missing: "vm" });
  });
});

// A VM's configuration history for REST and ConfigHistoryService alike: its versions with who
// made each change and which controls it touched, the configuration of one version or of an
// instant, and the differences between two versions. Visibility is the scoped provisioner's:
// a VM the caller may not see has no history either.
import { toJson } from "@bufbuild/protobuf";
import {
  type ConfigChange,
  diffConfigs,
  type SecurityProfileName,
  toIPv6SecurityConfig,
} from "@metald/core";
import type { ConfigHistoryRepository, HistoryVersion } from "@metald/db";
import { IPv6SecurityConfigSchema } from "@metald/proto";
import type { EffectiveInterface, VmProvisioner } from "./vm-provisioner.js";

export interface VersionSummary {
  vmId: string;
  version: number;
  createdAt: Date;
  actor: string | null;
  action: string | null;
  auditId: string | null;
  /** Top-level ipv6_security controls whose effective values differ from the version before. */
  changedControls: string[];
}

export interface VersionDetail extends VersionSummary {
  /** The configuration as requested (protobuf JSON, proto field names). */
  config: Record<string, unknown>;
  /** The first interface's effective security (every field, defaults too); null without one. */
  security: Record<string, unknown> | null;
}

export interface VersionDiff {
  from: VersionSummary;
  to: VersionSummary;
  changes: ConfigChange[];
}

/** A page of versions, newest first; `next` is the version the next page starts below. */
export interface VersionPage {
  versions: VersionSummary[];
  next?: number;
}

/** Which version a read asks for; neither field: the current one. */
export interface VersionRef {
  version?: number;
  timestamp?: Date;
}

/** Answers "not_found" with what is missing: the VM (or one the caller may not see) or a version. */
export type Missing = { missing: "vm" } | { missing: "version"; version: number };

function effectiveSecurity(v: HistoryVersion): Record<string, unknown> | null {
  const first = (v.effective as EffectiveInterface[] | null)?.[0];
  if (!first) return null;
  const profile = (v.spec as { profile?: SecurityProfileName } | null)?.profile ?? "MEDIUM";
  // Every field, defaults too: a control turned off stays at its path in a diff instead of
  // disappearing from it.
  return toJson(IPv6SecurityConfigSchema, toIPv6SecurityConfig(first.policy, profile), {
    useProtoFieldName: true,
    alwaysEmitImplicit: true,
  }) as Record<string, unknown>;
}

/** The configuration a diff compares: the stored one with the effective security in it. */
export function normalizedConfig(detail: VersionDetail): Record<string, unknown> {
  return { ...detail.config, ipv6_security: detail.security };
}

function controlsChanged(
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
): string[] {
  const top = diffConfigs(before, after).map((c) => c.path.split(".")[0] as string);
  return [...new Set(top)];
}

function detailOf(
  vmId: string,
  v: HistoryVersion,
  previous: HistoryVersion | undefined,
): VersionDetail {
  const security = effectiveSecurity(v);
  return {
    vmId,
    version: v.version,
    createdAt: v.createdAt,
    actor: v.actor,
    action: v.action,
    auditId: v.auditId,
    changedControls: controlsChanged(previous ? effectiveSecurity(previous) : null, security),
    config: (v.config ?? {}) as Record<string, unknown>,
    security,
  };
}

function summaryOf(d: VersionDetail): VersionSummary {
  const { config: _config, security: _security, ...summary } = d;
  return summary;
}

export interface ConfigHistory {
  list(
    vms: VmProvisioner,
    vmId: string,
    page: { beforeVersion?: number; limit: number },
  ): Promise<VersionPage | Missing>;
  get(vms: VmProvisioner, vmId: string, at: VersionRef): Promise<VersionDetail | Missing>;
  diff(vms: VmProvisioner, vmId: string, from: number, to: number): Promise<VersionDiff | Missing>;
}

export function createConfigHistory(options: {
  repository: ConfigHistoryRepository;
}): ConfigHistory {
  const { repository } = options;

  /** A version with the one before it (for its changed controls). */
  async function read(vmId: string, version: number): Promise<VersionDetail | undefined> {
    const [v, previous] = await repository.list(vmId, { beforeVersion: version + 1, limit: 2 });
    if (!v || v.version !== version) return undefined;
    return detailOf(vmId, v, previous);
  }

  return {
    async list(vms, vmId, page) {
      const vm = await vms.get(vmId);
      if (!vm) return { missing: "vm" };
      // One more row than asked: the predecessor of the page's last version, for its controls.
      const rows = await repository.list(vmId, {
        beforeVersion: page.beforeVersion,
        limit: page.limit + 1,
      });
      const versions = rows
        .slice(0, page.limit)
        .map((v, i) => summaryOf(detailOf(vmId, v, rows[i + 1])));
      const last = versions[versions.length - 1];
      return rows.length > page.limit && last ? { versions, next: last.version } : { versions };
    },

    async get(vms, vmId, at) {
      const vm = await vms.get(vmId);
      if (!vm) return { missing: "vm" };
      let version = at.version ?? vm.record.configVersion;
      if (at.timestamp !== undefined) {
        const inForce = await vms.versionAt(vmId, at.timestamp);
        // Before the VM's first version there is no configuration in force.
        if (!inForce) return { missing: "vm" };
        version = inForce.version;
      }
      return (await read(vmId, version)) ?? { missing: "version", version };
    },

    async diff(vms, vmId, from, to) {
      if (!(await vms.get(vmId))) return { missing: "vm" };
      const a = await read(vmId, from);
      if (!a) return { missing: "version", version: from };
      const b = await read(vmId, to);
      if (!b) return { missing: "version", version: to };
      return {
        from: summaryOf(a),
        to: summaryOf(b),
        changes: diffConfigs(normalizedConfig(a), normalizedConfig(b)),
      };
    },
  };
}

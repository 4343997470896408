// A VM's configuration versions over REST (GET /api/v1/vms/{id}/history?timestamp= answers the
// configuration in force at an instant, in vm-routes.ts):
//   GET /api/v1/vms/{id}/versions?limit=&cursor=   → {vm_id, versions: [{version, created_at,
//        actor, action, audit_id, changed_controls}], next_cursor}   newest first
//   GET /api/v1/vms/{id}/versions?from=N&to=M       → {vm_id, from, to, changes: [{path, before,
//        after}]}   the differences between two versions
//   GET /api/v1/vms/{id}/versions/{version}         → one version with its config
import { FieldError } from "@metald/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { decodeVersionToken, encodeVersionToken } from "../connect/config-history-service.js";
import {
  type ConfigHistory,
  type Missing,
  normalizedConfig,
  type VersionSummary,
} from "../vm/config-history.js";
import type { VmProvisioner } from "../vm/vm-provisioner.js";
import { sendError, sendNotFound } from "./http-errors.js";
import { parseLimit } from "./query-params.js";

type Query = Record<string, string | undefined>;

function versionJson(v: VersionSummary) {
  return {
    version: v.version,
    created_at: v.createdAt.toISOString(),
    actor: v.actor,
    action: v.action,
    audit_id: v.auditId,
    changed_controls: v.changedControls,
  };
}

function versionNumber(value: string | undefined, name: string): number {
  const n = Number(value);
  if (value === undefined || !/^[0-9]{1,9}$/.test(value) || n < 1)
    throw new FieldError(name, "must be a version number (1 or more)");
  return n;
}

const isMissing = (r: object): r is Missing => "missing" in r;

function missingText(vmId: string, m: Missing): string {
  return m.missing === "vm"
    ? `vm ${JSON.stringify(vmId)}`
    : `version ${m.version} of vm ${JSON.stringify(vmId)}`;
}

export function registerConfigHistoryRoutes(
  app: FastifyInstance,
  deps: { provisionerFor: (req: FastifyRequest) => VmProvisioner; history: ConfigHistory },
): void {
  const { history, provisionerFor } = deps;

  app.get<{ Params: { id: string }; Querystring: Query }>(
    "/api/v1/vms/:id/versions",
    async (req, reply) => {
      const q = req.query;
      const vmId = req.params.id;
      try {
        if (q.from !== undefined || q.to !== undefined) {
          const diff = await history.diff(
            provisionerFor(req),
            vmId,
            versionNumber(q.from, "from"),
            versionNumber(q.to, "to"),
          );
          if (isMissing(diff)) return sendNotFound(reply, missingText(vmId, diff));
          return {
            vm_id: vmId,
            from: versionJson(diff.from),
            to: versionJson(diff.to),
            changes: diff.changes.map((c) => ({
              path: c.path,
              before: c.before ?? null,
              after: c.after ?? null,
            })),
          };
        }
        const limit = parseLimit(q.limit, 100, 1000);
        let beforeVersion: number | undefined;
        if (q.cursor) {
          beforeVersion = decodeVersionToken(q.cursor);
          if (beforeVersion === undefined)
            throw new FieldError("cursor", "is not a cursor this server issued");
        }
        const page = await history.list(provisionerFor(req), vmId, { beforeVersion, limit });
        if (isMissing(page)) return sendNotFound(reply, missingText(vmId, page));
        return {
          vm_id: vmId,
          versions: page.versions.map(versionJson),
          next_cursor: page.next === undefined ? "" : encodeVersionToken(page.next),
        };
      } catch (error) {
        return sendError(reply, error);
      }
    },
  );

  app.get<{ Params: { id: string; version: string } }>(
    "/api/v1/vms/:id/versions/:version",
    async (req, reply) => {
      const vmId = req.params.id;
      try {
        const version = versionNumber(req.params.version, "version");
        const found = await history.get(provisionerFor(req), vmId, { version });
        if (isMissing(found)) return sendNotFound(reply, missingText(vmId, found));
        return { vm_id: vmId, ...versionJson(found), config: normalizedConfig(found) };
      } catch (error) {
        return sendError(reply, error);
      }
    },
  );
}

// vmprovisioner.v1.ConfigHistoryService: a VM's configuration versions, the configuration of a
// version or an instant, and the differences between two versions. Scoped like VmService: the
// provisioner given for the caller hides other tenants' VMs (not_found, as one that does not
// exist); operators and auditors read every VM.
import { create, fromJson } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  ConfigChangeSchema,
  type ConfigHistoryService,
  IPv6SecurityConfigSchema,
  VmConfigSchema,
  type VmConfigVersion,
  VmConfigVersionSchema,
} from "@metald/proto";
import type { ConfigHistory, Missing, VersionSummary } from "../vm/config-history.js";
import type { VmProvisioner } from "../vm/vm-provisioner.js";
import { guarded } from "./to-connect-error.js";

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
const TOKEN = /^v([0-9]{1,9})$/;

function toProtoVersion(v: VersionSummary): VmConfigVersion {
  return create(VmConfigVersionSchema, {
    vmId: v.vmId,
    version: v.version,
    createdAt: timestampFromDate(v.createdAt),
    actor: v.actor ?? "",
    action: v.action ?? "",
    auditId: v.auditId ?? "",
    changedControls: v.changedControls,
  });
}

function requireVmId(vmId: string): void {
  if (vmId === "") throw new ConnectError("vm_id: is required", Code.InvalidArgument);
}

function notFound(vmId: string, m: Missing): ConnectError {
  return m.missing === "vm"
    ? new ConnectError(`vm ${JSON.stringify(vmId)} not found`, Code.NotFound)
    : new ConnectError(`vm ${JSON.stringify(vmId)} has no version ${m.version}`, Code.NotFound);
}

const isMissing = (r: object): r is Missing => "missing" in r;

export function encodeVersionToken(version: number): string {
  return Buffer.from(`v${version}`).toString("base64url");
}

export function decodeVersionToken(token: string): number | undefined {
  const m = TOKEN.exec(Buffer.from(token, "base64url").toString());
  return m ? Number(m[1]) : undefined;
}

export function createConfigHistoryServiceImpl(deps: {
  provisionerFor: (ctx: HandlerContext) => VmProvisioner;
  history: ConfigHistory;
}): ServiceImpl<typeof ConfigHistoryService> {
  const { history, provisionerFor } = deps;
  return {
    listVmConfigVersions: (req, ctx) =>
      guarded(async () => {
        requireVmId(req.vmId);
        if (req.pageSize > MAX_PAGE)
          throw new ConnectError(`page_size: must be at most ${MAX_PAGE}`, Code.InvalidArgument);
        let beforeVersion: number | undefined;
        if (req.pageToken !== "") {
          beforeVersion = decodeVersionToken(req.pageToken);
          if (beforeVersion === undefined)
            throw new ConnectError(
              "page_token: is not a token this server issued",
              Code.InvalidArgument,
            );
        }
        const page = await history.list(provisionerFor(ctx), req.vmId, {
          beforeVersion,
          limit: req.pageSize === 0 ? DEFAULT_PAGE : req.pageSize,
        });
        if (isMissing(page)) throw notFound(req.vmId, page);
        return {
          versions: page.versions.map(toProtoVersion),
          nextPageToken: page.next === undefined ? "" : encodeVersionToken(page.next),
        };
      }),

    getVmConfigAt: (req, ctx) =>
      guarded(async () => {
        requireVmId(req.vmId);
        const at = req.at;
        if (at.case === "version" && at.value === 0)
          throw new ConnectError("version: versions start at 1", Code.InvalidArgument);
        const found = await history.get(provisionerFor(ctx), req.vmId, {
          version: at.case === "version" ? at.value : undefined,
          timestamp: at.case === "timestamp" ? timestampDate(at.value) : undefined,
        });
        if (isMissing(found)) throw notFound(req.vmId, found);
        return {
          version: toProtoVersion(found),
          config: fromJson(VmConfigSchema, found.config as never, { ignoreUnknownFields: true }),
          ipv6Security: found.security
            ? fromJson(IPv6SecurityConfigSchema, found.security as never, {
                ignoreUnknownFields: true,
              })
            : undefined,
        };
      }),

    diffVmConfigVersions: (req, ctx) =>
      guarded(async () => {
        requireVmId(req.vmId);
        if (req.fromVersion === 0)
          throw new ConnectError("from_version: is required", Code.InvalidArgument);
        if (req.toVersion === 0)
          throw new ConnectError("to_version: is required", Code.InvalidArgument);
        const diff = await history.diff(
          provisionerFor(ctx),
          req.vmId,
          req.fromVersion,
          req.toVersion,
        );
        if (isMissing(diff)) throw notFound(req.vmId, diff);
        return {
          from: toProtoVersion(diff.from),
          to: toProtoVersion(diff.to),
          changes: diff.changes.map((c) =>
            create(ConfigChangeSchema, {
              path: c.path,
              beforeJson: c.before === undefined ? "" : JSON.stringify(c.before),
              afterJson: c.after === undefined ? "" : JSON.stringify(c.after),
            }),
          ),
        };
      }),
  };
}

// vmprovisioner.v1.HostService: who the caller is and, for operators and auditors, what host
// this is and what its kernel can enforce (the driver's probe, run once).
import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { HostCapabilities } from "@metald/core";
import {
  CallerSchema,
  GetHostInfoResponseSchema,
  HostCapabilitiesSchema,
  type HostService,
  PrincipalKind,
} from "@metald/proto";
import type { AuthMode } from "../auth/principal.js";
import { PRINCIPAL } from "../auth/principal-context.js";

export interface HostFacts {
  hostId: string;
  version: string;
  driver: string;
  database: string;
  authMode: AuthMode;
  /** The driver's capability probe. */
  compat: () => Promise<HostCapabilities>;
}

const KINDS = {
  operator: PrincipalKind.OPERATOR,
  tenant: PrincipalKind.TENANT,
  auditor: PrincipalKind.AUDITOR,
} as const;

function callerOf(ctx: HandlerContext) {
  // Without a principal (routes registered without authentication, as in unit tests): operator.
  const p = ctx.values.get(PRINCIPAL) ?? { kind: "operator" as const, name: "" };
  return create(CallerSchema, {
    kind: KINDS[p.kind],
    name: p.name,
    tenantId: p.kind === "tenant" ? p.tenantId : "",
  });
}

export function createHostServiceImpl(facts: HostFacts): ServiceImpl<typeof HostService> {
  let probe: Promise<HostCapabilities> | undefined;
  return {
    async getHostInfo(_req, ctx) {
      const caller = callerOf(ctx);
      if (caller.kind === PrincipalKind.TENANT)
        return create(GetHostInfoResponseSchema, { caller });
      probe ??= facts.compat().catch((error: unknown) => {
        probe = undefined;
        throw error;
      });
      const c = await probe;
      return create(GetHostInfoResponseSchema, {
        caller,
        hostId: facts.hostId,
        version: facts.version,
        driver: facts.driver,
        database: facts.database,
        authMode: facts.authMode,
        capabilities: create(HostCapabilitiesSchema, {
          nftables: c.nftables,
          vlanDevices: c.vlanDevices,
          bridgeVlanFiltering: c.bridgeVlanFiltering,
          notes: c.notes,
        }),
      });
    },
  };
}

// Registers every vmprovisioner.v1 service on the Connect router. Services or methods not
// implemented yet answer `unimplemented`.
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import type { SecurityEventRepository } from "@metald/db";
import {
  ComplianceService,
  Ipv6PoolService,
  SecurityEventService,
  TenantService,
  VmService,
} from "@metald/proto";
import { createSecurityEventServiceImpl } from "./connect/security-event-service.js";
import { createVmServiceImpl } from "./connect/vm-service.js";
import type { EventPipeline } from "./events/event-pipeline.js";
import type { VmProvisioner } from "./vm/vm-provisioner.js";

export const SERVICES = [
  VmService,
  SecurityEventService,
  TenantService,
  Ipv6PoolService,
  ComplianceService,
] as const;

export function createRoutes(deps: {
  provisionerFor: (ctx: HandlerContext) => VmProvisioner;
  events: SecurityEventRepository;
  pipeline: EventPipeline;
}) {
  return (router: ConnectRouter) => {
    router.service(VmService, createVmServiceImpl(deps.provisionerFor));
    router.service(SecurityEventService, createSecurityEventServiceImpl(deps));
    router.service(TenantService, {});
    router.service(Ipv6PoolService, {});
    router.service(ComplianceService, {});
  };
}

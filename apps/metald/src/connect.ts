// Registers every vmprovisioner.v1 service on the Connect router. Services or methods not
// implemented yet answer `unimplemented`.
import type { ConnectRouter } from "@connectrpc/connect";
import {
  ComplianceService,
  Ipv6PoolService,
  SecurityEventService,
  TenantService,
  VmService,
} from "@metald/proto";
import { createVmServiceImpl } from "./connect/vm-service.js";
import type { VmProvisioner } from "./vm/vm-provisioner.js";

export const SERVICES = [
  VmService,
  SecurityEventService,
  TenantService,
  Ipv6PoolService,
  ComplianceService,
] as const;

export function createRoutes(deps: { provisioner: VmProvisioner }) {
  return (router: ConnectRouter) => {
    router.service(VmService, createVmServiceImpl(deps.provisioner));
    router.service(SecurityEventService, {});
    router.service(TenantService, {});
    router.service(Ipv6PoolService, {});
    router.service(ComplianceService, {});
  };
}

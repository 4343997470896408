// Registers every vmprovisioner.v1 service on the Connect router.
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import type { PortCounters } from "@metald/core";
import type {
  AuditVerification,
  PoolRepository,
  SecurityEventRepository,
  TenantRepository,
  VmRepository,
} from "@metald/db";
import {
  ComplianceService,
  ConfigHistoryService,
  HostService,
  Ipv6PoolService,
  SecurityEventService,
  TenantService,
  VmService,
} from "@metald/proto";
import type { ComplianceQueries } from "./compliance/compliance-queries.js";
import { createComplianceServiceImpl } from "./connect/compliance-service.js";
import { createConfigHistoryServiceImpl } from "./connect/config-history-service.js";
import {
  createHostServiceImpl,
  type HostFacts,
  type HostServiceDeps,
} from "./connect/host-service.js";
import { createIpv6PoolServiceImpl } from "./connect/ipv6-pool-service.js";
import { createSecurityEventServiceImpl } from "./connect/security-event-service.js";
import { createTenantServiceImpl } from "./connect/tenant-service.js";
import { createVmServiceImpl } from "./connect/vm-service.js";
import type { EventPipeline } from "./events/event-pipeline.js";
import type { AddressAllocator } from "./ipam/address-allocator.js";
import type { ConfigHistory } from "./vm/config-history.js";
import type { NotEnforcedReport } from "./vm/not-enforced-report.js";
import type { VmMigration } from "./vm/vm-migration.js";
import type { VmProvisioner } from "./vm/vm-provisioner.js";

export const SERVICES = [
  VmService,
  SecurityEventService,
  TenantService,
  Ipv6PoolService,
  ComplianceService,
  ConfigHistoryService,
  HostService,
] as const;

export function createRoutes(deps: {
  provisionerFor: (ctx: HandlerContext) => VmProvisioner;
  /** Moves VMs to this host (VmService.MigrateVm). */
  migration?: VmMigration;
  /** Which accepted fields this host does not enforce (GetVmNetworkSecurity.not_enforced). */
  notEnforced?: NotEnforcedReport;
  events: SecurityEventRepository;
  pipeline: EventPipeline;
  tenants: TenantRepository;
  /** Tenants of the host configuration file. */
  configuredTenants: () => readonly string[];
  pools: PoolRepository;
  allocator: AddressAllocator;
  host: HostFacts;
  compliance: ComplianceQueries;
  configHistory: ConfigHistory;
  vms: VmRepository;
  /** The counter poller's last reading, where the driver reads kernel counters. */
  lastCounters?: () => PortCounters;
  /** The fleet's host registry (HostService.ListHosts). */
  fleet?: HostServiceDeps["fleet"];
  /** The audit trail's verify walk (ComplianceService.VerifyAuditTrail). */
  verifyAuditTrail?: () => Promise<AuditVerification>;
}) {
  return (router: ConnectRouter) => {
    router.service(
      VmService,
      createVmServiceImpl(deps.provisionerFor, deps.migration, deps.notEnforced),
    );
    router.service(SecurityEventService, createSecurityEventServiceImpl(deps));
    router.service(TenantService, createTenantServiceImpl(deps));
    router.service(Ipv6PoolService, createIpv6PoolServiceImpl(deps));
    router.service(
      ComplianceService,
      createComplianceServiceImpl(deps.compliance, deps.verifyAuditTrail),
    );
    router.service(
      ConfigHistoryService,
      createConfigHistoryServiceImpl({
        provisionerFor: deps.provisionerFor,
        history: deps.configHistory,
      }),
    );
    router.service(HostService, createHostServiceImpl(deps.host, deps));
  };
}

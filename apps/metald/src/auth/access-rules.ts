// Which principals may use which routes; pure, so the whole table is tested at once. Tenants
// reach their own VMs, events, reports, tenant and pools (the handlers scope them: another
// tenant's VM is not_found); auditors read events, reports, compliance and configuration
// history; everyone may ask HostService who they are; /debug and pool or tenant changes are
// for operators.
import type { Principal } from "./principal.js";

export type Access = "allow" | "forbidden";

const AUDITOR_PATHS = [
  /^\/api\/v1\/audit$/,
  /^\/api\/v1\/security\//,
  /^\/api\/v1\/compliance\//,
  /^\/api\/v1\/vms\/[^/]+\/(history|versions)(\/[^/]+)?$/,
  /^\/debug\/security\/(events|report)$/,
  /^\/vmprovisioner\.v1\.(SecurityEventService|ComplianceService|ConfigHistoryService|HostService)\//,
];

const TENANT_PATHS = [
  /^\/api\/v1\/security\/(events|feed)/,
  /^\/api\/v1\/compliance\//,
  /^\/api\/v1\/vms(\/|$)/,
  /^\/api\/v1\/customers(\/|$)/,
  /^\/vmprovisioner\.v1\.(VmService|SecurityEventService|ComplianceService|ConfigHistoryService|HostService)\//,
  /^\/vmprovisioner\.v1\.TenantService\/(GetTenant|ListTenants)$/,
  /^\/vmprovisioner\.v1\.Ipv6PoolService\/(GetPool|ListPools|ListAllocations)$/,
];

// Quarantine and placement are the operator's.
const OPERATOR_VM_PATHS = /^\/vmprovisioner\.v1\.VmService\/(IsolateVm|UnisolateVm|MigrateVm)$/;

export function accessFor(method: string, path: string, p: Principal): Access {
  if (p.kind === "operator") return "allow";
  if (p.kind === "auditor") {
    const readOnly =
      method === "GET" ||
      path.startsWith("/vmprovisioner.v1.") ||
      path === "/debug/security/report";
    return readOnly && AUDITOR_PATHS.some((r) => r.test(path)) ? "allow" : "forbidden";
  }
  if (method === "PUT" && path.startsWith("/api/v1/customers")) return "forbidden";
  // Quarantine is the operator's: a tenant sees it (GetVm, its vm_quarantined event with the
  // reason) but cannot lift it or impose it. So is the host a VM runs on (MigrateVm): a tenant
  // sees it (GetVm's host_id) but cannot move the VM.
  if (OPERATOR_VM_PATHS.test(path)) return "forbidden";
  return TENANT_PATHS.some((r) => r.test(path)) ? "allow" : "forbidden";
}

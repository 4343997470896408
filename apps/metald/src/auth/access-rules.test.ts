import { describe, expect, it } from "vitest";
import { accessFor } from "./access-rules.js";
import type { Principal } from "./principal.js";

const tenant: Principal = { kind: "tenant", tenantId: "acme", name: "t" };
const auditor: Principal = { kind: "auditor", name: "a" };
const operator: Principal = { kind: "operator", name: "o" };
const rpc = (path: string) => `/vmprovisioner.v1.${path}`;

describe("access rules for the tenant, pool and host services", () => {
  it("lets a tenant read its tenant and pools (the handlers scope them) but change neither", () => {
    for (const path of [
      "TenantService/GetTenant",
      "TenantService/ListTenants",
      "Ipv6PoolService/GetPool",
      "Ipv6PoolService/ListPools",
      "Ipv6PoolService/ListAllocations",
      "HostService/GetHostInfo",
    ])
      expect(accessFor("POST", rpc(path), tenant), path).toBe("allow");
    for (const path of [
      "TenantService/CreateTenant",
      "TenantService/UpdateTenant",
      "TenantService/DeleteTenant",
      "Ipv6PoolService/CreatePool",
      "Ipv6PoolService/UpdatePool",
      "Ipv6PoolService/DeletePool",
      "Ipv6PoolService/CleanupAllocations",
    ])
      expect(accessFor("POST", rpc(path), tenant), path).toBe("forbidden");
  });

  it("lets an auditor ask who it is, and keeps tenants and pools from it", () => {
    expect(accessFor("POST", rpc("HostService/GetHostInfo"), auditor)).toBe("allow");
    expect(accessFor("POST", rpc("TenantService/ListTenants"), auditor)).toBe("forbidden");
    expect(accessFor("POST", rpc("Ipv6PoolService/ListPools"), auditor)).toBe("forbidden");
  });

  it("lets an operator do everything", () => {
    expect(accessFor("POST", rpc("TenantService/DeleteTenant"), operator)).toBe("allow");
    expect(accessFor("POST", rpc("Ipv6PoolService/CleanupAllocations"), operator)).toBe("allow");
  });
});

describe("access rules for compliance", () => {
  const rest = ["/api/v1/compliance/vms/vm-1", "/api/v1/compliance/report?format=html"];
  it("lets tenants and auditors read compliance (the handlers scope tenants to their own)", () => {
    for (const who of [tenant, auditor]) {
      for (const path of rest) expect(accessFor("GET", path, who), path).toBe("allow");
      expect(accessFor("POST", rpc("ComplianceService/GetComplianceReport"), who)).toBe("allow");
    }
  });

  it("keeps auditors to reading", () => {
    expect(accessFor("DELETE", "/api/v1/compliance/vms/vm-1", auditor)).toBe("forbidden");
  });
});

describe("access rules for configuration history", () => {
  const rest = [
    "/api/v1/vms/vm-1/history",
    "/api/v1/vms/vm-1/versions",
    "/api/v1/vms/vm-1/versions/2",
  ];
  const rpcs = ["ListVmConfigVersions", "GetVmConfigAt", "DiffVmConfigVersions"];

  it("lets tenants and auditors read it (the handlers scope tenants to their own VMs)", () => {
    for (const who of [tenant, auditor]) {
      for (const path of rest) expect(accessFor("GET", path, who), path).toBe("allow");
      for (const m of rpcs)
        expect(accessFor("POST", rpc(`ConfigHistoryService/${m}`), who), m).toBe("allow");
    }
  });

  it("gives an auditor the history but not the VMs themselves", () => {
    expect(accessFor("GET", "/api/v1/vms/vm-1", auditor)).toBe("forbidden");
    expect(accessFor("DELETE", "/api/v1/vms/vm-1", auditor)).toBe("forbidden");
    expect(accessFor("GET", "/api/v1/vms/vm-1/security", auditor)).toBe("forbidden");
    expect(accessFor("POST", rpc("VmService/GetVm"), auditor)).toBe("forbidden");
  });
});

describe("access rules for the audit trail", () => {
  it("lets operators and auditors read it and keeps tenants out (it spans every tenant)", () => {
    expect(accessFor("GET", "/api/v1/audit", operator)).toBe("allow");
    expect(accessFor("GET", "/api/v1/audit", auditor)).toBe("allow");
    expect(accessFor("GET", "/api/v1/audit", tenant)).toBe("forbidden");
    expect(accessFor("DELETE", "/api/v1/audit", auditor)).toBe("forbidden");
  });
});

describe("access rules for quarantine and placement", () => {
  it("keeps IsolateVm, UnisolateVm and MigrateVm to operators; a tenant still reads its VM", () => {
    for (const m of ["IsolateVm", "UnisolateVm", "MigrateVm"]) {
      expect(accessFor("POST", rpc(`VmService/${m}`), operator), m).toBe("allow");
      expect(accessFor("POST", rpc(`VmService/${m}`), tenant), m).toBe("forbidden");
      expect(accessFor("POST", rpc(`VmService/${m}`), auditor), m).toBe("forbidden");
    }
    expect(accessFor("POST", rpc("VmService/GetVm"), tenant)).toBe("allow");
  });
});

// The compliance page: VMs × frameworks with each VM's status, the open violations (requirement
// and the fields that fix it), and the printable report; the tenant filter is kept in the address.
import { useNavigate, useSearch } from "@tanstack/react-router";
import { SelectField } from "../../../shared/ui/field";
import { PageHeader } from "../../../shared/ui/page-header";
import { useCaller } from "../../auth/api/get-host-info";
import { useTenantIds } from "../../vms/api/list-tenant-ids";
import { ComplianceMatrix } from "./compliance-matrix";
import { ComplianceReportButton } from "./compliance-report-button";
import { OpenViolationsSection } from "./open-violations-section";

export function CompliancePage() {
  const search = useSearch({ strict: false }) as { tenant?: string };
  const navigate = useNavigate();
  const caller = useCaller();
  const canChoose = !caller.tenantId;
  const tenantIds = useTenantIds(canChoose);
  const tenant = caller.tenantId ?? search.tenant ?? "";
  return (
    <>
      <PageHeader
        title="Compliance"
        subtitle={tenant ? `Tenant ${tenant}` : "Every tenant on this host"}
        actions={<ComplianceReportButton tenant={tenant} />}
      />
      <div className="stack">
        {canChoose && (
          <section className="card toolbar" aria-label="Filters">
            <SelectField
              label="Tenant"
              value={tenant}
              onChange={(e) =>
                navigate({
                  to: "/compliance",
                  search: e.target.value ? { tenant: e.target.value } : {},
                  replace: true,
                })
              }
            >
              <option value="">All tenants</option>
              {[...new Set([...tenantIds, ...(tenant ? [tenant] : [])])].map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </SelectField>
          </section>
        )}
        <ComplianceMatrix tenant={tenant} />
        <OpenViolationsSection tenant={tenant} />
      </div>
    </>
  );
}

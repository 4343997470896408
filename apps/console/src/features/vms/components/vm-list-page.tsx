// The VMs page: the list with its filters kept in the address (a reload or a shared link shows
// the same list), and the way to create one.
import { Link, useNavigate, useSearch } from "@tanstack/react-router";
import { PageHeader } from "../../../shared/ui/page-header";
import { useCaller } from "../../auth/api/get-host-info";
import { type VmFilters, VmListSection } from "./vm-list-section";

export function VmListPage() {
  const search = useSearch({ strict: false }) as Partial<VmFilters>;
  const navigate = useNavigate();
  const caller = useCaller();
  const filters = { state: search.state ?? "", tenant: search.tenant ?? "" };
  return (
    <>
      <PageHeader
        title="Virtual machines"
        subtitle={caller.tenantId ? `Tenant ${caller.tenantId}` : "Every tenant on this host"}
        actions={
          !caller.isAuditor && (
            <Link to="/vms/new" className="button button--primary">
              Create VM
            </Link>
          )
        }
      />
      <VmListSection
        filters={filters}
        canChooseTenant={caller.isOperator}
        onFiltersChange={(next) =>
          navigate({
            to: "/vms",
            search: {
              ...(next.state && { state: next.state }),
              ...(next.tenant && { tenant: next.tenant }),
            },
            replace: true,
          })
        }
      />
    </>
  );
}

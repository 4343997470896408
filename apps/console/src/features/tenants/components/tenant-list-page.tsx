// Tenants: tier, VLAN, bridge, prefix and how many live VMs each has.
import { Link } from "@tanstack/react-router";
import { PageHeader } from "../../../shared/ui/page-header";
import { EmptyState, ErrorState, LoadingState } from "../../../shared/ui/states";
import { TableScroll } from "../../../shared/ui/table-scroll";
import { useListTenants } from "../api/list-tenants";
import { tierLabel } from "./tenant-tier";

export function TenantListPage() {
  const tenants = useListTenants();
  return (
    <>
      <PageHeader
        title="Tenants"
        subtitle="Tenants come from the host configuration or with their first VM."
      />
      {tenants.isPending ? (
        <LoadingState label="Loading tenants…" />
      ) : tenants.isError ? (
        <ErrorState
          title="Could not list the tenants"
          error={tenants.error}
          onRetry={() => tenants.refetch()}
        />
      ) : tenants.data.tenants.length === 0 ? (
        <EmptyState title="No tenants yet.">
          <p>A tenant appears with its first VM or in the host configuration file.</p>
        </EmptyState>
      ) : (
        <TableScroll label="Tenants">
          <table>
            <caption className="visually-hidden">Tenants</caption>
            <thead>
              <tr>
                <th scope="col">Tenant</th>
                <th scope="col">Tier</th>
                <th scope="col" className="numeric">
                  VLAN
                </th>
                <th scope="col">Bridge</th>
                <th scope="col">IPv6 prefix</th>
                <th scope="col" className="numeric">
                  VMs
                </th>
              </tr>
            </thead>
            <tbody>
              {tenants.data.tenants.map((t) => (
                <tr key={t.id}>
                  <th scope="row">
                    <Link to="/tenants/$tenantId" params={{ tenantId: t.id }}>
                      {t.id}
                    </Link>
                    {t.name !== t.id && <div className="page-header__subtitle">{t.name}</div>}
                  </th>
                  <td>{tierLabel(t.tier)}</td>
                  <td className="numeric">{t.vlanId || "—"}</td>
                  <td className="mono">{t.bridgeName || "—"}</td>
                  <td className="mono">{t.ipv6Prefix || "—"}</td>
                  <td className="numeric">{t.vmCount}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </>
  );
}

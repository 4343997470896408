// VMs as a table: each row links to the VM's page (and to its tenant's, for operators).
import { SecurityProfile, type VmInfo } from "@metald/proto";
import { Link } from "@tanstack/react-router";
import { enumLabel, formatBytes, formatTimestamp } from "../../../shared/format";
import { TableScroll } from "../../../shared/ui/table-scroll";
import { IsolatedBadge, VmStateBadge } from "./vm-state-badge";

export function VmTable({
  vms,
  caption,
  showTenant,
}: {
  vms: readonly VmInfo[];
  caption: string;
  showTenant: boolean;
}) {
  return (
    <TableScroll label={caption}>
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">VM</th>
            <th scope="col">State</th>
            {showTenant && <th scope="col">Tenant</th>}
            <th scope="col">IPv6 addresses</th>
            <th scope="col" className="wide-only">
              Profile
            </th>
            <th scope="col" className="numeric wide-only">
              vCPU
            </th>
            <th scope="col" className="numeric wide-only">
              Memory
            </th>
            <th scope="col" className="wide-only">
              Created
            </th>
          </tr>
        </thead>
        <tbody>
          {vms.map((vm) => (
            <tr key={vm.vmId}>
              <th scope="row">
                <Link to="/vms/$vmId" params={{ vmId: vm.vmId }} className="mono">
                  {vm.vmId}
                </Link>
              </th>
              <td>
                <VmStateBadge state={vm.state} /> {vm.isolated && <IsolatedBadge />}
              </td>
              {showTenant && (
                <td>
                  <Link to="/tenants/$tenantId" params={{ tenantId: vm.tenantId }}>
                    {vm.tenantId}
                  </Link>
                </td>
              )}
              <td className="mono">{vm.ipv6Addresses.join(", ") || "—"}</td>
              <td className="wide-only">{enumLabel(SecurityProfile[vm.securityProfile], "")}</td>
              <td className="numeric wide-only">{vm.vcpuCount || "—"}</td>
              <td className="numeric wide-only">{formatBytes(vm.memorySizeBytes)}</td>
              <td className="wide-only">{formatTimestamp(vm.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

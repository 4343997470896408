// Open compliance violations: the VM, the framework and requirement (number and title), what is
// wrong, and the fields that fix it.
import type { ComplianceViolation } from "@metald/proto";
import { Link } from "@tanstack/react-router";
import { formatTimestamp } from "../../../shared/format";
import { TableScroll } from "../../../shared/ui/table-scroll";
import { EventSeverityBadge } from "../../security-events/components/event-severity";
import { frameworkLabel } from "../api/get-vm-compliance";

export function ViolationTable({
  violations,
  caption,
}: {
  violations: readonly ComplianceViolation[];
  caption: string;
}) {
  return (
    <TableScroll label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">VM</th>
            <th scope="col">Requirement</th>
            <th scope="col">Severity</th>
            <th scope="col">Problem</th>
            <th scope="col">Fixed by</th>
            <th scope="col">Since</th>
          </tr>
        </thead>
        <tbody>
          {violations.map((v) => (
            <tr key={`${v.vmId} ${v.framework} ${v.requirement}`}>
              <td>
                <Link to="/vms/$vmId" params={{ vmId: v.vmId }}>
                  {v.vmId}
                </Link>
                {v.customerId && <div>{v.customerId}</div>}
              </td>
              <td>
                {frameworkLabel(v.framework)} {v.requirement}
                <div>{v.title}</div>
              </td>
              <td>
                <EventSeverityBadge severity={v.severity} />
              </td>
              <td>{v.description}</td>
              <td>
                <ul className="plain-list">
                  {v.fixFields.map((f) => (
                    <li key={f} className="mono">
                      {f}
                    </li>
                  ))}
                </ul>
              </td>
              <td>{formatTimestamp(v.timestamp)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

// The accepted settings of a VM that this host does not act on, with why: GetVmNetworkSecurity's
// `not_enforced`. Shown above the effective settings, so that "on" in them is never read as
// enforced when it is not.
import type { NotEnforcedField } from "@metald/proto";
import { Badge } from "../../../shared/ui/badge";
import { TableScroll } from "../../../shared/ui/table-scroll";
import { formatPolicyValue } from "./security-provenance";

export function NotEnforcedFields({ fields }: { fields: readonly NotEnforcedField[] }) {
  if (fields.length === 0)
    return <p>Every setting of this VM is enforced on its host, or was refused when given.</p>;
  const caption = "Settings this host does not enforce";
  return (
    <TableScroll label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Setting</th>
            <th scope="col">Interface</th>
            <th scope="col">Value</th>
            <th scope="col">Layer</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {fields.map((f) => (
            <tr key={`${f.interfaceId}/${f.field}`}>
              <th scope="row" className="mono">
                {f.field}
              </th>
              <td className="mono">{f.interfaceId || "whole VM"}</td>
              <td className="mono">{formatPolicyValue(f.value)}</td>
              <td>{f.source ? <Badge tone="warning">{f.source}</Badge> : "—"}</td>
              <td>{f.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

// One interface's effective security settings, each with the layer it came from (default ←
// profile ← tenant ← request) and its value: GetVmNetworkSecurity's `sources`.
import type { InterfaceSecurityStatus } from "@metald/proto";
import { Badge, type BadgeTone } from "../../../shared/ui/badge";
import { TableScroll } from "../../../shared/ui/table-scroll";

const LAYER_TONES: Record<string, BadgeTone> = {
  default: "neutral",
  profile: "info",
  tenant: "warning",
  request: "good",
};

/** A value the server sent as JSON, for reading. */
export function formatPolicyValue(json: string): string {
  if (json === "") return "—";
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return json;
  }
  if (value === null || value === "") return "—";
  if (typeof value === "boolean") return value ? "on" : "off";
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function SecurityProvenance({ status }: { status: InterfaceSecurityStatus }) {
  const caption = `Effective security of ${status.interfaceId}`;
  const sources = [...status.sources].sort((a, b) => a.field.localeCompare(b.field));
  return (
    <TableScroll label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Setting</th>
            <th scope="col">Value</th>
            <th scope="col">Layer</th>
          </tr>
        </thead>
        <tbody>
          {sources.map((s) => (
            <tr key={s.field}>
              <th scope="row" className="mono">
                {s.field}
              </th>
              <td className="mono">{formatPolicyValue(s.value)}</td>
              <td>
                <Badge tone={LAYER_TONES[s.source] ?? "neutral"}>{s.source}</Badge>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

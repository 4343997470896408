// A VM's standing under one framework, in words with a tone.
import { Badge, type BadgeTone } from "../../../shared/ui/badge";
import type { FrameworkCell, FrameworkStatus } from "../api/get-vm-compliance";

const STATUS: Record<FrameworkStatus, { label: string; tone: BadgeTone }> = {
  compliant: { label: "Compliant", tone: "good" },
  non_compliant: { label: "Non-compliant", tone: "danger" },
  pending: { label: "Pending audit", tone: "warning" },
  not_required: { label: "Not required", tone: "neutral" },
};

export function ComplianceStatusBadge({ cell }: { cell: FrameworkCell }) {
  const s = STATUS[cell.status];
  return (
    <Badge tone={s.tone}>
      {s.label}
      {cell.violated > 0 && ` (${cell.violated})`}
    </Badge>
  );
}

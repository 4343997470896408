// A VM's lifecycle state in words, and its quarantine.
import { VmState } from "@metald/proto";
import { Badge, type BadgeTone } from "../../../shared/ui/badge";

export const VM_STATES: readonly {
  state: VmState;
  name: string;
  label: string;
  tone: BadgeTone;
}[] = [
  { state: VmState.CREATED, name: "CREATED", label: "Created", tone: "info" },
  { state: VmState.RUNNING, name: "RUNNING", label: "Running", tone: "good" },
  { state: VmState.PAUSED, name: "PAUSED", label: "Paused", tone: "warning" },
  { state: VmState.SHUTDOWN, name: "SHUTDOWN", label: "Shut down", tone: "neutral" },
  { state: VmState.TERMINATED, name: "TERMINATED", label: "Terminated", tone: "neutral" },
  { state: VmState.FAILED, name: "FAILED", label: "Failed", tone: "danger" },
];

export function vmStateLabel(state: VmState): string {
  return VM_STATES.find((s) => s.state === state)?.label ?? "Unknown";
}

export function VmStateBadge({ state }: { state: VmState }) {
  const s = VM_STATES.find((x) => x.state === state);
  return <Badge tone={s?.tone ?? "neutral"}>{s?.label ?? "Unknown"}</Badge>;
}

export function IsolatedBadge() {
  return <Badge tone="danger">Isolated</Badge>;
}

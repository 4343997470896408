// Create a VM: a form for the common fields, or the raw CreateVm JSON.
import { useState } from "react";
import { PageHeader } from "../../../shared/ui/page-header";
import { useCaller } from "../../auth/api/get-host-info";
import { CreateVmForm } from "./create-vm-form";
import { CreateVmJson } from "./create-vm-json";

type Mode = "form" | "json";

const MODES: readonly { mode: Mode; label: string }[] = [
  { mode: "form", label: "Form" },
  { mode: "json", label: "JSON" },
];

export function CreateVmPage() {
  const caller = useCaller();
  const [mode, setMode] = useState<Mode>("form");
  // Tabs: arrow keys move between them, as in the ARIA tabs pattern.
  const onKey = (e: React.KeyboardEvent) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    const next = mode === "form" ? "json" : "form";
    setMode(next);
    document.getElementById(`create-vm-tab-${next}`)?.focus();
  };
  return (
    <>
      <PageHeader title="Create a VM" subtitle={caller.tenantId && `Tenant ${caller.tenantId}`} />
      <div className="card">
        <div className="tabs" role="tablist" aria-label="How to describe the VM">
          {MODES.map((m) => (
            <button
              key={m.mode}
              id={`create-vm-tab-${m.mode}`}
              type="button"
              role="tab"
              aria-selected={mode === m.mode}
              aria-controls={`create-vm-panel-${m.mode}`}
              tabIndex={mode === m.mode ? 0 : -1}
              onClick={() => setMode(m.mode)}
              onKeyDown={onKey}
            >
              {m.label}
            </button>
          ))}
        </div>
        <div
          id={`create-vm-panel-${mode}`}
          role="tabpanel"
          aria-labelledby={`create-vm-tab-${mode}`}
          className="tab-panel"
        >
          {mode === "form" ? <CreateVmForm fixedTenant={caller.tenantId} /> : <CreateVmJson />}
        </div>
      </div>
    </>
  );
}

// What can be done to a VM, each behind a confirmation: boot or shut down, quarantine or release
// it (operators; a reason is required and goes into the audit trail), delete it.
import { VmState } from "@metald/proto";
import { useState } from "react";
import { Button } from "../../../shared/ui/button";
import { ConfirmDialog } from "../../../shared/ui/confirm-dialog";
import { TextField } from "../../../shared/ui/field";
import { useBootVm } from "../api/boot-vm";
import { useDeleteVm } from "../api/delete-vm";
import { useIsolateVm } from "../api/isolate-vm";
import { useShutdownVm } from "../api/shutdown-vm";
import { useUnisolateVm } from "../api/unisolate-vm";

type Action = "boot" | "shutdown" | "isolate" | "release" | "delete";

export function VmActions({
  vmId,
  state,
  isolated,
  canQuarantine,
  canChange,
  onDone,
}: {
  vmId: string;
  state: VmState;
  isolated: boolean;
  canQuarantine: boolean;
  canChange: boolean;
  /** Told what was done, for the page's status message. */
  onDone: (message: string) => void;
}) {
  const [open, setOpen] = useState<Action>();
  const [reason, setReason] = useState("");
  const boot = useBootVm();
  const shutdown = useShutdownVm();
  const isolate = useIsolateVm();
  const release = useUnisolateVm();
  const remove = useDeleteVm();
  const mutations = { boot, shutdown, isolate, release, delete: remove };
  const current = open && mutations[open];

  if (state === VmState.TERMINATED || !canChange) return null;
  const close = () => {
    current?.reset();
    setOpen(undefined);
    setReason("");
  };
  const finish = (message: string) => () => {
    close();
    onDone(message);
  };
  const confirm = () => {
    if (open === "boot") boot.mutate({ vmId }, { onSuccess: finish("VM booted.") });
    if (open === "shutdown") shutdown.mutate({ vmId }, { onSuccess: finish("VM shut down.") });
    if (open === "isolate")
      isolate.mutate({ vmId, reason: reason.trim() }, { onSuccess: finish("VM isolated.") });
    if (open === "release")
      release.mutate(
        { vmId, reason: reason.trim() },
        { onSuccess: finish("VM released from isolation.") },
      );
    if (open === "delete") remove.mutate({ vmId }, { onSuccess: finish("VM deleted.") });
  };
  const running = state === VmState.RUNNING;
  const needsReason = open === "isolate" || open === "release";
  const dialog: Record<Action, { title: string; label: string; text: string }> = {
    boot: { title: "Boot this VM?", label: "Boot", text: "The VM's guest starts." },
    shutdown: {
      title: "Shut down this VM?",
      label: "Shut down",
      text: "The VM's guest stops; its network settings stay.",
    },
    isolate: {
      title: "Isolate this VM?",
      label: "Isolate",
      text: "All of the VM's traffic is dropped until it is released. Its tenant sees the quarantine and the reason.",
    },
    release: {
      title: "Release this VM?",
      label: "Release",
      text: "The VM's traffic flows again under its security settings.",
    },
    delete: {
      title: "Delete this VM?",
      label: "Delete",
      text: "The VM is terminated and its host resources removed. Its history stays.",
    },
  };

  return (
    <div className="page-header__actions">
      {running ? (
        <Button onClick={() => setOpen("shutdown")}>Shut down</Button>
      ) : (
        <Button onClick={() => setOpen("boot")}>Boot</Button>
      )}
      {canQuarantine &&
        (isolated ? (
          <Button onClick={() => setOpen("release")}>Release</Button>
        ) : (
          <Button tone="danger" onClick={() => setOpen("isolate")}>
            Isolate
          </Button>
        ))}
      <Button tone="danger" onClick={() => setOpen("delete")}>
        Delete
      </Button>
      {open && (
        <ConfirmDialog
          open
          title={dialog[open].title}
          confirmLabel={dialog[open].label}
          tone={open === "isolate" || open === "delete" ? "danger" : "primary"}
          busy={current?.isPending}
          error={current?.error ?? undefined}
          canConfirm={!needsReason || reason.trim() !== ""}
          onConfirm={confirm}
          onCancel={close}
        >
          <p>{dialog[open].text}</p>
          <p className="mono">{vmId}</p>
          {needsReason && (
            <TextField
              label="Reason"
              name="reason"
              required
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              hint="Recorded in the audit trail and the VM's security event."
            />
          )}
        </ConfirmDialog>
      )}
    </div>
  );
}

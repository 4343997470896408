// A modal question before an action that changes a VM: the browser's own <dialog> (focus kept
// inside, Escape cancels), focus back on the button that opened it when it closes.
import { type ReactNode, useEffect, useRef } from "react";
import { errorText } from "../api/field-error";
import { Button, type ButtonTone } from "./button";

export interface ConfirmDialogProps {
  open: boolean;
  title: string;
  children?: ReactNode;
  confirmLabel: string;
  tone?: ButtonTone;
  busy?: boolean;
  /** A failure of the action, shown in the dialog (which stays open). */
  error?: unknown;
  /** False while something in the dialog (a required reason) is missing. */
  canConfirm?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  tone = "primary",
  busy = false,
  error,
  canConfirm = true,
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!open || !dialog) return;
    const opener = document.activeElement;
    if (!dialog.open) {
      if (typeof dialog.showModal === "function") dialog.showModal();
      else dialog.setAttribute("open", "");
    }
    // Closed or removed: focus goes back where it was.
    return () => {
      // (jsdom has no close(): there the attribute goes.)
      if (dialog.open && typeof dialog.close === "function") dialog.close();
      else dialog.removeAttribute("open");
      if (opener instanceof HTMLElement) opener.focus();
    };
  }, [open]);
  const titleId = `${title.replace(/\W+/g, "-").toLowerCase()}-title`;
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onCancel();
      }}
    >
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (canConfirm && !busy) onConfirm();
        }}
      >
        <h2 id={titleId}>{title}</h2>
        <div className="dialog__body">{children}</div>
        {error !== undefined && error !== null && (
          <p className="dialog__error" role="alert">
            {errorText(error)}
          </p>
        )}
        <div className="dialog__actions">
          <Button onClick={onCancel} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" tone={tone} busy={busy} disabled={!canConfirm}>
            {confirmLabel}
          </Button>
        </div>
      </form>
    </dialog>
  );
}

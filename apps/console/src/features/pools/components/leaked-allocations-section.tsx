// A pool's leaked allocations (addresses still held for a VM that is gone, terminated or
// failed) and, for operators, their cleanup behind a confirmation that names every address
// the cleanup would release on the host (a dry run), not only this pool's.
import type { Allocation } from "@metald/proto";
import { useState } from "react";
import { formatTimestamp } from "../../../shared/format";
import { Button } from "../../../shared/ui/button";
import { ConfirmDialog } from "../../../shared/ui/confirm-dialog";
import { EmptyState, LoadingState } from "../../../shared/ui/states";
import { TableScroll } from "../../../shared/ui/table-scroll";
import { useCleanupAllocations, useCleanupPreview } from "../api/cleanup-allocations";

function CleanupDialog({ onClose, onDone }: { onClose: () => void; onDone: (n: number) => void }) {
  const preview = useCleanupPreview(true);
  const cleanup = useCleanupAllocations();
  const addresses = preview.data?.addresses ?? [];
  return (
    <ConfirmDialog
      open
      title="Release leaked addresses?"
      confirmLabel="Release"
      tone="danger"
      busy={cleanup.isPending}
      error={cleanup.error ?? preview.error ?? undefined}
      canConfirm={preview.isSuccess && addresses.length > 0}
      onConfirm={() => cleanup.mutate({ dryRun: false }, { onSuccess: (r) => onDone(r.released) })}
      onCancel={onClose}
    >
      {preview.isPending ? (
        <LoadingState label="Finding leaked addresses…" />
      ) : (
        <>
          <p>
            Every leaked allocation on this host is released, in every pool:{" "}
            {addresses.length === 1 ? "1 address" : `${addresses.length} addresses`}. Their
            addresses can be allocated again.
          </p>
          <ul className="plain-list mono">
            {addresses.map((a) => (
              <li key={a}>{a}</li>
            ))}
          </ul>
        </>
      )}
    </ConfirmDialog>
  );
}

export function LeakedAllocationsSection({
  leaked,
  canClean,
  onDone,
}: {
  leaked: Allocation[];
  canClean: boolean;
  onDone: (message: string) => void;
}) {
  const [open, setOpen] = useState(false);
  return (
    <section className="card" aria-labelledby="pool-leaked">
      <h2 id="pool-leaked">Leaked allocations</h2>
      {leaked.length === 0 ? (
        <EmptyState title="No leaked allocation in this pool." />
      ) : (
        <>
          <p className="page-header__subtitle">
            Addresses still held for a VM that no longer exists (or terminated, or failed).
          </p>
          <TableScroll label="Leaked allocations">
            <table>
              <caption className="visually-hidden">Leaked allocations</caption>
              <thead>
                <tr>
                  <th scope="col">Address</th>
                  <th scope="col">Interface</th>
                  <th scope="col">Allocated</th>
                </tr>
              </thead>
              <tbody>
                {leaked.map((a) => (
                  <tr key={a.address}>
                    <th scope="row" className="mono">
                      {a.address}
                    </th>
                    <td>{a.interfaceId || "—"}</td>
                    <td>{formatTimestamp(a.allocatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          {canClean && (
            <div className="form__actions">
              <Button tone="danger" onClick={() => setOpen(true)}>
                Release leaked addresses
              </Button>
            </div>
          )}
        </>
      )}
      {open && (
        <CleanupDialog
          onClose={() => setOpen(false)}
          onDone={(n) => {
            setOpen(false);
            onDone(n === 1 ? "1 leaked address released." : `${n} leaked addresses released.`);
          }}
        />
      )}
    </section>
  );
}

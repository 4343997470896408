// The VM's configuration history: its versions, newest first (who made each change, the
// controls it changed), two of them picked, and what changed between them path by path.
import type { VmConfigVersion } from "@metald/proto";
import { useState } from "react";
import { formatTimestamp } from "../../../shared/format";
import { Button } from "../../../shared/ui/button";
import { EmptyState, ErrorState, LoadingState } from "../../../shared/ui/states";
import { TableScroll } from "../../../shared/ui/table-scroll";
import { useDiffVmConfigVersions } from "../api/diff-vm-config-versions";
import { useListVmConfigVersions } from "../api/list-vm-config-versions";

interface Pick {
  from?: number;
  to?: number;
}

/** A value as JSON text, or what its absence means on that side. */
function JsonValue({ json, absent }: { json: string; absent: string }) {
  return json === "" ? <em>{absent}</em> : <code className="mono">{json}</code>;
}

function VersionTable({
  versions,
  pick,
  onPick,
}: {
  versions: VmConfigVersion[];
  pick: Required<Pick>;
  onPick: (pick: Pick) => void;
}) {
  return (
    <TableScroll label="Configuration versions">
      <table>
        <caption className="visually-hidden">Configuration versions, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Stored</th>
            <th scope="col">By</th>
            <th scope="col">Change</th>
            <th scope="col">Controls changed</th>
            <th scope="col">From</th>
            <th scope="col">To</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version}>
              <th scope="row">{v.version}</th>
              <td>{formatTimestamp(v.createdAt)}</td>
              <td>{v.actor || "—"}</td>
              <td className="mono">{v.action || "—"}</td>
              <td>{v.changedControls.join(", ") || "none"}</td>
              <td>
                <input
                  type="radio"
                  name="history-from"
                  aria-label={`Compare from version ${v.version}`}
                  checked={pick.from === v.version}
                  onChange={() => onPick({ ...pick, from: v.version })}
                />
              </td>
              <td>
                <input
                  type="radio"
                  name="history-to"
                  aria-label={`Compare to version ${v.version}`}
                  checked={pick.to === v.version}
                  onChange={() => onPick({ ...pick, to: v.version })}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

function VersionDiff({ vmId, from, to }: { vmId: string; from: number; to: number }) {
  const diff = useDiffVmConfigVersions(
    from === to ? undefined : { vmId, fromVersion: from, toVersion: to },
  );
  const title = `Changes from version ${from} to version ${to}`;
  if (from === to) return <EmptyState title="Pick two different versions to compare." />;
  if (diff.isPending) return <LoadingState label="Comparing the versions…" />;
  if (diff.isError)
    return (
      <ErrorState
        title="Could not compare the versions"
        error={diff.error}
        onRetry={() => diff.refetch()}
      />
    );
  if (diff.data.changes.length === 0)
    return <EmptyState title={`Versions ${from} and ${to} are the same configuration.`} />;
  return (
    <TableScroll label={title}>
      <table>
        <caption className="visually-hidden">{title}</caption>
        <thead>
          <tr>
            <th scope="col">Path</th>
            <th scope="col">Version {from}</th>
            <th scope="col">Version {to}</th>
          </tr>
        </thead>
        <tbody>
          {diff.data.changes.map((c) => (
            <tr key={c.path}>
              <th scope="row" className="mono">
                {c.path}
              </th>
              <td>
                <JsonValue json={c.beforeJson} absent="not set" />
              </td>
              <td>
                <JsonValue json={c.afterJson} absent="removed" />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

export function VmHistorySection({ vmId }: { vmId: string }) {
  const list = useListVmConfigVersions(vmId);
  const [chosen, setChosen] = useState<Pick>({});
  if (list.isPending) return <LoadingState label="Loading the configuration history…" />;
  if (list.isError)
    return (
      <ErrorState
        title="Could not load the configuration history"
        error={list.error}
        onRetry={() => list.refetch()}
      />
    );
  const versions = list.data.pages.flatMap((p) => p.versions);
  const [newest, previous] = versions;
  if (!newest) return <EmptyState title="This VM has no stored version." />;
  // Until two are picked: the newest change (the version before the newest → the newest).
  const pick = {
    from: chosen.from ?? previous?.version ?? newest.version,
    to: chosen.to ?? newest.version,
  };
  return (
    <div className="stack">
      <VersionTable versions={versions} pick={pick} onPick={setChosen} />
      {list.hasNextPage && (
        <Button busy={list.isFetchingNextPage} onClick={() => list.fetchNextPage()}>
          Older versions
        </Button>
      )}
      <section aria-labelledby="vm-history-diff">
        <h3 id="vm-history-diff">
          Changes from version {pick.from} to version {pick.to}
        </h3>
        {versions.length === 1 ? (
          <EmptyState title="Only one version so far: nothing to compare." />
        ) : (
          <VersionDiff vmId={vmId} from={pick.from} to={pick.to} />
        )}
      </section>
    </div>
  );
}

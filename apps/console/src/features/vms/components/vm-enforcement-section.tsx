// What enforces the VM on this host: per control the packets and bytes its set elements
// dropped (the kernel's last reading, asked again every 2 s), and the VM's elements of the
// metald_security sets as nft writes them.
import type { ControlCounter, EnforcementElement } from "@metald/proto";
import { EmptyState, ErrorState, LoadingState } from "../../../shared/ui/states";
import { TableScroll } from "../../../shared/ui/table-scroll";
import { ENFORCEMENT_REFRESH_MS, useGetVmEnforcement } from "../api/get-vm-enforcement";

const CATEGORY_LABELS: Record<string, string> = {
  ra_guard: "RA guard",
  source_guard: "Source guard",
  extension_headers: "Extension headers",
  rate_limit: "Rate limit",
  rule_list: "Rule list",
  address_policy: "Address policy",
  quarantine: "Quarantine",
  isolation: "Tenant isolation",
  other: "Other",
};

const TIME = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

function CounterTable({ counters }: { counters: ControlCounter[] }) {
  return (
    <TableScroll label="Counters per control">
      <table>
        <caption className="visually-hidden">Counters per control</caption>
        <thead>
          <tr>
            <th scope="col">Control</th>
            <th scope="col">What it drops</th>
            <th scope="col">Interface</th>
            <th scope="col">Set</th>
            <th scope="col" className="numeric">
              Packets
            </th>
            <th scope="col" className="numeric">
              Bytes
            </th>
          </tr>
        </thead>
        <tbody>
          {counters.map((c) => (
            <tr key={`${c.port} ${c.set}`}>
              <th scope="row">{CATEGORY_LABELS[c.category] ?? c.category}</th>
              <td>{c.control}</td>
              <td>
                {c.interfaceId} <span className="mono">({c.port})</span>
              </td>
              <td className="mono">{c.set}</td>
              <td className="numeric" data-set={c.set}>
                {c.packets.toLocaleString()}
              </td>
              <td className="numeric">{c.bytes.toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

function ElementTable({ elements }: { elements: EnforcementElement[] }) {
  return (
    <TableScroll label="Set elements">
      <table>
        <caption className="visually-hidden">Set elements</caption>
        <thead>
          <tr>
            <th scope="col">Set</th>
            <th scope="col">Table</th>
            <th scope="col">Element</th>
          </tr>
        </thead>
        <tbody>
          {elements.map((e) => (
            <tr key={`${e.set} ${e.element}`}>
              <th scope="row" className="mono">
                {e.set}
              </th>
              <td className="mono">{e.family} metald_security</td>
              <td className="mono">{e.element}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

export function VmEnforcementSection({
  vmId,
  refreshMs,
}: {
  vmId: string;
  /** How often to ask again (default: the server's counter reading interval). */
  refreshMs?: number;
}) {
  const enforcement = useGetVmEnforcement(vmId, refreshMs);
  if (enforcement.isPending) return <LoadingState label="Reading the VM's enforcement…" />;
  if (enforcement.isError)
    return (
      <ErrorState
        title="Could not read the VM's enforcement"
        error={enforcement.error}
        onRetry={() => enforcement.refetch()}
      />
    );
  const e = enforcement.data;
  return (
    <div className="stack">
      <section aria-labelledby="vm-counters">
        <h3 id="vm-counters">Counters per control</h3>
        {!e.countersAvailable ? (
          <EmptyState title="This host reads no kernel counters (dry-run driver)." />
        ) : e.counters.length === 0 ? (
          <EmptyState title="No counted control enforces this VM." />
        ) : (
          <>
            <p className="page-header__subtitle">
              Exact counts of the kernel's last reading, asked again every{" "}
              {ENFORCEMENT_REFRESH_MS / 1000} s; last asked at{" "}
              {TIME.format(enforcement.dataUpdatedAt)}.
            </p>
            <CounterTable counters={e.counters} />
          </>
        )}
      </section>
      <section aria-labelledby="vm-elements">
        <h3 id="vm-elements">Set elements</h3>
        {e.elements.length === 0 ? (
          <EmptyState title="The VM has no elements on this host (it is terminated)." />
        ) : (
          <ElementTable elements={e.elements} />
        )}
      </section>
    </div>
  );
}

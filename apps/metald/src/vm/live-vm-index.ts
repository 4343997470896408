// The live (not terminated) VMs in memory, for what runs on a timer (counter poll, metrics,
// packet-sample attribution): read from the database once at start, then kept current by the
// events each VM change commits (config_change for create, update, delete and their reverts;
// vm_quarantined and vm_released), re-reading only the VM an event names. A timer therefore
// never reads every VM. Only this host's VMs: others of the fleet are another host's to enforce.
import type { StoredSecurityEvent } from "@metald/db";
import type { VmProvisioner, VmView } from "./vm-provisioner.js";

/** Events that mean a VM's configuration, quarantine or existence changed. */
const VM_CHANGE_EVENTS = new Set(["config_change", "vm_quarantined", "vm_released"]);

export interface LiveVmIndexOptions {
  provisioner: Pick<VmProvisioner, "get" | "list">;
  /** Called when re-reading a changed VM fails (the VM is read again at its next change). */
  onError: (error: unknown, vmId: string) => void;
  /** The host whose VMs are indexed (a VM of another host is left out). */
  hostId?: string;
  /** VMs per page of the start-up read (default 1,000). */
  pageSize?: number;
}

export interface LiveVmIndex {
  /** Every live VM, as of the last change announced and re-read. */
  list(): VmView[];
  /** Re-reads one VM (a VM another host took over leaves the index). */
  refresh(vmId: string): void;
  /** The event pipeline's listener: re-reads the VMs whose change was committed. */
  onStoredEvents(events: readonly StoredSecurityEvent[]): void;
  /** Resolves once every VM scheduled for a re-read so far is read. */
  settled(): Promise<void>;
}

/** Reads the live VMs once; `subscribe` is called first, so no change committed meanwhile is missed. */
export async function loadLiveVmIndex(
  options: LiveVmIndexOptions,
  subscribe: (listener: (events: readonly StoredSecurityEvent[]) => void) => void,
): Promise<LiveVmIndex> {
  const live = new Map<string, VmView>();
  const ownHost = (vm: VmView) =>
    options.hostId === undefined || vm.record.hostId === options.hostId;
  // Per VM, the last scheduled re-read: re-reads of one VM run in the order of its events.
  const pending = new Map<string, Promise<void>>();
  // VMs re-read during the start-up read: its (older) page must not overwrite them.
  const touched = new Set<string>();
  let loading = true;

  function refresh(vmId: string): void {
    if (loading) touched.add(vmId);
    const next = (pending.get(vmId) ?? Promise.resolve())
      .then(async () => {
        const view = await options.provisioner.get(vmId);
        if (view && view.record.state !== "TERMINATED" && ownHost(view)) live.set(vmId, view);
        else live.delete(vmId);
      })
      .catch((error: unknown) => options.onError(error, vmId));
    pending.set(vmId, next);
    void next.then(() => {
      if (pending.get(vmId) === next) pending.delete(vmId);
    });
  }

  const index: LiveVmIndex = {
    list: () => [...live.values()],
    refresh,
    onStoredEvents(events) {
      for (const id of new Set(
        events.filter((e) => VM_CHANGE_EVENTS.has(e.eventType) && e.vmId).map((e) => e.vmId),
      ))
        if (id) refresh(id);
    },
    async settled() {
      await Promise.all(pending.values());
    },
  };
  subscribe((events) => index.onStoredEvents(events));
  let afterId: string | undefined;
  for (;;) {
    const page = await options.provisioner.list({
      afterId,
      limit: options.pageSize ?? 1000,
      hostId: options.hostId,
      excludeStates: ["TERMINATED"],
    });
    if (page.length === 0) break;
    afterId = page[page.length - 1]?.record.id;
    for (const vm of page) if (!touched.has(vm.record.id)) live.set(vm.record.id, vm);
  }
  loading = false;
  touched.clear();
  return index;
}

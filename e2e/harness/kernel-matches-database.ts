// The kernel against the database on a sandbox host: what the database says should exist (the
// live VMs of ListVms and the plan of each, from /debug/network/vm/<id>) compared with what
// kernel-state.ts reads. Every difference is named; none means: every live VM's set and map
// elements, rate classes with their meters, ports (up, on their bridge, sysctls at 0), bridges,
// guest namespaces (loopback up, named after the sandbox; the stored MAC and addresses) are in
// the kernel, and nothing of any other VM is. Used by the crash-consistency test and the soak.
import { type GuestState, type KernelState, readKernelState } from "./kernel-state.js";

export interface DesiredVm {
  vmId: string;
  elements: Record<string, string[]>;
  interfaces: {
    tap_device: string;
    guest_namespace: string;
    bridge: string;
    mac_address: string;
    ipv6?: { address?: string };
  }[];
}

/** Rate-class sets (members): what concurrent-create.test.ts names so. */
const CLASS_SET = /^(rl_(nd|icmpv6|multicast|pps|bandwidth|ra)_\d+_\d+|cl_\d+)$/;
/** Host-wide sets no VM's plan fills (blocked sources, sample boosts): not compared here. */
const HOST_SETS = new Set(["blocked_sources", "sample_boost", "sample_boost_addrs"]);

const sorted = (items: Iterable<string>) => [...items].sort();

/** "what: missing […]; extra […]" when two lists differ, as sets. */
function differs(what: string, actual: string[], wanted: string[]): string[] {
  const has = new Set(actual);
  const want = new Set(wanted);
  const missing = wanted.filter((x) => !has.has(x));
  const extra = actual.filter((x) => !want.has(x));
  if (missing.length === 0 && extra.length === 0) return [];
  return [`${what}: missing ${JSON.stringify(missing)}, extra ${JSON.stringify(extra)}`];
}

/**
 * Every difference between the kernel and the live VMs' plans (pure: no I/O). `sandbox` names
 * the namespace whose name each guest's loopback alias carries.
 */
export function kernelMismatches(
  kernel: KernelState,
  live: DesiredVm[],
  sandbox: string,
): string[] {
  const problems: string[] = [];
  // Sets and maps: exactly the union of the live VMs' elements.
  const wanted = new Map<string, string[]>();
  for (const vm of live)
    for (const [set, elements] of Object.entries(vm.elements))
      wanted.set(set, [...(wanted.get(set) ?? []), ...elements]);
  const setNames = new Set([...Object.keys(kernel.sets), ...wanted.keys()]);
  for (const set of sorted(setNames)) {
    if (HOST_SETS.has(set)) continue;
    problems.push(...differs(`set ${set}`, kernel.sets[set] ?? [], wanted.get(set) ?? []));
  }
  // Rate classes: the sets live VMs need, each with its meters, and no other.
  const classesInKernel = Object.keys(kernel.sets).filter((s) => CLASS_SET.test(s));
  const classesWanted = [...wanted]
    .filter(([set, elements]) => CLASS_SET.test(set) && elements.length > 0)
    .map(([set]) => set);
  problems.push(...differs("rate classes", classesInKernel, classesWanted));
  problems.push(
    ...differs(
      "rate meters",
      kernel.meters,
      classesInKernel.flatMap((s) => [
        s.replace(/^rl_/, "rlm_").replace(/^cl_/, "clm_"),
        // A pps class also counts the burst allowance used through a second meter.
        ...(s.startsWith("rl_pps_") ? [s.replace(/^rl_/, "rlb_")] : []),
      ]),
    ),
  );

  // Ports and bridges: those of live VMs, each port up on its bridge, each bridge up.
  const interfaces = live.flatMap((vm) => vm.interfaces);
  const ofKind = (kind: string) => kernel.links.filter((l) => l.kind === kind);
  problems.push(
    ...differs(
      "ports",
      ofKind("veth").map((l) => l.name),
      interfaces.map((i) => i.tap_device),
    ),
  );
  problems.push(
    ...differs(
      "bridges",
      ofKind("bridge").map((l) => l.name),
      [...new Set(interfaces.map((i) => i.bridge))],
    ),
  );
  for (const i of interfaces) {
    const port = kernel.links.find((l) => l.name === i.tap_device);
    if (port && (!port.up || port.master !== i.bridge))
      problems.push(
        `port ${i.tap_device}: up ${port.up}, on ${port.master} (wanted up on ${i.bridge})`,
      );
  }
  for (const bridge of ofKind("bridge"))
    if (!bridge.up) problems.push(`bridge ${bridge.name} is down`);
  // The host end of every port and every bridge accepts nothing from the guests.
  for (const line of kernel.sysctlsNotZero) problems.push(`sysctl ${line}`);

  // Guest namespaces: one per live VM's interface namespace, none for any other VM.
  const guests = new Map<string, GuestState>(kernel.guests.map((g) => [g.namespace, g]));
  problems.push(
    ...differs(
      "guest namespaces",
      [...guests.keys()],
      [...new Set(interfaces.map((i) => i.guest_namespace))],
    ),
  );
  for (const vm of live) {
    const namespace = vm.interfaces[0]?.guest_namespace ?? "";
    const guest = guests.get(namespace);
    if (!guest) continue;
    // Loopback up and named after this host (one command after the namespace is made: a kill
    // in between leaves it down).
    if (!guest.loopbackUp || guest.loopbackAlias !== `metald:${sandbox}`)
      problems.push(
        `${vm.vmId} guest loopback: up ${guest.loopbackUp}, alias ${guest.loopbackAlias}`,
      );
    // Guest side: the stored MAC and addresses.
    const stored = vm.interfaces
      .filter((i) => i.guest_namespace === namespace)
      .map((i) => ({ mac: i.mac_address, addresses: i.ipv6?.address ? [i.ipv6.address] : [] }));
    if (JSON.stringify(guest.interfaces) !== JSON.stringify(stored))
      problems.push(
        `${vm.vmId} guest interfaces: ${JSON.stringify(guest.interfaces)}, stored ${JSON.stringify(stored)}`,
      );
  }
  return problems;
}

/** The database's live VMs and their plans, through the API of the server at `url`. */
export async function readDesiredVms(url: string): Promise<DesiredVm[]> {
  const res = await fetch(`${url}/vmprovisioner.v1.VmService/ListVms`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ page_size: 1000 }),
  });
  if (res.status !== 200) throw new Error(`ListVms answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { vms?: { vmId: string; state: string }[] };
  const live = (body.vms ?? []).filter((v) => v.state !== "VM_STATE_TERMINATED");
  return Promise.all(
    live.map(async ({ vmId }) => {
      const debug = await fetch(`${url}/debug/network/vm/${vmId}`);
      const text = await debug.text();
      if (debug.status !== 200) throw new Error(`plan of ${vmId}: ${debug.status} ${text}`);
      return { vmId, ...(JSON.parse(text) as Omit<DesiredVm, "vmId">) };
    }),
  );
}

export interface HostComparison {
  /** Live VM ids (the database's). */
  live: string[];
  /** Every difference, empty when the kernel matches the database. */
  mismatches: string[];
}

/**
 * Compares the sandbox host of the server at `url` with its database. `candidates`: VM ids
 * whose guest namespaces to look for besides those the sandbox marked (every id a create was
 * sent for).
 */
export async function compareKernelWithDatabase(
  url: string,
  sandbox: string,
  candidates: Iterable<string> = [],
): Promise<HostComparison> {
  const live = await readDesiredVms(url);
  const kernel = await readKernelState(sandbox, candidates);
  return { live: live.map((v) => v.vmId), mismatches: kernelMismatches(kernel, live, sandbox) };
}

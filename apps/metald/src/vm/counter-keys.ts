// A VM's port names and the keys its kernel counters are filed under (each port's name and its
// addresses, as countersOf takes them), worked out once per VM view: a port name is a hash of
// the VM id, and what runs on every counter reading or sample-attribution refresh must not hash
// every VM again. A VM's change replaces its view, so a view's names never go stale.
import { tapName } from "@metald/core";
import type { VmView } from "./vm-provisioner.js";

const knownKeys = new WeakMap<VmView, readonly string[]>();
const knownPorts = new WeakMap<VmView, readonly string[]>();

/** The names of the VM's ports on the host side, one per interface, in interface order. */
export function portNamesOf(vm: VmView): readonly string[] {
  let ports = knownPorts.get(vm);
  if (!ports) {
    ports = vm.spec.interfaces.map((_, i) => tapName(vm.record.id, i));
    knownPorts.set(vm, ports);
  }
  return ports;
}

export function counterKeysOf(vm: VmView): readonly string[] {
  let keys = knownKeys.get(vm);
  if (!keys) {
    const ports = portNamesOf(vm);
    keys = vm.spec.interfaces.flatMap((iface, i) => [
      ports[i] ?? tapName(vm.record.id, i),
      ...iface.addresses.map((a) => a.address),
    ]);
    knownKeys.set(vm, keys);
  }
  return keys;
}

/** Whether any of the VM's keys counted something in `counters` (absent keys read as zero). */
export function countsAny(
  counters: ReadonlyMap<string, unknown>,
  keys: readonly string[],
): boolean {
  for (const key of keys) if (counters.has(key)) return true;
  return false;
}

// Writes the plan's sysctls (slash form: net/ipv6/conf/IF/KEY). In the host's own namespace the
// values are written to /proc/sys by this process: an asynchronous write to procfs is a system
// call in libuv's thread pool, no process at all, where `sysctl` costs a spawn (~5 ms through
// the spawn helper). /proc/sys/net shows the namespace of the process that opens it, so a
// namespace of its own (the sandbox) is written with one `sysctl` run inside it, all keys at once.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SysctlStep } from "../plan/host-plan.js";
import type { CommandRunner } from "./command-runner.js";

export interface SysctlWriter {
  write(entries: readonly SysctlStep[]): Promise<void>;
}

/** Keys are checked to stay below net/: a plan's interface names never climb out of it. */
function checkedKey(key: string): string {
  if (!key.startsWith("net/") || key.split("/").some((part) => part === ".." || part === ""))
    throw new Error(`sysctl key ${JSON.stringify(key)} is not a net/ key`);
  return key;
}

/** Writes to /proc/sys of this process's namespace, in order. */
export function createProcSysWriter(root = "/proc/sys"): SysctlWriter {
  return {
    async write(entries) {
      for (const { key, value } of entries) await writeFile(join(root, checkedKey(key)), value);
    },
  };
}

/**
 * `sysctl -q -p -` inside `namespace` (the runner's netns): every key in one process, read from
 * its input as `key = value` lines (a restart with 5,000 VMs writes ~20,000; as arguments that
 * took one process per 1,000). A key that cannot be written does not stop the others; the run
 * then fails naming it, as `sysctl -w` with many keys does.
 */
export function createNamespaceSysctlWriter(
  runner: CommandRunner,
  namespace: string,
): SysctlWriter {
  return {
    async write(entries) {
      if (entries.length === 0) return;
      const input = entries.map(
        ({ key, value }) => `${checkedKey(key)} = ${checkedValue(value)}\n`,
      );
      await runner.run("sysctl", ["-q", "-p", "-"], { input: input.join(""), netns: namespace });
    },
  };
}

/** A value is one word of a `key = value` line (the plans' are numbers). */
function checkedValue(value: string): string {
  if (!/^[\w.:-]+$/.test(value))
    throw new Error(`sysctl value ${JSON.stringify(value)} is not one word`);
  return value;
}

/**
 * What a link made in a namespace takes from net/ipv6/conf/default: the values every VM port
 * and tenant bridge needs (compile-host-plan.ts). Written once as the namespace's defaults, they
 * hold for every link created after, with no write per VM.
 */
export const PORT_DEFAULTS: Readonly<Record<string, string>> = {
  accept_ra: "0",
  accept_redirects: "0",
  accept_source_route: "0",
  autoconf: "0",
};

/** The defaults as entries for a namespace's net/ipv6/conf/default. */
export function portDefaultEntries(): SysctlStep[] {
  return Object.entries(PORT_DEFAULTS).map(([leaf, value]) => ({
    key: `net/ipv6/conf/default/${leaf}`,
    value,
  }));
}

/** The entries a link created under PORT_DEFAULTS does not already hold. */
export function beyondDefaults(
  entries: readonly SysctlStep[],
  createdLinks: ReadonlySet<string>,
): SysctlStep[] {
  return entries.filter(({ key, value }) => {
    const [, , , link, leaf] = key.split("/");
    return !(link && leaf && createdLinks.has(link) && PORT_DEFAULTS[leaf] === value);
  });
}

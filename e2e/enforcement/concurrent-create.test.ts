// Concurrent CreateVm and DeleteVm on an empty sandbox host: rate classes and tenant bridges are
// created with their first user and removed with their last, whatever the interleaving. After
// every wave the kernel holds exactly what the live VMs need: no leftover, nothing missing.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MetaldProcess, startMetald } from "../harness/metald-process.js";
import { canSendRealPackets } from "./sandbox-guests.js";

const exec = promisify(execFile);

/**
 * Runs a dumping command until its dump was consistent: a netlink dump that races a change
 * (the kernel tears down deleted namespaces in the background) is flagged as interrupted and
 * may miss entries.
 */
async function run(command: string, args: string[]): Promise<{ stdout: string }> {
  for (let attempt = 1; ; attempt++) {
    const out = await exec(command, args);
    if (!/interrupted/i.test(out.stderr) || attempt >= 20) return out;
  }
}
const TENANTS = 8;
const ROUNDS = 5;
const WAVE = 32;

/** Four distinct policies, each with its own rate classes (pps, connections, ND, ICMPv6 …). */
const SECURITY = [
  { profile: "SECURITY_PROFILE_HIGH" },
  {
    profile: "SECURITY_PROFILE_HIGH",
    rate_limits: { max_pps_per_vm: 2000, max_connections_per_vm: 50 },
  },
  { profile: "SECURITY_PROFILE_MEDIUM" },
  {
    profile: "SECURITY_PROFILE_HIGH",
    rate_limits: { max_pps_per_vm: 7000, max_connections_per_vm: 70 },
    neighbor_discovery: { nd_rate_limit: 40, icmpv6_rate_limit: 90 },
  },
];

/** Names of rate-class sets: members (rl_*, cl_*) and meters (rlm_*, clm_*; rlb_* for pps). */
const CLASS_SET = /^(rl_(nd|icmpv6|multicast|pps|bandwidth|ra)_\d+_\d+|cl_\d+)$/;
/** A class's meter sets: its limiter's, and a pps class's burst meter. */
const metersOf = (set: string) => [
  set.replace(/^rl_/, "rlm_").replace(/^cl_/, "clm_"),
  ...(set.startsWith("rl_pps_") ? [set.replace(/^rl_/, "rlb_")] : []),
];
/** A class's rules: its limiter, and a pps class's burst counter. */
const rulesOf = (set: string) => (set.startsWith("rl_pps_") ? 2 : 1);

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe.skipIf(!canSendRealPackets)("concurrent creates and deletes (sandbox)", () => {
  let metald: MetaldProcess;
  let namespace: string;
  let serial = 0;

  beforeAll(async () => {
    metald = await startMetald("pglite", { driver: "sandbox", logLevel: "warn" });
    namespace = metald.env.METALD_SANDBOX_NAMESPACE as string;
  });
  afterAll(async () => {
    await metald?.destroy();
  });

  async function call(method: string, body: unknown): Promise<Answer> {
    const res = await fetch(`${metald.url}/vmprovisioner.v1.VmService/${method}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  function createVm(): Promise<Answer> {
    const n = serial++;
    const tenant = n % TENANTS;
    return call("CreateVm", {
      config: {
        tenant_id: `race-${tenant}`,
        ipv6_config: {
          enabled: true,
          addresses: [`2001:db8:${(0x100 + tenant).toString(16)}::${(n + 1).toString(16)}/64`],
          security: SECURITY[n % SECURITY.length],
        },
      },
    });
  }

  /** Every call answered 200; the VM ids of the creates. */
  function succeeded(answers: Answer[]): string[] {
    const failures = answers.filter((a) => a.status !== 200);
    expect(failures).toEqual([]);
    return answers.map((a) => a.body.vmId as string).filter((id) => id !== undefined);
  }

  /** Rate-class sets and bridges the live VMs need, from each VM's stored host plan. */
  async function needed(vmIds: string[]): Promise<{ classes: string[]; bridges: string[] }> {
    const classes = new Set<string>();
    const bridges = new Set<string>();
    for (const id of vmIds) {
      const debug = (await (await fetch(`${metald.url}/debug/network/vm/${id}`)).json()) as {
        elements: Record<string, unknown[]>;
        interfaces: { bridge: string }[];
      };
      for (const [set, elements] of Object.entries(debug.elements))
        if (CLASS_SET.test(set) && elements.length > 0) classes.add(set);
      for (const iface of debug.interfaces) bridges.add(iface.bridge);
    }
    return { classes: [...classes].sort(), bridges: [...bridges].sort() };
  }

  /** What the kernel holds: rate-class sets (with their meters and rules) and bridges. */
  async function inKernel(): Promise<{
    classes: string[];
    meters: string[];
    classRules: number;
    bridges: string[];
    ports: number;
  }> {
    const { stdout } = await run("ip", ["netns", "exec", namespace, "nft", "-j", "list", "sets"]);
    const sets = (JSON.parse(stdout) as { nftables: { set?: { name: string } }[] }).nftables
      .flatMap((o) => (o.set ? [o.set.name] : []))
      .sort();
    const rules = async (family: string, chain: string) => {
      const out = await run("ip", [
        "netns",
        "exec",
        namespace,
        "nft",
        "list",
        "chain",
        family,
        "metald_security",
        chain,
      ]);
      return out.stdout.split("\n").filter((l) => / @(rl|cl)_\w+ /.test(l)).length;
    };
    const links = JSON.parse(
      (await run("ip", ["-n", namespace, "-j", "-d", "link", "show"])).stdout,
    ) as { ifname: string; linkinfo?: { info_kind?: string } }[];
    return {
      classes: sets.filter((s) => CLASS_SET.test(s)),
      meters: sets.filter((s) => /^(rlm|rlb|clm)_/.test(s)).sort(),
      classRules:
        (await rules("bridge", "rate_limits")) +
        (await rules("bridge", "ra_to_vm")) +
        (await rules("inet", "conn_limits")),
      bridges: links
        .filter((l) => l.linkinfo?.info_kind === "bridge")
        .map((l) => l.ifname)
        .sort(),
      ports: links.filter((l) => l.linkinfo?.info_kind === "veth").length,
    };
  }

  async function expectKernelMatches(live: string[]): Promise<void> {
    const want = await needed(live);
    const have = await inKernel();
    expect(have.classes).toEqual(want.classes);
    expect(have.meters).toEqual(want.classes.flatMap(metersOf).sort());
    expect(have.classRules).toBe(want.classes.reduce((n, c) => n + rulesOf(c), 0));
    expect(have.bridges).toEqual(want.bridges);
    expect(have.ports).toBe(live.length);
  }

  it(
    `answers every call, and the kernel holds exactly what live VMs need (${ROUNDS} rounds)`,
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const first = succeeded(await Promise.all(Array.from({ length: WAVE }, createVm)));
        expect(first).toHaveLength(WAVE);
        await expectKernelMatches(first);

        // Deletes and new creates interleaved, all at once.
        const mixed = await Promise.all(
          first.flatMap((vmId) => [call("DeleteVm", { vm_id: vmId }), createVm()]),
        );
        const second = succeeded(mixed);
        expect(second).toHaveLength(WAVE);
        await expectKernelMatches(second);

        succeeded(await Promise.all(second.map((vmId) => call("DeleteVm", { vm_id: vmId }))));
        await expectKernelMatches([]);
      }
    },
    15 * 60_000,
  );
});

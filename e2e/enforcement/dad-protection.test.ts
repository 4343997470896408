// Duplicate address detection under attack, with real packets in sandbox mode: a VM running
// thc-ipv6's dos-new-ip6 answers every DAD probe on its bridge with its own probe (NS from ::)
// for the same target, which on an unguarded bridge leaves the neighbour's new address
// `dadfailed`. The DAD guard drops probes whose target the sending VM does not own and counts
// them; the neighbour's address comes up, whether it boots, uses optimistic DAD or gets a new
// address through UpdateVmNetwork, and the prober's own DAD is untouched.
import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "../harness/curl-like.js";
import { type MetaldProcess, startMetald } from "../harness/metald-process.js";
import { waitUntil } from "../harness/wait-until.js";
import {
  canSendRealPackets,
  capture,
  counters,
  createGuest,
  type Guest,
  inGuest,
  packets,
  send,
  waitForAddresses,
} from "./sandbox-guests.js";

const TENANT = "dad";
const PREFIX = "2001:db8:dad";

type AddressState = "tentative" | "optimistic" | "dadfailed" | "ready" | "absent";

/** The state of one address on the guest's interface, as the kernel reports it. */
async function addressState(guest: Guest, address: string): Promise<AddressState> {
  const out = await inGuest(guest, "ip", ["-j", "-6", "addr", "show", "dev", guest.iface]);
  const info = (
    JSON.parse(out) as {
      addr_info: {
        local: string;
        tentative?: boolean;
        dadfailed?: boolean;
        optimistic?: boolean;
      }[];
    }[]
  )[0]?.addr_info.find((a) => a.local === address);
  if (!info) return "absent";
  if (info.dadfailed) return "dadfailed";
  if (info.tentative) return "tentative";
  if (info.optimistic) return "optimistic";
  return "ready";
}

/** Waits until DAD on `address` has ended (ready or dadfailed) and returns how it ended. */
function dadOutcome(guest: Guest, address: string): Promise<AddressState> {
  return waitUntil(
    `DAD of ${address} to end`,
    async () => {
      const state = await addressState(guest, address);
      return state === "ready" || state === "dadfailed" ? state : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 100 },
  );
}

/**
 * Runs thc-ipv6's dos-new-ip6 in the guest (`-S`: it answers each DAD probe with a probe of its
 * own, the variant the ND guard did not see) until the returned stop function is called.
 * The tool prints "Started" once its capture is open (unbuffered through stdbuf, as its
 * output is a pipe); each test still proves it was answering by the attacker's dad_guard
 * counter moving, and the unguarded case shows the attack works here.
 */
async function startDadAttack(guest: Guest): Promise<() => Promise<void>> {
  const child: ChildProcess = spawn(
    "ip",
    ["netns", "exec", guest.namespace, "stdbuf", "-o0", "atk6-dos-new-ip6", "-S", guest.iface],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  await waitUntil("dos-new-ip6 to start", async () => {
    if (child.exitCode !== null) throw new Error(`dos-new-ip6 exited: ${out}`);
    return out.includes("Started") ? true : undefined;
  });
  return async () => {
    child.kill("SIGTERM");
    await exited;
  };
}

describe.runIf(canSendRealPackets)("duplicate address detection under attack (sandbox)", () => {
  let metald: MetaldProcess;
  let attacker: Guest;
  let bystander: Guest;
  const created: Guest[] = [];

  const guest = async (address: string, security: Record<string, unknown> = {}) => {
    const g = await createGuest(metald.url, address, {
      tenant_id: TENANT,
      network: [{ id: "eth0", ipv6: { address: `${address}/64`, security } }],
    });
    created.push(g);
    return g;
  };
  const dadDrops = async (g: Guest) => packets(await counters(metald.url, g.vmId), "dad_guard");

  beforeAll(async () => {
    metald = await startMetald("pglite", { driver: "sandbox" });
    attacker = await guest(`${PREFIX}::a`);
    bystander = await guest(`${PREFIX}::b`);
    for (const g of [attacker, bystander]) await waitForAddresses(g);
  }, 60_000);

  afterAll(async () => {
    for (const g of created)
      await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, { vm_id: g.vmId });
    await metald?.destroy();
  });

  it("a VM's own DAD completes under the guard: no probe of its own address or link-local was dropped", async () => {
    for (const g of [attacker, bystander]) {
      expect(await addressState(g, g.address)).toBe("ready");
      expect(await addressState(g, g.linkLocal)).toBe("ready");
      expect(await dadDrops(g)).toBe(0);
    }
  });

  it("drops and counts a DAD probe for a neighbour's address; a solicitation from the VM's own address still resolves it", async () => {
    const before = await dadDrops(attacker);
    const probes = await capture(bystander, "ns", 30, "::");
    await send(attacker, "ns", { src: "::", target: bystander.address, count: 3 });
    expect(await probes.stop()).toBe(0);
    expect((await dadDrops(attacker)) - before).toBe(3);
    // Address resolution (source = the VM's own address) is not a DAD probe (RFC 4862 5.4.3).
    const resolution = await capture(bystander, "ns", 5, attacker.address, { expect: 1 });
    await send(attacker, "ns", { src: attacker.address, target: bystander.address });
    expect(await resolution.result).toBe(1);
    expect((await dadDrops(attacker)) - before).toBe(3);
  });

  it("lets a probe for the VM's own address pass uncounted", async () => {
    const before = await dadDrops(attacker);
    await send(attacker, "ns", { src: "::", target: attacker.address, count: 2 });
    await send(attacker, "ns", { src: "::", target: attacker.linkLocal, count: 2 });
    expect(await dadDrops(attacker)).toBe(before);
  });

  it("raises an nd_spoofing event naming the probing VM", async () => {
    const event = await waitUntil("the DAD probe event", async () => {
      const res = await fetch(
        `${metald.url}/api/v1/security/events?vm_id=${attacker.vmId}&event_type=nd_spoofing&limit=100`,
      );
      const body = (await res.json()) as {
        events: { vm_id: string; customer_id: string; details: Record<string, unknown> }[];
      };
      return body.events.find((e) => e.details.reason === "dad_probe");
    });
    expect(event).toMatchObject({ vm_id: attacker.vmId, customer_id: TENANT });
  });

  describe("while dos-new-ip6 runs in a VM", () => {
    let stopAttack: () => Promise<void>;
    beforeAll(async () => {
      stopAttack = await startDadAttack(attacker);
    });
    afterAll(async () => {
      await stopAttack?.();
    });

    it("a neighbour that boots gets its address and link-local (no dadfailed), and the attacker's probes are counted", async () => {
      const before = await dadDrops(attacker);
      const victim = await guest(`${PREFIX}::c`);
      expect(await dadOutcome(victim, victim.address)).toBe("ready");
      expect(await dadOutcome(victim, victim.linkLocal)).toBe("ready");
      await expect
        .poll(() => dadDrops(attacker), { timeout: 5_000 })
        .toBeGreaterThanOrEqual(before + 2);
      expect(await dadDrops(victim)).toBe(0);
    });

    it("an address given by UpdateVmNetwork comes up, its own probe passing", async () => {
      const moved = `${PREFIX}::d`;
      const before = await dadDrops(attacker);
      const beforeOwn = await dadDrops(bystander);
      const res = await postJson(`${metald.url}/vmprovisioner.v1.VmService/UpdateVmNetwork`, {
        vm_id: bystander.vmId,
        interface_id: "eth0",
        ipv6: { address: `${moved}/64` },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(await dadOutcome(bystander, moved)).toBe("ready");
      await expect.poll(() => dadDrops(attacker), { timeout: 5_000 }).toBeGreaterThan(before);
      expect(await dadDrops(bystander)).toBe(beforeOwn);
      bystander = { ...bystander, address: moved };
    });

    it("optimistic DAD (RFC 4429) of a VM's own address completes", async () => {
      const before = await dadDrops(attacker);
      const cidr = `${bystander.address}/64`;
      await inGuest(bystander, "sysctl", [
        "-qw",
        `net.ipv6.conf.${bystander.iface}.optimistic_dad=1`,
      ]);
      await inGuest(bystander, "ip", ["-6", "addr", "del", cidr, "dev", bystander.iface]);
      await inGuest(bystander, "ip", [
        "-6",
        "addr",
        "add",
        cidr,
        "dev",
        bystander.iface,
        "optimistic",
      ]);
      expect(await dadOutcome(bystander, bystander.address)).toBe("ready");
      await expect.poll(() => dadDrops(attacker), { timeout: 5_000 }).toBeGreaterThan(before);
    });

    it("without the source guard (so without the DAD guard) the same attack leaves the address dadfailed", async () => {
      const unguarded = await guest(`${PREFIX}::e`, { enable_source_guard: false });
      await waitForAddresses(unguarded);
      const stopUnguarded = await startDadAttack(unguarded);
      try {
        const victim = await guest(`${PREFIX}::f`);
        expect(await dadOutcome(victim, victim.address)).toBe("dadfailed");
      } finally {
        await stopUnguarded();
      }
    });
  });
});

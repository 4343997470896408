// Fragments of a denied flow, with real packets in sandbox mode: a VM whose rule list allows
// only tcp 80 and echo-request receives nothing of a crafted fragment sequence aimed at a
// denied port (overlaps, duplicates, a resent first fragment, a missing first fragment, an
// unaligned or tiny first fragment), its stack never answers, and the drop is counted; the same
// shapes aimed at the allowed port deliver the reassembled datagram once or are dropped, as
// docs/enforcement.md states for each fragment_policy.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { SCAPY_PYTHON } from "@metald/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "../harness/curl-like.js";
import { type MetaldProcess, startMetald } from "../harness/metald-process.js";
import {
  canSendRealPackets,
  counters,
  createGuest,
  type Guest,
  inGuest,
  packets,
  waitForAddresses,
} from "./sandbox-guests.js";

const FRAGMENTS = fileURLToPath(new URL("./fragments.py", import.meta.url));
const TENANT = "frag";

interface Seen {
  /** The end marker (an echo request sent after the fragments, or its reply) arrived. */
  marker: boolean;
  count: number;
  errors: number;
  /** TCP/UDP packets by destination port: answers to the sender's source port 40000 + i. */
  replies: Record<string, number>;
}

/** Shapes whose datagram cannot be reassembled into one complete, consistent datagram. */
const BROKEN = ["overlap", "missing-first", "unaligned", "tiny-first"] as const;
/** Shapes Linux reassembles: exact offsets resent keep the first copy (see docs). */
const COMPLETE = ["whole", "overlap-rewrite", "duplicate-diff", "first-resent"] as const;
const SHAPES = [...COMPLETE, ...BROKEN];
const RULES = [
  "allow tcp from any to any port 80",
  "allow icmpv6 type echo-request from any to any",
  "deny all from any to any",
];
/**
 * Starts a capture of everything from `src` on the guest, until the end marker arrives (every
 * fragment sent before it has crossed the bridge by then) or `seconds` pass; resolves once it
 * listens.
 */
async function sniffFrom(
  guest: Guest,
  src: string,
  seconds: number,
): Promise<{ result: Promise<Seen> }> {
  const child = spawn(
    "ip",
    [
      "netns",
      "exec",
      guest.namespace,
      SCAPY_PYTHON,
      FRAGMENTS,
      "sniff",
      guest.iface,
      String(seconds),
      src,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const result = new Promise<Seen>((resolve, reject) => {
    child.on("close", (code) => {
      const line = out.split("\n").find((l) => l.includes('"count"'));
      if (code === 0 && line) resolve(JSON.parse(line) as Seen);
      else reject(new Error(`capture failed (${code}): ${err}`));
    });
  });
  result.catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes('"ready"')) resolve();
    });
    child.on("close", (code) => reject(new Error(`capture exited ${code}: ${err}`)));
  });
  return { result };
}

async function macOf(guest: Guest): Promise<string> {
  const out = await inGuest(guest, "ip", ["-j", "link", "show", "dev", guest.iface]);
  return (JSON.parse(out) as { address: string }[])[0]?.address ?? "";
}

describe.runIf(canSendRealPackets)("fragments of a denied flow (sandbox)", () => {
  let metald: MetaldProcess;
  let attacker: Guest;
  let server: Guest;
  let serverMac: string;
  let blocker: Guest;
  let blockerMac: string;

  beforeAll(async () => {
    metald = await startMetald("pglite", { driver: "sandbox" });
    const guest = (address: string, extra: Record<string, unknown>) =>
      createGuest(metald.url, address, {
        tenant_id: TENANT,
        network: [{ id: "eth0", ipv6: { address: `${address}/64` }, ...extra }],
      });
    attacker = await guest("2001:db8:f7::a", {});
    server = await guest("2001:db8:f7::5", {
      security_policy: { ingress_rules: RULES },
    });
    blocker = await createGuest(metald.url, "2001:db8:f7::b", {
      tenant_id: TENANT,
      network: [
        {
          id: "eth0",
          ipv6: { address: "2001:db8:f7::b/64", security: { block_fragment_header: true } },
          security_policy: { ingress_rules: RULES },
        },
      ],
    });
    for (const g of [attacker, server, blocker]) await waitForAddresses(g);
    serverMac = await macOf(server);
    blockerMac = await macOf(blocker);
  }, 60_000);

  afterAll(async () => {
    for (const g of [attacker, server, blocker]) {
      if (g) await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, { vm_id: g.vmId });
    }
    await metald?.destroy();
  });

  const frag = async (g: Guest) => packets(await counters(metald.url, g.vmId), "frag_rejected_in");

  /** Sends every shape at `port`, capturing on both sides for the same window. */
  const attempt = async (proto: string, port: number, target = server, mac = serverMac) => {
    const atServer = await sniffFrom(target, attacker.address, 20);
    const atAttacker = await sniffFrom(attacker, target.address, 20);
    const args = [attacker.iface, attacker.address, target.address, proto, String(port)];
    await inGuest(attacker, SCAPY_PYTHON, [FRAGMENTS, "send", ...args, mac, ...SHAPES]);
    return { server: await atServer.result, attacker: await atAttacker.result };
  };

  // What reassembly let through unreassembled, and frag_rejected_in counts: the unaligned first
  // fragment (-EPROTO in nf_conntrack_reasm) and, for TCP, the first fragment that holds only 8
  // bytes of the TCP header (RFC 7112); 8 bytes are a whole UDP header, so that UDP datagram
  // is reassembled and its rule list drops it.
  it.each([
    ["tcp", 22, 2],
    ["udp", 53, 1],
  ] as const)(
    "a denied %s port %i: no fragment shape reaches the VM, nothing answers, the unreassembled ones are counted",
    async (proto, port, unreassembled) => {
      const before = await frag(server);
      const seen = await attempt(proto, port);
      expect(seen.server).toMatchObject({ marker: true, count: 0 });
      expect(seen.attacker).toEqual({ marker: true, count: 0, errors: 0, replies: {} });
      expect((await frag(server)) - before).toBe(unreassembled);
    },
    60_000,
  );

  it("the allowed port: each complete datagram is delivered once, the broken shapes are dropped and nothing answers them", async () => {
    const before = await frag(server);
    const seen = await attempt("tcp", 80);
    // The VM answers each SYN it receives (a reset: nothing listens on port 80).
    const expected = Object.fromEntries(COMPLETE.map((_, i) => [String(40000 + i), 1]));
    expect(seen.attacker).toMatchObject({ marker: true, errors: 0, replies: expected });
    expect((await frag(server)) - before).toBe(2);
  }, 60_000);

  it("fragment_policy BLOCK: no fragment of any shape reaches the VM, even at the allowed port", async () => {
    const dropped = async () => packets(await counters(metald.url, blocker.vmId), "eh_frag_to");
    const before = await dropped();
    const seen = await attempt("tcp", 80, blocker, blockerMac);
    expect(seen.server).toMatchObject({ marker: true, count: 0 });
    expect(seen.attacker).toEqual({ marker: true, count: 0, errors: 0, replies: {} });
    // Every fragment sent, before reassembly: 2 + 3 + 3 + 3 (complete shapes) + 4 × 2 (broken).
    expect((await dropped()) - before).toBe(19);
  }, 60_000);
});

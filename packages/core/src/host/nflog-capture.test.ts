import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { summarizeIpv6Packet } from "../events/nflog/ipv6-packet-summary.js";
import type { NflogRecord } from "../events/nflog/nflog-record.js";
import { kernelTestsCanRun, SCAPY_PYTHON } from "../testing/kernel-test-requirements.js";
import { createCommandRunner } from "./command-runner.js";
import { ipLink, ipNetns } from "./ip-link.js";
import { type NflogCapture, nflogCaptureCommand, startNflogCapture } from "./nflog-capture.js";

describe("nflogCaptureCommand", () => {
  it("runs tcpdump on the group, inside the namespace when one is given", () => {
    const tcpdump = ["-i", "nflog:7", "-U", "-w", "-", "--immediate-mode", "-s", "512"];
    expect(nflogCaptureCommand(7)).toEqual({ command: "tcpdump", args: tcpdump });
    expect(nflogCaptureCommand(7, "metald-sbx")).toEqual({
      command: "ip",
      args: ["netns", "exec", "metald-sbx", "tcpdump", ...tcpdump],
    });
    expect(nflogCaptureCommand(65535, undefined, 256).args).toContain("nflog:65535");
  });

  it("rejects groups, namespaces and snaplens that must not reach the command line", () => {
    for (const group of [-1, 65536, 1.5, Number.NaN]) {
      expect(() => nflogCaptureCommand(group)).toThrow(/not an integer 0–65535/);
    }
    expect(() => nflogCaptureCommand(7, "-n evil")).toThrow(/namespace name/);
    expect(() => nflogCaptureCommand(7, "a".repeat(16))).toThrow(/at most 15/);
    expect(() => nflogCaptureCommand(7, undefined, 10)).toThrow(/snaplen/);
  });
});

const PYTHON = SCAPY_PYTHON;
// Root for namespaces and nftables, tcpdump to read nflog, Debian's python3 with scapy to send.
const canCapture = kernelTestsCanRun("startNflogCapture in the kernel", [
  "root",
  "ip",
  "nft",
  "tcpdump",
  "scapy",
]);

const GUEST_A_MAC = "02:00:00:00:00:0a";
const GUEST_B_MAC = "02:00:00:00:00:0b";
const RULES = `
table bridge metald_security {
  chain forward {
    type filter hook forward priority 0; policy accept;
    ether type ip6 icmpv6 type nd-router-advert log group 7 snaplen 256 prefix "ra_guard" queue-threshold 1 drop
  }
}
table inet metald_security {
  chain forward {
    type filter hook forward priority filter; policy accept;
    exthdr hbh exists log group 7 snaplen 256 prefix "eh_hbh" queue-threshold 1 drop
    udp dport 5680 log group 8 prefix "no_snaplen" queue-threshold 1 drop
  }
}
`;
const SEND = {
  spoofedRa: `Ether(src="${GUEST_A_MAC}",dst="33:33:00:00:00:01")/IPv6(src="2001:db8::bad",dst="ff02::1",hlim=255)/ICMPv6ND_RA()`,
  hbhDst: `Ether(src="${GUEST_A_MAC}",dst="${GUEST_B_MAC}")/IPv6(src="2001:db8::a",dst="2001:db8::b")/IPv6ExtHdrHopByHop()/IPv6ExtHdrDestOpt()/UDP(sport=1234,dport=5678)/b"hello"`,
  largeUdp: `Ether(src="${GUEST_A_MAC}",dst="${GUEST_B_MAC}")/IPv6(src="2001:db8::a",dst="2001:db8::c")/UDP(sport=1234,dport=5680)/(b"x"*1400)`,
  largeHbh: `Ether(src="${GUEST_A_MAC}",dst="${GUEST_B_MAC}")/IPv6(src="2001:db8::a",dst="2001:db8::c")/IPv6ExtHdrHopByHop()/UDP(sport=1234,dport=5679)/(b"x"*1400)`,
};

describe.runIf(canCapture)("startNflogCapture in the kernel", { timeout: 30_000 }, () => {
  const runner = createCommandRunner();
  const suffix = randomBytes(3).toString("hex");
  const host = `mtnflog-${suffix}`;
  const [guestA, guestB] = [`${host}a`, `${host}b`];
  const ifindex = new Map<string, number>();
  const captures: NflogCapture[] = [];
  const ip = (...args: string[]) => runner.run("ip", args);
  const ipIn = (netns: string, args: string[]) => runner.run("ip", args, { netns });

  beforeAll(async () => {
    for (const ns of [host, guestA, guestB]) {
      await ip(...ipNetns.add(ns));
      await ipIn(ns, ipLink.setUp("lo"));
    }
    await ipIn(host, ipLink.addBridge("br0", false));
    await ipIn(host, ipLink.setUp("br0"));
    for (const [port, guest, mac] of [
      ["pa", guestA, GUEST_A_MAC],
      ["pb", guestB, GUEST_B_MAC],
    ] as const) {
      await ipIn(host, ipLink.addVethIntoNamespace(port, 1500, "eth0", guest));
      await ipIn(host, ipLink.setMasterUp(port, "br0"));
      // No IPv6 on the guests: their MLD reports carry Hop-by-Hop headers and would match too.
      await ip("netns", "exec", guest, "sysctl", "-q", "-w", "net.ipv6.conf.eth0.disable_ipv6=1");
      await ipIn(guest, ipLink.setAddress("eth0", mac));
      await ipIn(guest, ipLink.setUp("eth0"));
    }
    await runner.run("modprobe", ["br_netfilter"]).catch(() => undefined);
    // Bridged IPv6 must traverse the inet hooks, as in metald's sandbox.
    await ip("netns", "exec", host, "sysctl", "-q", "-w", "net.bridge.bridge-nf-call-ip6tables=1");
    await runner.run("ip", ["netns", "exec", host, "nft", "-f", "-"], { input: RULES });
    const links = JSON.parse(await ip("-n", host, "-j", "link", "show")) as {
      ifname: string;
      ifindex: number;
    }[];
    for (const link of links) ifindex.set(link.ifname, link.ifindex);
  }, 30_000);

  afterAll(async () => {
    await Promise.all(captures.map((c) => c.stop()));
    for (const ns of [guestA, guestB, host]) await ip(...ipNetns.delete(ns)).catch(() => undefined);
  });

  async function capture(group = 7) {
    const records: { record: NflogRecord; at: Date }[] = [];
    const errors: Error[] = [];
    // Waiters are woken by the capture's own callbacks: no polling.
    const waiters = new Set<() => void>();
    const reported = () => {
      for (const wake of [...waiters]) wake();
    };
    const handle = startNflogCapture({
      group,
      namespace: host,
      onRecord: (record, at) => {
        records.push({ record, at });
        reported();
      },
      onError: (error) => {
        errors.push(error);
        reported();
      },
    });
    captures.push(handle);
    await handle.ready;
    const send = (packet: string) => {
      const script = `from scapy.all import *\nsendp(${packet},iface="eth0",verbose=0)`;
      return ip("netns", "exec", guestA, PYTHON, "-c", script);
    };
    /** Resolves what `find` finds once a callback makes it true; rejects after `ms`. */
    const reportedWithin = <T>(what: string, find: () => T | undefined, ms = 5_000) =>
      new Promise<T>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        const check = () => {
          try {
            const found = find();
            if (found === undefined) return;
            done();
            resolve(found);
          } catch (error) {
            done();
            reject(error);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `${what} not reported within ${ms} ms; errors: ${errors.map((e) => e.message)}`,
            ),
          );
        }, ms);
        waiters.add(check);
        check();
      });
    const next = (prefix: string, destinationPort?: number) =>
      reportedWithin(`a "${prefix}" sample`, () => {
        const found = records.find(
          ({ record }) =>
            record.prefix === prefix &&
            (destinationPort === undefined ||
              summarizeIpv6Packet(record.payload)?.destinationPort === destinationPort),
        );
        if (!found && errors.length > 0) {
          throw new Error(`no "${prefix}" sample; errors: ${errors.map((e) => e.message)}`);
        }
        return found;
      });
    const firstError = () => reportedWithin("an error from the capture", () => errors[0]);
    return { handle, records, errors, send, next, firstError };
  }

  it("reports a spoofed RA dropped by a bridge-family rule, with its ingress port", async () => {
    const c = await capture();
    const sent = Date.now();
    await c.send(SEND.spoofedRa);
    const { record, at } = await c.next("ra_guard");
    await c.handle.stop();
    expect(record).toMatchObject({
      family: 7,
      group: 7,
      physindev: ifindex.get("pa"),
      indev: ifindex.get("br0"),
      physoutdev: ifindex.get("pb"),
      hwaddr: GUEST_A_MAC,
    });
    expect(at.getTime()).toBeGreaterThanOrEqual(sent - 1000);
    expect(summarizeIpv6Packet(record.payload)).toMatchObject({
      source: "2001:db8::bad",
      destination: "ff02::1",
      extensionHeaders: [],
      icmpv6Type: 134,
    });
    expect(c.errors).toEqual([]);
  });

  it("reports an extension header chain dropped by an inet-family rule", async () => {
    const c = await capture();
    await c.send(SEND.hbhDst);
    const { record } = await c.next("eh_hbh", 5678);
    await c.handle.stop();
    expect(record).toMatchObject({
      family: 10,
      physindev: ifindex.get("pa"),
      indev: ifindex.get("br0"),
    });
    expect(summarizeIpv6Packet(record.payload)).toMatchObject({
      source: "2001:db8::a",
      destination: "2001:db8::b",
      extensionHeaders: ["hbh", "dst"],
      upperProtocol: 17,
      sourcePort: 1234,
    });
    expect(c.errors).toEqual([]);
  });

  it("keeps running past a packet larger than its snaplen when the rule caps the copy", async () => {
    const c = await capture();
    await c.send(SEND.largeHbh);
    const { record } = await c.next("eh_hbh", 5679);
    expect(record.payload.length).toBe(256);
    await c.send(SEND.spoofedRa);
    await c.next("ra_guard");
    await c.handle.stop();
    expect(c.errors).toEqual([]);
  });

  it("reports tcpdump dying on a sample larger than its buffer (a rule without snaplen)", async () => {
    const c = await capture(8);
    await c.send(SEND.largeUdp);
    await c.firstError();
    await c.handle.stop();
    // libpcap reads nflog into a buffer of snaplen + 128 bytes.
    expect(c.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^tcpdump on nflog:8 exited: tcpdump: pcap_loop: Message truncated/),
    ]);
    expect(c.records).toEqual([]);
  });

  it("reports tcpdump failing, with its stderr, and rejects ready", async () => {
    const errors: Error[] = [];
    const handle = startNflogCapture({
      group: 7,
      namespace: `${host}x`,
      onRecord: () => undefined,
      onError: (error) => errors.push(error),
    });
    await expect(handle.ready).rejects.toThrow(/Cannot open network namespace/);
    await handle.stop();
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/^tcpdump on nflog:7 exited: Cannot open network namespace/);
  });
});

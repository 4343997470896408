// Drives a VM's guest side in the sandbox: commands in its namespace, scapy sends and captures
// (packets.py, with Debian's /usr/bin/python3 which has scapy), and the VM's counters.
import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { kernelTestsCanRun, SCAPY_PYTHON } from "@metald/core/testing";
import { waitUntil } from "../harness/wait-until.js";

const run = promisify(execFile);
const PACKETS = fileURLToPath(new URL("./packets.py", import.meta.url));
const TCP = fileURLToPath(new URL("./tcp.py", import.meta.url));
const PYTHON = SCAPY_PYTHON;

export interface Guest {
  vmId: string;
  namespace: string;
  iface: string;
  address: string;
  linkLocal: string;
  tap: string;
}

export async function inGuest(guest: Guest, command: string, args: string[]): Promise<string> {
  const { stdout } = await run("ip", ["netns", "exec", guest.namespace, command, ...args]);
  return stdout;
}

/** Waits until the guest's addresses have finished duplicate address detection. */
export async function waitForAddresses(guest: Guest, timeoutMs = 8_000): Promise<void> {
  await waitUntil(
    `addresses of ${guest.vmId} to leave tentative`,
    async () => {
      const out = await inGuest(guest, "ip", ["-j", "-6", "addr", "show", "dev", guest.iface]);
      const addrs =
        (JSON.parse(out) as { addr_info: { local: string; tentative?: boolean }[] }[])[0]
          ?.addr_info ?? [];
      const ready = addrs.filter((a) => !a.tentative).map((a) => a.local);
      return ready.includes(guest.address) && ready.includes(guest.linkLocal);
    },
    { timeoutMs, intervalMs: 200 },
  );
}

export interface SendOptions {
  src?: string;
  dst?: string;
  target?: string;
  count?: number;
}

/** Sends frames from the guest; returns how many frames went out. */
export async function send(guest: Guest, kind: string, options: SendOptions = {}): Promise<number> {
  const args = ["send", guest.iface, kind];
  for (const key of ["src", "dst", "target"] as const) {
    const value = options[key];
    if (value) args.push(`--${key}`, value);
  }
  if (options.count) args.push("--count", String(options.count));
  const out = await inGuest(guest, PYTHON, [PACKETS, ...args]);
  return (JSON.parse(out.trim().split("\n").pop() ?? "{}") as { sent: number }).sent;
}

const READY_TIMEOUT_MS = 15_000;

export interface CaptureOptions {
  /** Stop as soon as this many matching packets arrived instead of waiting out the window. */
  expect?: number;
  /** With kind "own-other" (what the guest itself sends): the kind left out of the count. */
  except?: string;
}

/**
 * Starts a capture; resolves once scapy's socket is bound to the guest's interface (packets sent
 * from then on are seen); `result` gives how many matching packets came. Without `expect` the
 * capture lasts `seconds`: a result of 0 means "nothing within that window", which tests pair
 * with a positive control (the guard's counter moved by the number sent). `stop()` ends it
 * once what was sent has arrived, half a second later (for counts that must not depend on a
 * window's length, however slowly the machine runs).
 */
export async function capture(
  guest: Guest,
  kind: string,
  seconds: number,
  src?: string,
  options: CaptureOptions = {},
): Promise<{ result: Promise<number>; stop(): Promise<number> }> {
  const args = [
    "netns",
    "exec",
    guest.namespace,
    PYTHON,
    PACKETS,
    "sniff",
    guest.iface,
    String(seconds),
    kind,
  ];
  if (src) args.push("--src", src);
  if (options.expect) args.push("--expect", String(options.expect));
  if (options.except) args.push("--except", options.except);
  const child = spawn("ip", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`capture on ${guest.vmId} not listening after ${READY_TIMEOUT_MS} ms: ${err}`),
      );
    }, READY_TIMEOUT_MS);
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes('"ready"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      reject(new Error(`capture exited ${code} before listening: ${err}`));
    });
  });
  // "close", not "exit": the count line may still sit in the pipe when the process exits.
  const result = new Promise<number>((resolve, reject) => {
    child.on("close", (code, signal) => {
      const line = out.split("\n").find((l) => l.includes('"count"'));
      if (code === 0 && line) resolve((JSON.parse(line) as { count: number }).count);
      else reject(new Error(`capture failed (${code ?? signal}): ${err}`));
    });
  });
  // Both promises settle on exit; `result` is the caller's to await, `ready` may reject first.
  result.catch(() => undefined);
  await ready;
  const stop = () => {
    // SIGUSR1: "that was all"; the capture still counts what arrives in the next half second.
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGUSR1");
    return result;
  };
  return { result, stop };
}

export type Counters = Record<string, { packets: number; bytes: number }>;

export async function counters(baseUrl: string, vmId: string): Promise<Counters> {
  const res = await fetch(`${baseUrl}/debug/network/vm/${vmId}`);
  const body = (await res.json()) as { interfaces: { counters: Counters }[] };
  return body.interfaces[0]?.counters ?? {};
}

export function packets(c: Counters, set: string): number {
  return c[set]?.packets ?? 0;
}

/** Starts TCP listeners in the guest; returns a function that stops them. */
export async function listenTcp(guest: Guest, ports: number[]): Promise<() => void> {
  const child = spawn(
    "ip",
    ["netns", "exec", guest.namespace, PYTHON, TCP, "listen", guest.address, ...ports.map(String)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => {
      if (c.toString().includes('"ready"')) resolve();
    });
    child.on("exit", (code) => reject(new Error(`tcp listener exited ${code}`)));
  });
  return () => child.kill("SIGKILL");
}

/** Opens `count` TCP connections at once from the guest; resolves how many were established. */
export async function connectTcp(
  guest: Guest,
  dst: string,
  port: number,
  count = 1,
  seconds = 2,
): Promise<number> {
  const out = await inGuest(guest, PYTHON, [
    TCP,
    "connect",
    guest.address,
    dst,
    String(port),
    String(count),
    String(seconds),
  ]);
  return (JSON.parse(out.trim()) as { connected: number }).connected;
}

/**
 * The enforcement suite needs root (namespaces, nftables) and scapy for Debian's python3: false
 * skips it, and with METALD_REQUIRE_KERNEL_TESTS=1 a missing requirement throws instead.
 */
export const canSendRealPackets = kernelTestsCanRun("enforcement with real packets", [
  "root",
  "ip",
  "nft",
  "scapy",
]);

interface DebugVm {
  interfaces: { guest_namespace: string; link_local: string; tap_device: string }[];
}

/** Creates a VM through the API (`config` is CreateVm's), boots it, and describes its guest. */
export async function createGuest(
  baseUrl: string,
  address: string,
  config: Record<string, unknown>,
): Promise<Guest> {
  const post = async (method: string, body: unknown) => {
    const res = await fetch(`${baseUrl}/vmprovisioner.v1.VmService/${method}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status !== 200) throw new Error(`${method}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const vmId = (await post("CreateVm", { config })).vmId as string;
  await post("BootVm", { vm_id: vmId });
  const debug = (await (await fetch(`${baseUrl}/debug/network/vm/${vmId}`)).json()) as DebugVm;
  const nic = debug.interfaces[0];
  if (!nic) throw new Error(`vm ${vmId} has no interface`);
  return {
    vmId,
    namespace: nic.guest_namespace,
    iface: "eth0",
    address,
    linkLocal: nic.link_local,
    tap: nic.tap_device,
  };
}

/** Pings `destination` from the guest's address; resolves how many replies came back. */
export async function ping(
  guest: Guest,
  destination: string,
  count = 2,
  waitSeconds = 2,
): Promise<number> {
  const args = ["-c", String(count), "-W", String(waitSeconds), "-I", guest.address, destination];
  // ping exits non-zero when replies are missing; its summary is on stdout either way.
  const out = await inGuest(guest, "ping", args).catch(
    (error: { stdout?: string }) => error.stdout ?? "",
  );
  return Number(/(\d+) received/.exec(out)?.[1] ?? 0);
}

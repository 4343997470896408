// What a sandbox host holds in the kernel, read with ip, nft and sysctl and nothing else: the
// metald_security tables' sets and maps with their elements (written as the plan writes its
// literals), the rate meters, the links of the sandbox namespace (ports, bridges) with their
// sysctls, and the guest namespaces with their loopback and guest interfaces. Only reads;
// kernel-matches-database.ts compares it with what the database says should be there.
import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { GUEST_MARKS_ROOT, guestNamespaceName } from "@metald/core";

const exec = promisify(execFile);

/** A netlink dump that races a change is flagged as interrupted: ask again. */
export async function readCommand(command: string, args: string[]): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const out = await exec(command, args, { maxBuffer: 64 * 1024 * 1024 });
    if (!/interrupted/i.test(out.stderr) || attempt >= 20) return out.stdout;
  }
}

interface NftSet {
  family: string;
  name: string;
  type: string | string[];
  map?: string;
  elem?: unknown[];
}

/** An element as nft's JSON gives it, written as the plan writes its literals. */
function literal(value: unknown, type: string | undefined): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return type === "ifname" ? `"${value}"` : value;
  const v = value as Record<string, unknown>;
  if (v.elem) return literal((v.elem as { val: unknown }).val, type);
  if (v.prefix) {
    const p = v.prefix as { addr: string; len: number };
    return `${p.addr}/${p.len}`;
  }
  if (v.range) {
    const [low, high] = v.range as [unknown, unknown];
    return `${literal(low, type)}-${literal(high, type)}`;
  }
  return JSON.stringify(value);
}

function elementLiteral(element: unknown, set: NftSet): string {
  const types = Array.isArray(set.type) ? set.type : [set.type];
  const key = (value: unknown): string => {
    const inner = (value as { elem?: { val: unknown } }).elem?.val ?? value;
    const concat = typeof inner === "object" && inner !== null && "concat" in inner;
    return concat
      ? (inner.concat as unknown[]).map((part, i) => literal(part, types[i])).join(" . ")
      : literal(inner, types[0]);
  };
  if (set.map !== undefined && Array.isArray(element)) {
    return `${key(element[0])} : ${literal(element[1], set.map)}`;
  }
  return key(element);
}

/**
 * The meters of rate classes (rlm_…, clm_…, and a pps class's burst meter rlb_…): named after
 * their class set, hold no plan element.
 */
export const METER_SET = /^(rlm|rlb|clm)_/;

export interface KernelLink {
  name: string;
  kind: string | undefined;
  up: boolean;
  master: string | undefined;
}

export interface GuestState {
  namespace: string;
  loopbackUp: boolean;
  loopbackAlias: string | undefined;
  /** Interfaces other than lo: MAC and global addresses (address/prefix length). */
  interfaces: { mac: string; addresses: string[] }[];
}

export interface KernelState {
  /** Every set and map of the tables but the meters, by name, elements sorted. */
  sets: Record<string, string[]>;
  /** Meter set names, sorted. */
  meters: string[];
  links: KernelLink[];
  /** `net.ipv6.conf.<link>.<key>` of every port and bridge whose value is not 0. */
  sysctlsNotZero: string[];
  /** Guest namespaces that exist, sorted by name. */
  guests: GuestState[];
}

/** The sysctls the plan sets to 0 on a port's host end and on a bridge. */
const PORT_SYSCTLS = ["accept_ra", "accept_redirects", "accept_source_route", "autoconf"];
const BRIDGE_SYSCTLS = ["accept_ra", "accept_redirects"];

async function existingNamespaces(): Promise<Set<string>> {
  const out = await readCommand("ip", ["-j", "netns", "list"]);
  return new Set(
    (out.trim() === "" ? [] : (JSON.parse(out) as { name: string }[])).map((n) => n.name),
  );
}

async function readGuest(namespace: string): Promise<GuestState> {
  const lo = JSON.parse(await readCommand("ip", ["-n", namespace, "-j", "link", "show", "lo"])) as {
    flags: string[];
    ifalias?: string;
  }[];
  const links = JSON.parse(await readCommand("ip", ["-n", namespace, "-j", "addr", "show"])) as {
    ifname: string;
    address: string;
    addr_info: { local: string; prefixlen: number; scope: string }[];
  }[];
  return {
    namespace,
    loopbackUp: lo[0]?.flags.includes("UP") ?? false,
    loopbackAlias: lo[0]?.ifalias,
    interfaces: links
      .filter((l) => l.ifname !== "lo")
      .map((l) => ({
        mac: l.address,
        addresses: l.addr_info
          .filter((a) => a.scope === "global")
          .map((a) => `${a.local}/${a.prefixlen}`),
      })),
  };
}

/**
 * Reads the sandbox `namespace`. Guest namespaces live in the machine's one list: those of the
 * VM ids in `candidates` and those the sandbox marked as its own are read (a VM never created
 * has neither).
 */
export async function readKernelState(
  namespace: string,
  candidates: Iterable<string> = [],
): Promise<KernelState> {
  const ruleset = JSON.parse(
    await readCommand("ip", ["netns", "exec", namespace, "nft", "-j", "list", "ruleset"]),
  ) as { nftables: { set?: NftSet; map?: NftSet }[] };
  const sets: Record<string, string[]> = {};
  const meters: string[] = [];
  for (const object of ruleset.nftables) {
    const set = object.set ?? object.map;
    if (!set) continue;
    if (METER_SET.test(set.name)) meters.push(set.name);
    else sets[set.name] = (set.elem ?? []).map((e) => elementLiteral(e, set)).sort();
  }

  const raw = JSON.parse(
    await readCommand("ip", ["-n", namespace, "-j", "-d", "link", "show"]),
  ) as {
    ifname: string;
    flags: string[];
    master?: string;
    linkinfo?: { info_kind?: string };
  }[];
  const links = raw.map((l) => ({
    name: l.ifname,
    kind: l.linkinfo?.info_kind,
    up: l.flags.includes("UP"),
    master: l.master,
  }));
  const keys = links.flatMap((l) =>
    l.kind === "veth"
      ? PORT_SYSCTLS.map((k) => `net.ipv6.conf.${l.name}.${k}`)
      : l.kind === "bridge"
        ? BRIDGE_SYSCTLS.map((k) => `net.ipv6.conf.${l.name}.${k}`)
        : [],
  );
  const sysctlsNotZero =
    keys.length === 0
      ? []
      : (await readCommand("ip", ["netns", "exec", namespace, "sysctl", ...keys]))
          .trim()
          .split("\n")
          .filter((l) => !l.endsWith(" = 0"));

  const marked = await readdir(join(GUEST_MARKS_ROOT, namespace)).catch(() => [] as string[]);
  // A sandbox of its own name names its guests after it too (guestNamespaceName's scope).
  const scope = namespace === "metald-sbx" ? undefined : namespace;
  const wanted = new Set([
    ...marked,
    ...[...candidates].map((vmId) => guestNamespaceName(vmId, scope)),
  ]);
  const existing = await existingNamespaces();
  const guests = await Promise.all(
    [...wanted]
      .filter((ns) => existing.has(ns))
      .sort()
      .map(readGuest),
  );
  return { sets, meters: meters.sort(), links, sysctlsNotZero, guests };
}

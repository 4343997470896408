// Crash anywhere and the kernel matches the database. Each round sends a stream of concurrent
// CreateVm / UpdateSecurityPolicy / UpdateVmNetwork (a new address) / IsolateVm / UnisolateVm /
// DeleteVm calls to a sandbox-driver server, SIGKILLs it at a random moment and starts it again
// on the same database (the start reconciles the host from the database). Then: every live VM's
// set and map elements, port (up, on its bridge, with its sysctls), bridge, guest namespace (its
// loopback up), MAC and addresses are in the kernel and nothing of any other VM is; rate
// classes are exactly those live VMs need; every change that was answered has its control-plane
// event. At the end, in the database itself: every audit record has exactly one event naming it
// and no event names a missing audit record.
// Calls in flight when the kill comes may fail (connection reset): what committed must hold.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { guestNamespaceName } from "@metald/core";
import { kernelTestsCanRun } from "@metald/core/testing";
import { openDatabase } from "@metald/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";

const exec = promisify(execFile);

const ROUNDS = 20;
const OPERATIONS_PER_ROUND = 8;
/** Calls in flight at once. */
const LANES = 4;
const MAX_LIVE = 8;
const TENANTS = 3;
const KILL_AFTER_MS = { min: 50, max: 800 };
/**
 * Guest namespaces are named after VM ids in the machine's one namespace list: ids of their own
 * keep this run apart from what another run (or another test) left there.
 */
const RUN = randomBytes(3).toString("hex");

const INGRESS = [
  ["allow tcp from any to any port 443", "deny all from any to any"],
  ["allow tcp from 2001:db8::/32 to any port 80,443", "allow icmpv6 from any to any"],
  ["deny tcp from any to any port 22", "deny udp from any to any port 1000-2000"],
];
/** Packet rates: each its own rate class (created with its first user, removed with its last). */
const PPS = [2000, 3000, 5000];
const ND_RATES = [40, 100];

/** A netlink dump that races a change is flagged as interrupted: ask again. */
async function run(command: string, args: string[]): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const out = await exec(command, args);
    if (!/interrupted/i.test(out.stderr) || attempt >= 20) return out.stdout;
  }
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

type Operation = "create" | "policy" | "address" | "isolate" | "unisolate" | "delete";

interface Outcome {
  operation: Operation;
  vmId: string;
  /** HTTP status, or undefined when the call got no answer (the kill). */
  status?: number;
}

interface DebugVm {
  tenant_id: string;
  elements: Record<string, string[]>;
  interfaces: {
    tap_device: string;
    guest_namespace: string;
    bridge: string;
    mac_address: string;
    ipv6?: { address?: string };
  }[];
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

/** Rate-class sets (members) and their meters: what concurrent-create.test.ts names so. */
const CLASS_SET = /^(rl_(nd|icmpv6|multicast|pps|bandwidth|ra)_\d+_\d+|cl_\d+)$/;
const METER_SET = /^(rlm|clm)_/;
/** Host-wide sets no VM's plan fills (no blocked sources or sample boosts in this test). */
const HOST_SETS = new Set(["blocked_sources", "sample_boost", "sample_boost_addrs"]);

describe.runIf(kernelTestsCanRun("crash consistency on the sandbox host", ["root", "ip", "nft"]))(
  "crash consistency (sandbox driver, PGlite)",
  () => {
    let metald: MetaldProcess;
    let namespace: string;
    /** Every VM id a CreateVm was sent for, committed or not. */
    const attempted = new Set<string>();
    const outcomes: Outcome[] = [];
    let serial = 0;
    let addressSerial = 0;

    beforeAll(async () => {
      metald = await startMetald("pglite", { driver: "sandbox", logLevel: "warn" });
      namespace = metald.env.METALD_SANDBOX_NAMESPACE as string;
    });
    afterAll(async () => {
      // Guest namespaces live in the machine's list, outside the sandbox namespace.
      const existing = await namespaces().catch(() => new Set<string>());
      for (const vmId of attempted) {
        const ns = guestNamespaceName(vmId);
        if (existing.has(ns)) await exec("ip", ["netns", "delete", ns]).catch(() => undefined);
      }
      await metald?.destroy();
    });

    async function namespaces(): Promise<Set<string>> {
      const out = await run("ip", ["-j", "netns", "list"]);
      return new Set(
        (out.trim() === "" ? [] : (JSON.parse(out) as { name: string }[])).map((n) => n.name),
      );
    }

    async function call(url: string, method: string, body: unknown): Promise<number | undefined> {
      try {
        const res = await fetch(`${url}/vmprovisioner.v1.VmService/${method}`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
        await res.arrayBuffer();
        return res.status;
      } catch {
        // Killed while the call was in flight: it may or may not have committed.
        return undefined;
      }
    }

    const tenantOf = (n: number) => n % TENANTS;
    const addressIn = (tenant: number) =>
      `2001:db8:${(0x700 + tenant).toString(16)}::${(++addressSerial).toString(16)}/64`;

    async function liveVms(): Promise<{ vmId: string; tenantId: string }[]> {
      const res = await fetch(`${metald.url}/vmprovisioner.v1.VmService/ListVms`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ page_size: 1000 }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        vms?: { vmId: string; tenantId: string; state: string }[];
      };
      return (body.vms ?? []).filter((v) => v.state !== "VM_STATE_TERMINATED");
    }

    /** One operation against a random VM (a create while there is room for one). */
    async function operate(url: string, live: string[]): Promise<Outcome> {
      const operations: Operation[] = ["policy", "address", "isolate", "unisolate", "delete"];
      const operation: Operation =
        live.length === 0 || (live.length < MAX_LIVE && Math.random() < 0.4)
          ? "create"
          : pick(operations);
      if (operation === "create") {
        const n = serial++;
        const vmId = `vm-chaos-${RUN}-${n}`;
        attempted.add(vmId);
        live.push(vmId);
        const status = await call(url, "CreateVm", {
          vm_id: vmId,
          config: {
            tenant_id: `chaos-${tenantOf(n)}`,
            network: [
              {
                id: "eth0",
                ipv6: {
                  address: addressIn(tenantOf(n)),
                  security: { nd_rate_limit: pick(ND_RATES) },
                },
                security_policy: { ingress_rules: pick(INGRESS), packet_rate_limit: pick(PPS) },
              },
            ],
          },
        });
        return { operation, vmId, status };
      }
      const vmId = pick(live);
      const tenant = tenantOf(Number(/-(\d+)$/.exec(vmId)?.[1] ?? 0));
      let status: number | undefined;
      switch (operation) {
        case "policy":
          status = await call(url, "UpdateSecurityPolicy", {
            vm_id: vmId,
            interface_id: "eth0",
            security_policy: { ingress_rules: pick(INGRESS), packet_rate_limit: pick(PPS) },
          });
          break;
        case "address":
          status = await call(url, "UpdateVmNetwork", {
            vm_id: vmId,
            interface_id: "eth0",
            ipv6: { address: addressIn(tenant) },
          });
          break;
        case "isolate":
          status = await call(url, "IsolateVm", { vm_id: vmId, reason: "crash test" });
          break;
        case "unisolate":
          status = await call(url, "UnisolateVm", { vm_id: vmId, reason: "crash test" });
          break;
        case "delete":
          status = await call(url, "DeleteVm", { vm_id: vmId });
          if (status === 200) live.splice(live.indexOf(vmId), 1);
          break;
      }
      return { operation, vmId, status };
    }

    /** LANES callers, each sending its share of the round's operations one after another. */
    async function stream(url: string, live: string[]): Promise<Outcome[]> {
      let left = OPERATIONS_PER_ROUND;
      const lane = async () => {
        const done: Outcome[] = [];
        while (left > 0) {
          left--;
          const outcome = await operate(url, live);
          done.push(outcome);
          if (outcome.status === undefined) break;
        }
        return done;
      };
      return (await Promise.all(Array.from({ length: LANES }, lane))).flat();
    }

    /** The kernel against the database's live VMs; returns the live VM ids. */
    async function expectHostMatchesDatabase(): Promise<string[]> {
      const live = await liveVms();
      const plans = await Promise.all(
        live.map(async (vm) => {
          const res = await fetch(`${metald.url}/debug/network/vm/${vm.vmId}`);
          const body = await res.text();
          expect(res.status, `${vm.vmId}: ${body}\n${metald.log.slice(-5).join("\n")}`).toBe(200);
          return { vmId: vm.vmId, debug: JSON.parse(body) as DebugVm };
        }),
      );

      // Every set and map of the tables: exactly the union of the live VMs' elements.
      const ruleset = JSON.parse(
        await run("ip", ["netns", "exec", namespace, "nft", "-j", "list", "ruleset"]),
      ) as { nftables: { set?: NftSet; map?: NftSet }[] };
      const kernel = new Map<string, string[]>();
      for (const object of ruleset.nftables) {
        const set = object.set ?? object.map;
        if (!set || METER_SET.test(set.name) || HOST_SETS.has(set.name)) continue;
        kernel.set(set.name, (set.elem ?? []).map((e) => elementLiteral(e, set)).sort());
      }
      const wanted = new Map<string, string[]>();
      for (const { debug } of plans)
        for (const [set, elements] of Object.entries(debug.elements))
          wanted.set(set, [...(wanted.get(set) ?? []), ...elements]);
      const inKernel = Object.fromEntries(
        [...kernel].filter(([, elements]) => elements.length > 0),
      );
      const inPlans = Object.fromEntries(
        [...wanted]
          .filter(([, elements]) => elements.length > 0)
          .map(([set, elements]) => [set, [...elements].sort()]),
      );
      expect(inKernel).toEqual(inPlans);

      // Rate classes: the sets live VMs need, each with its meter, and no other.
      const classes = [...kernel.keys()].filter((s) => CLASS_SET.test(s)).sort();
      expect(classes).toEqual(
        Object.keys(inPlans)
          .filter((s) => CLASS_SET.test(s))
          .sort(),
      );
      const meters = ruleset.nftables
        .flatMap((o) => (o.set && METER_SET.test(o.set.name) ? [o.set.name] : []))
        .sort();
      expect(meters).toEqual(
        classes.map((s) => s.replace(/^rl_/, "rlm_").replace(/^cl_/, "clm_")).sort(),
      );

      // Ports and bridges: those of live VMs, and no other.
      const links = JSON.parse(await run("ip", ["-n", namespace, "-j", "-d", "link", "show"])) as {
        ifname: string;
        flags: string[];
        master?: string;
        linkinfo?: { info_kind?: string };
      }[];
      const ofKind = (kind: string) =>
        links
          .filter((l) => l.linkinfo?.info_kind === kind)
          .map((l) => l.ifname)
          .sort();
      const interfaces = plans.flatMap((p) => p.debug.interfaces);
      expect(ofKind("veth")).toEqual(interfaces.map((i) => i.tap_device).sort());
      expect(ofKind("bridge")).toEqual([...new Set(interfaces.map((i) => i.bridge))].sort());
      // Each port up on its bridge, each bridge up.
      const linkState = (name: string) => {
        const link = links.find((l) => l.ifname === name);
        return { name, up: link?.flags.includes("UP"), master: link?.master };
      };
      expect(interfaces.map((i) => linkState(i.tap_device))).toEqual(
        interfaces.map((i) => ({ name: i.tap_device, up: true, master: i.bridge })),
      );
      expect(ofKind("bridge").map((b) => linkState(b).up)).not.toContain(false);
      // The host end of every port and every bridge accepts nothing from the guests.
      const keys = [
        ...interfaces.flatMap((i) =>
          ["accept_ra", "accept_redirects", "accept_source_route", "autoconf"].map(
            (k) => `net.ipv6.conf.${i.tap_device}.${k}`,
          ),
        ),
        ...ofKind("bridge").flatMap((b) =>
          ["accept_ra", "accept_redirects"].map((k) => `net.ipv6.conf.${b}.${k}`),
        ),
      ];
      if (keys.length > 0) {
        const values = await run("ip", ["netns", "exec", namespace, "sysctl", ...keys]);
        expect(
          values
            .trim()
            .split("\n")
            .filter((l) => !l.endsWith(" = 0")),
        ).toEqual([]);
      }

      // Guest namespaces: one per live VM, none for any other VM ever attempted.
      const existing = await namespaces();
      const liveIds = new Set(live.map((v) => v.vmId));
      const guestNamespaces = [...attempted]
        .filter((vmId) => existing.has(guestNamespaceName(vmId)))
        .sort();
      expect(guestNamespaces).toEqual([...liveIds].sort());
      // Each one's loopback up and named after this host (one command after the namespace is
      // made: a kill in between leaves it down).
      const loopbacks = await Promise.all(
        plans.map(async ({ debug }) => {
          const ns = debug.interfaces[0]?.guest_namespace ?? "";
          const lo = JSON.parse(await run("ip", ["-n", ns, "-j", "link", "show", "lo"])) as {
            flags: string[];
            ifalias?: string;
          }[];
          return { ns, up: lo[0]?.flags.includes("UP"), alias: lo[0]?.ifalias };
        }),
      );
      expect(
        loopbacks.filter((l) => !l.up || l.alias !== `metald:${namespace}`).map((l) => l.ns),
      ).toEqual([]);

      // Guest side: the stored MAC and addresses (an address change committed before the kill
      // included).
      for (const { vmId, debug } of plans) {
        for (const iface of debug.interfaces) {
          const out = await run("ip", ["-n", iface.guest_namespace, "-j", "addr", "show"]);
          const guest = (
            JSON.parse(out) as {
              ifname: string;
              address: string;
              addr_info: { local: string; prefixlen: number; scope: string }[];
            }[]
          ).filter((l) => l.ifname !== "lo");
          expect(
            guest.map((l) => ({
              mac: l.address,
              addresses: l.addr_info
                .filter((a) => a.scope === "global")
                .map((a) => `${a.local}/${a.prefixlen}`),
            })),
            `${vmId} guest interface`,
          ).toEqual([
            { mac: iface.mac_address, addresses: iface.ipv6?.address ? [iface.ipv6.address] : [] },
          ]);
        }
      }
      return [...liveIds];
    }

    /** Control-plane events by VM and action. */
    async function controlEvents(): Promise<Map<string, number>> {
      const counts = new Map<string, number>();
      let cursor = "";
      for (;;) {
        const res = await fetch(
          `${metald.url}/api/v1/security/events?category=audit&limit=1000&cursor=${cursor}`,
        );
        const page = (await res.json()) as {
          events: { vm_id: string | null; event_type: string; details: { action?: string } }[];
          next_cursor: string;
        };
        for (const e of page.events) {
          const key = `${e.vm_id} ${e.details.action ?? e.event_type}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        if (page.events.length === 0) return counts;
        cursor = page.next_cursor;
      }
    }

    const ACTIONS: Partial<Record<Operation, string>> = {
      create: "vm.create",
      policy: "vm.update_security_policy",
      address: "vm.update_network",
      delete: "vm.delete",
    };

    /** Every answered create, update and delete (each always a change) has its event. */
    async function expectAnsweredChangesHaveEvents(): Promise<void> {
      const answered = new Map<string, number>();
      for (const o of outcomes) {
        const action = ACTIONS[o.operation];
        // A delete of a VM already terminated is answered without a change.
        if (o.status !== 200 || !action) continue;
        const key = `${o.vmId} ${action}`;
        answered.set(key, (answered.get(key) ?? 0) + 1);
      }
      const events = await controlEvents();
      const missing = [...answered].filter(
        ([key, n]) => (events.get(key) ?? 0) < (key.endsWith("vm.delete") ? 1 : n),
      );
      expect(missing).toEqual([]);
    }

    it(
      `keeps the kernel equal to the database and every committed change's event across ${ROUNDS} kills`,
      async () => {
        const started = Date.now();
        let live: string[] = [];
        const kills: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const url = metald.url;
          const running = stream(url, [...live]);
          const delay = KILL_AFTER_MS.min + Math.random() * (KILL_AFTER_MS.max - KILL_AFTER_MS.min);
          kills.push(Math.round(delay));
          // The experiment: a kill at a random moment of the stream.
          await new Promise((resolve) => setTimeout(resolve, delay));
          await metald.crashAndRestart();
          outcomes.push(...(await running));
          live = await expectHostMatchesDatabase();
          await expectAnsweredChangesHaveEvents();
        }
        const statuses = new Map<string, number>();
        for (const o of outcomes) {
          const key = `${o.operation} ${o.status ?? "cut"}`;
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
        }
        console.info(
          `${ROUNDS} kills after ${kills.join(", ")} ms; ${outcomes.length} calls (${[...statuses].map(([k, n]) => `${k}: ${n}`).join(", ")}); ${live.length} VMs live; ${Math.round((Date.now() - started) / 1000)} s`,
        );
        expect(outcomes.some((o) => o.status === undefined)).toBe(true);

        // In the database itself: each audit record with exactly one event naming it.
        await metald.stop();
        const db = await openDatabase({ dataDir: metald.env.METALD_DATA_DIR as string });
        try {
          const unmatched = await db.query<{ id: string; action: string; events: string }>(
            `SELECT a.id, a.action, count(e.seq) AS events
             FROM audit_records a LEFT JOIN security_events e ON e.details->>'audit_id' = a.id
             GROUP BY a.id, a.action HAVING count(e.seq) <> 1`,
          );
          expect(unmatched.rows).toEqual([]);
          const orphans = await db.query<{ id: string }>(
            `SELECT e.id FROM security_events e
             WHERE e.details ? 'audit_id'
               AND NOT EXISTS (SELECT 1 FROM audit_records a WHERE a.id = e.details->>'audit_id')`,
          );
          expect(orphans.rows).toEqual([]);
          const audited = await db.query<{ action: string; n: string }>(
            "SELECT action, count(*) AS n FROM audit_records GROUP BY action ORDER BY action",
          );
          const total = audited.rows.reduce((sum, r) => sum + Number(r.n), 0);
          console.info(
            `committed changes, each with its event: ${audited.rows.map((r) => `${r.action}: ${r.n}`).join(", ")}`,
          );
          // Answered creates and updates are changes for sure (an isolate may find the VM
          // isolated already, a delete may find it gone).
          const surelyChanged = outcomes.filter(
            (o) => o.status === 200 && ["create", "policy", "address"].includes(o.operation),
          ).length;
          expect(total).toBeGreaterThanOrEqual(surelyChanged);
        } finally {
          await db.close();
        }
      },
      // About 2-3 minutes; the margin is for a machine other work slows down.
      8 * 60_000,
    );
  },
);

// Crash anywhere and the kernel matches the database. Each round sends a stream of concurrent
// CreateVm / UpdateSecurityPolicy / UpdateVmNetwork (a new address) / IsolateVm / UnisolateVm /
// DeleteVm calls to a sandbox-driver server, SIGKILLs it at a random moment and starts it again
// on the same database (the start reconciles the host from the database). Then: every live VM's
// set and map elements, port (up, on its bridge, with its sysctls), bridge, guest namespace (its
// loopback up), MAC and addresses are in the kernel and nothing of any other VM is; rate
// classes are exactly those live VMs need; every change that was answered has its control-plane
// event. At the end, in the database itself: every audit record has exactly one event naming it
// and no event names a missing audit record. The comparison is e2e/harness/kernel-matches-database.ts,
// which the soak shares.
// Calls in flight when the kill comes may fail (connection reset): what committed must hold.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { guestNamespaceName } from "@metald/core";
import { kernelTestsCanRun } from "@metald/core/testing";
import { openDatabase } from "@metald/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareKernelWithDatabase } from "./harness/kernel-matches-database.js";
import { readCommand } from "./harness/kernel-state.js";
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

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

type Operation = "create" | "policy" | "address" | "isolate" | "unisolate" | "delete";

interface Outcome {
  operation: Operation;
  vmId: string;
  /** HTTP status, or undefined when the call got no answer (the kill). */
  status?: number;
}

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
      const out = await readCommand("ip", ["-j", "netns", "list"]);
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

    /** The kernel against the database's live VMs (kernel-matches-database.ts); returns the live VM ids. */
    async function expectHostMatchesDatabase(): Promise<string[]> {
      const { live, mismatches } = await compareKernelWithDatabase(
        metald.url,
        namespace,
        attempted,
      );
      expect(
        mismatches,
        `${JSON.stringify(mismatches, null, 1)}\n${metald.log.slice(-5).join("\n")}`,
      ).toEqual([]);
      return live;
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

        // In the database itself: each VM change's audit record with exactly one event naming it
        // (API writes without a VM change, refused ones among them, are audited without an event).
        await metald.stop();
        const db = await openDatabase({ dataDir: metald.env.METALD_DATA_DIR as string });
        try {
          const unmatched = await db.query<{ id: string; action: string; events: string }>(
            `SELECT a.id, a.action, count(e.seq) AS events
             FROM audit_records a LEFT JOIN security_events e ON e.details->>'audit_id' = a.id
             WHERE a.action LIKE 'vm.%'
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
            "SELECT action, count(*) AS n FROM audit_records WHERE action LIKE 'vm.%' GROUP BY action ORDER BY action",
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

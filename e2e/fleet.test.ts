// Two metald processes on one PostgreSQL database, each with a sandbox namespace and a host id
// of its own (docs/fleet.md): a VM created on a host is enforced in that host's kernel only, a
// change sent to the other host is refused naming the owner, 64 creates split across both
// hosts draw 64 different addresses from one pool, and ListHosts shows both hosts with the
// one that stopped turning stale within 3 heartbeats; the event feed read alternately from
// both hosts gives every event of the one log exactly once, in its order; a source blocked
// through one host is programmed by the other on its heartbeat.
import { kernelTestsCanRun } from "@metald/core/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "./harness/curl-like.js";
import { readKernelState } from "./harness/kernel-state.js";
import { type MetaldProcess, POSTGRES_URL, startMetald } from "./harness/metald-process.js";
import { createPostgresSchema } from "./harness/postgres-schema.js";
import { waitUntil } from "./harness/wait-until.js";

const VM = "/vmprovisioner.v1.VmService";
const HOSTS = "/vmprovisioner.v1.HostService";
const HEARTBEAT_MS = 400;

interface FleetHost {
  hostId: string;
  address: string;
  stale: boolean;
  heartbeatMs: number;
  lastHeartbeatAt: string;
}

async function listHosts(via: MetaldProcess): Promise<FleetHost[]> {
  const res = await postJson(`${via.url}${HOSTS}/ListHosts`, {});
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body as { hosts: FleetHost[] }).hosts;
}

async function createVm(on: MetaldProcess, config: unknown): Promise<string> {
  const res = await postJson(`${on.url}${VM}/CreateVm`, { config });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body as { vmId: string }).vmId;
}

/** Every element of the sandbox's metald sets, as one text to search for an address or port. */
async function kernelText(namespace: string): Promise<string> {
  return JSON.stringify((await readKernelState(namespace)).sets);
}

describe.runIf(kernelTestsCanRun("two hosts on one database", ["root", "ip", "nft"]))(
  "a fleet of two sandbox hosts on one PostgreSQL",
  () => {
    let schema: Awaited<ReturnType<typeof createPostgresSchema>> | undefined;
    let a: MetaldProcess;
    let b: MetaldProcess;
    let bStopped = false;

    beforeAll(async () => {
      schema = await createPostgresSchema("metald_fleet");
      const shared = { DATABASE_URL: schema.url, METALD_HEARTBEAT_MS: String(HEARTBEAT_MS) };
      // One after the other: the first applies the migrations, the second finds them applied.
      a = await startMetald("postgres", {
        driver: "sandbox",
        logLevel: "warn",
        env: { ...shared, METALD_HOST_ID: "fleet-a" },
      });
      b = await startMetald("postgres", {
        driver: "sandbox",
        logLevel: "warn",
        env: { ...shared, METALD_HOST_ID: "fleet-b" },
      });
    }, 120_000);

    afterAll(async () => {
      await a?.destroy();
      if (b) await b.destroy();
      await schema?.drop();
    }, 60_000);

    it("enforces each VM on its own host only and refuses a change through the other host", async () => {
      const onA = await createVm(a, {
        tenant_id: "fleet-acme",
        network: [{ id: "eth0", ipv6: { address: "2001:db8:f1::a/64" } }],
      });
      const onB = await createVm(b, {
        tenant_id: "fleet-acme",
        network: [{ id: "eth0", ipv6: { address: "2001:db8:f1::b/64" } }],
      });
      const kernelA = await kernelText(a.env.METALD_SANDBOX_NAMESPACE as string);
      const kernelB = await kernelText(b.env.METALD_SANDBOX_NAMESPACE as string);
      expect(kernelA).toContain("2001:db8:f1::a");
      expect(kernelA).not.toContain("2001:db8:f1::b");
      expect(kernelB).toContain("2001:db8:f1::b");
      expect(kernelB).not.toContain("2001:db8:f1::a");

      // Reads are fleet-wide: host B answers for host A's VM and lists both, or one host's.
      const got = await postJson(`${b.url}${VM}/GetVm`, { vm_id: onA });
      expect(got.status).toBe(200);
      expect((got.body as { hostId: string }).hostId).toBe("fleet-a");
      const listed = await postJson(`${b.url}${VM}/ListVms`, { host_id: "fleet-a" });
      expect((listed.body as { vms: { vmId: string; hostId: string }[] }).vms).toEqual([
        expect.objectContaining({ vmId: onA, hostId: "fleet-a" }),
      ]);
      const all = await postJson(`${a.url}${VM}/ListVms`, {});
      expect((all.body as { vms: { vmId: string }[] }).vms.map((v) => v.vmId)).toEqual(
        expect.arrayContaining([onA, onB]),
      );

      // Changes to host A's VM through host B: refused, naming host A, nothing changed.
      const isolate = await postJson(`${b.url}${VM}/IsolateVm`, { vm_id: onA, reason: "test" });
      expect(isolate.body).toMatchObject({
        code: "failed_precondition",
        message: expect.stringContaining('host "fleet-a"'),
      });
      const rest = await fetch(`${b.url}/api/v1/vms/${onA}`, { method: "DELETE" });
      expect(rest.status).toBe(409);
      expect(await rest.json()).toMatchObject({
        code: "failed_precondition",
        message: expect.stringContaining('host "fleet-a"'),
      });
      const after = await postJson(`${a.url}${VM}/GetVm`, { vm_id: onA });
      expect(after.body).toMatchObject({ state: "VM_STATE_CREATED", isolated: false });
      expect(await kernelText(a.env.METALD_SANDBOX_NAMESPACE as string)).toContain(
        "2001:db8:f1::a",
      );

      // The owner changes it.
      const deleted = await postJson(`${a.url}${VM}/DeleteVm`, { vm_id: onA });
      expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
      expect(await kernelText(a.env.METALD_SANDBOX_NAMESPACE as string)).not.toContain(
        "2001:db8:f1::a",
      );
    }, 60_000);

    it("64 concurrent creates split across both hosts from one pool never share an address", async () => {
      const pool = await postJson(`${a.url}/vmprovisioner.v1.Ipv6PoolService/CreatePool`, {
        pool: { id: "fleet-pool", prefix: "2001:db8:f2::/64", tenant_id: "fleet-pooled" },
      });
      expect(pool.status, JSON.stringify(pool.body)).toBe(200);
      const config = { tenant_id: "fleet-pooled", network: [{ id: "eth0", ipv6: {} }] };
      const started = performance.now();
      const ids = await Promise.all(
        Array.from({ length: 64 }, (_, i) => createVm(i % 2 === 0 ? a : b, config)),
      );
      const seconds = (performance.now() - started) / 1000;
      console.log(`64 creates across two hosts: ${seconds.toFixed(1)} s`);
      const vms = await Promise.all(
        ids.map(async (id) => {
          const res = await postJson(`${a.url}${VM}/GetVm`, { vm_id: id });
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          const body = res.body as { hostId: string; network: { ipv6Addresses?: string[] }[] };
          return { id, hostId: body.hostId, body };
        }),
      );
      const perVm = vms.map(
        (v) => new Set(JSON.stringify(v.body).match(/2001:db8:f2:[0-9a-f:]+/g)),
      );
      for (const [i, set] of perVm.entries())
        expect(set.size, JSON.stringify(vms[i]?.body.network)).toBe(1);
      const distinct = new Set(perVm.map((s) => [...s][0]));
      expect(distinct.size).toBe(64);
      expect(vms.filter((v) => v.hostId === "fleet-a")).toHaveLength(32);
      expect(vms.filter((v) => v.hostId === "fleet-b")).toHaveLength(32);
      // Each host's kernel holds exactly its own VMs' addresses.
      // Addresses, not the pool's prefix (2001:db8:f2::/64) that address policies hold too.
      const pooled = (text: string) =>
        new Set(text.match(/2001:db8:f2:[0-9a-f:]+/g)?.filter((x) => !x.endsWith(":")));
      const addressesOf = (hostId: string) =>
        new Set(vms.flatMap((v, i) => (v.hostId === hostId ? [...(perVm[i] as Set<string>)] : [])));
      expect(pooled(await kernelText(a.env.METALD_SANDBOX_NAMESPACE as string))).toEqual(
        addressesOf("fleet-a"),
      );
      expect(pooled(await kernelText(b.env.METALD_SANDBOX_NAMESPACE as string))).toEqual(
        addressesOf("fleet-b"),
      );
    }, 180_000);

    it("the feed read alternately from both hosts gives every event exactly once in one order", async () => {
      let writing = true;
      let serial = 0;
      // Two writers per host: events of both hosts interleave in the one log.
      const writers = [a, a, b, b].map(async (host) => {
        while (writing) {
          serial++;
          await createVm(host, {
            tenant_id: "fleet-feed",
            network: [{ id: "eth0", ipv6: { address: `2001:db8:f3::${serial.toString(16)}/64` } }],
          });
        }
      });
      const seen: string[] = [];
      let cursor = "";
      let reads = 0;
      // Each page from the other host, resuming from the cursor the previous host issued.
      const read = async () => {
        const host = reads++ % 2 === 0 ? a : b;
        const res = await fetch(`${host.url}/api/v1/security/feed?limit=5&cursor=${cursor}`);
        expect(res.status).toBe(200);
        const page = (await res.json()) as {
          events: { event: { id: string } }[];
          next_cursor: string;
        };
        seen.push(...page.events.map((e) => e.event.id));
        cursor = page.next_cursor;
        return page.events.length;
      };
      const started = Date.now();
      while (Date.now() - started < 3_000) await read();
      writing = false;
      await Promise.all(writers);
      // The log's one order, as the database holds it.
      const logged = async () => {
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        try {
          const { rows } = await client.query<{ id: string }>(
            `SELECT id FROM ${schema?.name}.security_events ORDER BY seq`,
          );
          return rows.map((r) => r.id);
        } finally {
          await client.end();
        }
      };
      let stored: string[] = [];
      await waitUntil("the feed to reach every stored event", async () => {
        while ((await read()) > 0) {}
        stored = await logged();
        return stored.length === seen.length;
      });
      expect(reads).toBeGreaterThan(4);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(stored);
      console.log(`feed: ${seen.length} events over ${reads} reads alternating hosts`);
    }, 60_000);

    it("a source blocked through one host is dropped by both, and unblocked through the other, by neither", async () => {
      const source = "2001:db8:bad:f1::66";
      const blocked = async (on: MetaldProcess) =>
        (await readKernelState(on.env.METALD_SANDBOX_NAMESPACE as string)).sets.blocked_sources ??
        [];
      const added = await postJson(`${a.url}/debug/security/blocked-sources`, {
        source,
        reason: "scanner",
      });
      expect(added.status, JSON.stringify(added.body)).toBe(201);
      // Host A at once, as it answers; host B on its heartbeat.
      expect(await blocked(a)).toContain(source);
      const since = Date.now();
      await waitUntil(
        "host B to program the source blocked through host A",
        async () => (await blocked(b)).includes(source),
        { timeoutMs: 20 * HEARTBEAT_MS, intervalMs: 50 },
      );
      console.log(`blocked on host B ${Date.now() - since} ms after host A answered`);
      const removed = await fetch(
        `${b.url}/debug/security/blocked-sources/${encodeURIComponent(source)}`,
        { method: "DELETE" },
      );
      expect(removed.status).toBe(200);
      expect(await blocked(b)).not.toContain(source);
      await waitUntil(
        "host A to remove the source unblocked through host B",
        async () => !(await blocked(a)).includes(source),
        { timeoutMs: 20 * HEARTBEAT_MS, intervalMs: 50 },
      );
    }, 30_000);

    it("lists both hosts, and the one that stopped is stale within 3 heartbeats", async () => {
      const hosts = await listHosts(b);
      expect(hosts.map((h) => [h.hostId, h.stale, h.heartbeatMs])).toEqual([
        ["fleet-a", false, HEARTBEAT_MS],
        ["fleet-b", false, HEARTBEAT_MS],
      ]);
      expect(hosts[0]?.address).toBe(a.url);
      expect(hosts[1]?.address).toBe(b.url);
      // Heartbeats move forward.
      const first = hosts[0]?.lastHeartbeatAt as string;
      await waitUntil("host A's next heartbeat", async () =>
        (await listHosts(a)).some((h) => h.hostId === "fleet-a" && h.lastHeartbeatAt > first),
      );

      await b.stop();
      bStopped = true;
      const stopped = Date.now();
      await waitUntil(
        "host B to be shown stale",
        async () => (await listHosts(a)).find((h) => h.hostId === "fleet-b")?.stale === true,
        { timeoutMs: 10 * HEARTBEAT_MS, intervalMs: 50 },
      );
      const elapsed = Date.now() - stopped;
      console.log(`stale ${elapsed} ms after the stop (heartbeat ${HEARTBEAT_MS} ms)`);
      // Its last heartbeat was at most one interval before the stop: stale by 3 intervals after
      // it, plus a poll and a request's time.
      expect(elapsed).toBeLessThanOrEqual(3 * HEARTBEAT_MS + 250);
      expect((await listHosts(a)).find((h) => h.hostId === "fleet-a")?.stale).toBe(false);
      expect(bStopped).toBe(true);
    }, 30_000);
  },
);

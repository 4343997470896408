// Real attacks in sandbox mode, followed to everywhere they must be seen: the event log
// (REST and Connect) with the right VM, tenant, type and source address taken from the kernel's
// packet samples; the Prometheus metrics; and a SIEM receiver on loopback (critical events at
// once as CEF and JSON, other security events in the configured formats).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "../harness/curl-like.js";
import { type MetaldProcess, startMetald } from "../harness/metald-process.js";
import { idOf, type SiemReceiver, startSiemReceiver } from "../harness/siem-receiver.js";
import { waitUntil } from "../harness/wait-until.js";
import {
  canSendRealPackets,
  counters,
  createGuest,
  type Guest,
  packets,
  send,
  waitForAddresses,
} from "./sandbox-guests.js";

const SPOOFED = "2001:db8:bad::66";

type Event = {
  event_id: string;
  vm_id: string;
  customer_id: string;
  event_type: string;
  severity: string;
  source_ip: string | null;
  count: number;
  details: Record<string, unknown>;
};

const until = <T>(what: string, probe: () => Promise<T | undefined>) =>
  waitUntil(what, probe, { intervalMs: 200 });

describe.runIf(canSendRealPackets)("attacks become events, metrics and SIEM records", () => {
  let metald: MetaldProcess;
  let receiver: SiemReceiver;
  let attacker: Guest;
  let victim: Guest;

  const events = async (query: string) =>
    (
      (await (await fetch(`${metald.url}/api/v1/security/events?${query}&limit=1000`)).json()) as {
        events: Event[];
      }
    ).events;

  beforeAll(async () => {
    receiver = await startSiemReceiver();
    metald = await startMetald("pglite", {
      driver: "sandbox",
      env: {
        METALD_SIEM_ENDPOINT: receiver.url,
        METALD_SIEM_FORMATS: "json,cef,leef",
        METALD_SIEM_FLUSH_INTERVAL_MS: "200",
      },
    });
    const guest = (address: string) =>
      createGuest(metald.url, address, {
        tenant_id: "evt-red",
        network: [{ id: "eth0", ipv6: { address: `${address}/64`, security: {} } }],
      });
    attacker = await guest("2001:db8:ee::a");
    victim = await guest("2001:db8:ee::b");
    for (const g of [attacker, victim]) await waitForAddresses(g);
  }, 60_000);

  afterAll(async () => {
    for (const g of [attacker, victim]) {
      if (g) await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, { vm_id: g.vmId });
    }
    await metald?.destroy();
    await receiver?.close();
  });

  it("a rogue router advertisement: an ra_guard_block event naming the attacker's VM, tenant and source, with the exact count", async () => {
    const before = packets(await counters(metald.url, attacker.vmId), "ra_guard");
    await send(attacker, "ra-plain", { src: attacker.linkLocal, count: 5 });
    const c = await counters(metald.url, attacker.vmId);
    expect(packets(c, "ra_guard") - before).toBe(5);
    const event = await until("the ra_guard_block event", async () =>
      (await events(`vm_id=${attacker.vmId}&event_type=ra_guard_block`)).find(
        (e) => e.source_ip !== null,
      ),
    );
    expect(event).toMatchObject({
      customer_id: "evt-red",
      severity: "warning",
      source_ip: attacker.linkLocal,
      details: expect.objectContaining({ control: "ra_guard", icmpv6_types: [134] }),
    });
    expect(
      (await events(`vm_id=${attacker.vmId}&event_type=ra_guard_block`)).reduce(
        (n, e) => n + e.count,
        0,
      ),
    ).toBe(packets(c, "ra_guard"));
    // In the SIEM: a warning takes the security_events route, in each configured format.
    await until("the event at the SIEM in JSON, CEF and LEEF", async () =>
      ["json", "cef", "leef"].every((f) => receiver.eventIds(f).includes(event.event_id))
        ? true
        : undefined,
    );
    const cef = receiver.batches
      .filter((b) => b.format === "cef")
      .flatMap((b) => b.records)
      .find((r) => idOf("cef", r) === event.event_id) as { extension: Record<string, string> };
    expect(cef.extension).toMatchObject({
      src: attacker.linkLocal,
      c6a2: attacker.linkLocal,
      c6a2Label: "Source IPv6 Address",
      cs1: attacker.vmId,
      cs2: "evt-red",
      cat: "ra_guard_block",
    });
  });

  it("a spoofed source: a critical source_spoofing event with the spoofed address, sent to the SIEM at once as CEF and JSON", async () => {
    await send(attacker, "echo", { src: SPOOFED, dst: victim.address, count: 4 });
    const event = await until("the source_spoofing event", async () =>
      (await events(`vm_id=${attacker.vmId}&event_type=source_spoofing`)).find(
        (e) => e.source_ip === SPOOFED,
      ),
    );
    expect(event).toMatchObject({ customer_id: "evt-red", severity: "critical", count: 4 });
    expect(event.details).toMatchObject({
      destination_ip: victim.address,
      interface: attacker.tap,
    });
    await until("the critical event at the SIEM", async () =>
      ["json", "cef"].every((f) => receiver.eventIds(f).includes(event.event_id))
        ? true
        : undefined,
    );
    const batch = receiver.batches.find(
      (b) => b.format === "json" && b.records.some((r) => idOf("json", r) === event.event_id),
    );
    expect(batch?.destination).toBe("security_operations");
    const doc = batch?.records.find((r) => idOf("json", r) === event.event_id) as {
      event: { kind: string; severity: number };
      source: { ip: string };
      destination: { ip: string };
    };
    expect(doc).toMatchObject({
      event: { kind: "alert", severity: 10 },
      source: { ip: SPOOFED },
      destination: { ip: victim.address },
    });
  });

  it("shows the attacks in the metrics, the report, the Connect API and the guides' jq groupings", async () => {
    const text = await (await fetch(metald.metricsUrl)).text();
    const labels = `vm_id="${attacker.vmId}",customer_id="evt-red"`;
    expect(text).toMatch(
      new RegExp(`^metald_ipv6_source_guard_violations_total\\{${labels}\\} 4$`, "m"),
    );
    expect(text).toMatch(
      /^metald_network_security_events_total\{severity="critical",event_type="source_spoofing"\} [1-9]/m,
    );
    expect(text).toMatch(
      /^metald_siem_events_sent_total\{destination="security_operations",format="cef"\} [1-9]/m,
    );
    const report = (await (
      await fetch(`${metald.url}/debug/security/report`, {
        method: "POST",
        body: JSON.stringify({ start_time: new Date(Date.now() - 3_600_000).toISOString() }),
        headers: { "content-type": "application/json" },
      })
    ).json()) as { top_offenders: { source_ip: string }[]; by_vm: { vm_id: string }[] };
    expect(report.top_offenders.map((o) => o.source_ip)).toContain(SPOOFED);
    expect(report.by_vm[0]?.vm_id).toBe(attacker.vmId);
    const listed = await postJson(
      `${metald.url}/vmprovisioner.v1.SecurityEventService/ListSecurityEvents`,
      { vm_id: attacker.vmId, severity: "EVENT_SEVERITY_CRITICAL" },
    );
    expect(listed.status).toBe(200);
    const rpcEvents = (listed.body as { events: { sourceIp: string; customerId: string }[] })
      .events;
    expect(rpcEvents.some((e) => e.sourceIp === SPOOFED && e.customerId === "evt-red")).toBe(true);
    const all = (await (await fetch(`${metald.url}/debug/security/events`)).json()) as Event[];
    const byType = new Map<string, number>();
    for (const e of all) byType.set(e.event_type, (byType.get(e.event_type) ?? 0) + 1);
    expect(byType.get("ra_guard_block")).toBeGreaterThan(0);
    expect(byType.get("source_spoofing")).toBeGreaterThan(0);
  });

  it("enhanced monitoring raises the tenant's sampling, then expires", async () => {
    const res = await postJson(`${metald.url}/debug/security/enhance-monitoring`, {
      tenant_id: "evt-red",
      duration: "2s",
      log_level: "DEBUG",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ tenant_id: "evt-red", ports: 2, addresses: 2 });
    const endsAt = Date.parse((res.body as { until: string }).until);
    const enhancements = async () =>
      (await (await fetch(`${metald.url}/debug/security/enhance-monitoring`)).json()) as {
        tenant_id: string;
      }[];
    const listed = await enhancements();
    // Listed until its end time (an answer that came after the end proves nothing either way).
    if (Date.now() < endsAt) expect(listed.map((e) => e.tenant_id)).toEqual(["evt-red"]);
    // 100 spoofed echo requests at once: the ICMPv6 rate limit drops most, source guard the
    // rest. Unboosted, each control samples a burst of 20 at most (40 in all); boosted, all.
    const cursor = (
      (await (
        await fetch(`${metald.url}/api/v1/security/events?vm_id=${attacker.vmId}&limit=1000`)
      ).json()) as { next_cursor: string }
    ).next_cursor;
    await send(attacker, "echo", { src: "2001:db8:bad::77", dst: victim.address, count: 100 });
    // A counter reading can fall between the burst's samples and the rest of its count: such an
    // event carries no source, so the total is taken over the flood's events, named or not.
    const flood = await until("the sampled flood", async () => {
      const found = (await events(`vm_id=${attacker.vmId}&cursor=${cursor}`)).filter((e) =>
        ["rate_limit_exceeded", "source_spoofing"].includes(e.event_type),
      );
      return found.reduce((n, e) => n + e.count, 0) === 100 ? found : undefined;
    });
    const named = flood.filter((e) => e.source_ip !== null).map((e) => e.source_ip);
    expect(named.length).toBeGreaterThan(0);
    expect(new Set(named)).toEqual(new Set(["2001:db8:bad::77"]));
    expect(new Set(flood.map((e) => e.event_type))).toEqual(
      new Set(["rate_limit_exceeded", "source_spoofing"]),
    );
    expect(flood.reduce((n, e) => n + Number(e.details.samples), 0)).toBeGreaterThan(40);
    const bad = await postJson(`${metald.url}/debug/security/enhance-monitoring`, {
      tenant_id: "evt-red",
      duration: "forever",
    });
    expect(bad.status).toBe(400);
    // The enhancement ends by itself: it is listed until its end time, then no longer.
    await until("the enhancement to expire", async () =>
      (await enhancements()).length === 0 ? true : undefined,
    );
  });
});

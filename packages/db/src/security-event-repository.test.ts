import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createSecurityEventRepository,
  type NewSecurityEvent,
} from "./security-event-repository.js";
import { createSiemDeliveryRepository } from "./siem-delivery-repository.js";
import { TEST_DATABASES, type TestDatabase } from "./test-databases.js";

let serial = 0;
function event(over: Partial<NewSecurityEvent> = {}): NewSecurityEvent {
  serial++;
  return {
    id: `evt-${String(serial).padStart(8, "0")}-${Math.random().toString(36).slice(2, 8)}`,
    timestamp: new Date(),
    vmId: "vm-a",
    customerId: "acme",
    eventType: "ra_guard_block",
    severity: "warning",
    sourceIp: "fe80::1",
    description: "3 router advertisements blocked",
    details: { control: "ra_guard" },
    count: 3,
    retentionDays: 90,
    category: "security",
    ...over,
  };
}

describe.each(Object.entries(TEST_DATABASES))("security event log on %s", (_name, open) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await open();
  });
  afterAll(async () => {
    await t.drop();
  });

  it("gives a reader following its position every event once and in order, while many transactions insert at once", async () => {
    const repo = createSecurityEventRepository(t.db);
    const start = await repo.lastSeq();
    const written: string[] = [];
    let writing = true;
    const writers = Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 40; i++) {
        const batch = Array.from({ length: 1 + (i % 5) }, () => event());
        await repo.insert(batch);
        written.push(...batch.map((e) => e.id));
      }
    });
    const all = Promise.all(writers).finally(() => {
      writing = false;
    });
    const seen: string[] = [];
    let position = start;
    const readPage = async () => {
      const page = await repo.readFeed(position, 13);
      seen.push(...page.map((e) => e.id));
      position = page[page.length - 1]?.seq ?? position;
      return page.length;
    };
    while (writing) await readPage();
    await all;
    while ((await readPage()) > 0) {}
    expect(seen.length).toBe(written.length);
    expect(new Set(seen)).toEqual(new Set(written));
    const stored = await repo.readFeed(start, 10_000);
    expect(seen).toEqual(stored.map((e) => e.id));
  });

  it("stores each event of a batch with its own time, content and details when many share them and some do not", async () => {
    const repo = createSecurityEventRepository(t.db);
    const start = await repo.lastSeq();
    const at = new Date("2026-11-30T10:00:00.000Z");
    const later = new Date("2026-11-30T10:00:05.000Z");
    const shared = { framework: "HIPAA", requirement: "§164.312(b)" };
    const batch = Array.from({ length: 300 }, (_, i) =>
      event({
        vmId: `vm-${i}`,
        timestamp: i % 7 === 0 ? later : at,
        retentionDays: i % 2 === 0 ? 30 : 400,
        eventType: i % 3 === 0 ? "compliance_restored" : "compliance_violation",
        severity: i % 3 === 0 ? "info" : "error",
        category: "audit",
        description: i % 5 === 0 ? `its own: ${i}` : "HIPAA §164.312(b) violated",
        // Every tenth event has details of its own, equal in content to the shared ones for
        // half of them; the others share one object.
        details: i % 10 === 0 ? (i % 20 === 0 ? { ...shared } : { own: i }) : shared,
      }),
    );
    const stored = await repo.insert(batch);
    expect(stored.map((e) => e.seq)).toEqual(stored.map((_, i) => (stored[0]?.seq ?? 0) + i));
    const read = await repo.readFeed(start, 1_000);
    expect(read.map((e) => e.id)).toEqual(batch.map((e) => e.id));
    read.forEach((e, i) => {
      const sent = batch[i] as NewSecurityEvent;
      expect(e.seq).toBe(stored[i]?.seq);
      expect(e.timestamp.getTime()).toBe(sent.timestamp.getTime());
      expect(e.eventType).toBe(sent.eventType);
      expect(e.severity).toBe(sent.severity);
      expect(e.description).toBe(sent.description);
      expect(e.details).toEqual(sent.details);
      expect(e.vmId).toBe(sent.vmId);
    });
    // Each event expires after its own retention.
    const { rows } = await t.db.query<{ id: string; days: number }>(
      `SELECT id, extract(epoch FROM expires_at - occurred_at) / 86400 AS days
       FROM security_events WHERE seq > $1 ORDER BY seq`,
      [start],
    );
    expect(rows.map((r) => Number(r.days))).toEqual(batch.map((e) => e.retentionDays));
    expect(await repo.listCategory("audit", start, 1_000)).toHaveLength(300);
  });

  it("filters by tenant, VM, type, severity and time; reports counts and top offenders", async () => {
    const repo = createSecurityEventRepository(t.db);
    const at = new Date("2026-03-01T12:00:00Z");
    await repo.insert([
      event({ timestamp: at, customerId: "t-r", vmId: "vm-r1", sourceIp: "2001:db8::bad" }),
      event({ timestamp: at, customerId: "t-r", vmId: "vm-r1", sourceIp: "2001:db8::bad" }),
      event({
        timestamp: at,
        customerId: "t-r",
        vmId: "vm-r2",
        eventType: "source_spoofing",
        severity: "critical",
        sourceIp: "2001:db8::beef",
      }),
    ]);
    const crit = await repo.list({ customerId: "t-r", severity: "critical", limit: 10 });
    expect(crit.map((e) => e.vmId)).toEqual(["vm-r2"]);
    const r = await repo.report({
      start: new Date("2026-03-01T00:00:00Z"),
      end: new Date("2026-03-02T00:00:00Z"),
      customerId: "t-r",
      top: 5,
    });
    expect(r.totalEvents).toBe(3);
    expect(r.totalCount).toBe(9);
    expect(r.byVm).toEqual([
      { key: "vm-r1", count: 2 },
      { key: "vm-r2", count: 1 },
    ]);
    expect(r.topSourceIps[0]).toEqual({ key: "2001:db8::bad", count: 2 });
    const newest = await repo.listNewest({ customerId: "t-r", limit: 2 });
    expect(newest.map((e) => e.vmId)).toEqual(["vm-r1", "vm-r2"]);
  });

  it("deletes events past their retention and remembers how far it deleted", async () => {
    const repo = createSecurityEventRepository(t.db);
    const old = new Date(Date.now() - 10 * 86_400_000);
    const [expired] = await repo.insert([event({ timestamp: old, retentionDays: 7 })]);
    const [kept] = await repo.insert([event({ timestamp: old, retentionDays: 30 })]);
    expect(await repo.purgeExpired(new Date(), 1_000)).toBeGreaterThanOrEqual(1);
    expect(await repo.get(expired?.id ?? "")).toBeUndefined();
    expect(await repo.get(kept?.id ?? "")).toBeDefined();
    expect(await repo.purgedThroughSeq()).toBeGreaterThanOrEqual(expired?.seq ?? 0);
  });

  it("keeps each SIEM route's outbox position and the backlog of its category", async () => {
    const repo = createSecurityEventRepository(t.db);
    const deliveries = createSiemDeliveryRepository(t.db);
    const first = await deliveries.open("siem/audit", await repo.lastSeq());
    const stored = await repo.insert(
      Array.from({ length: 5 }, () => event({ category: "audit", eventType: "config_change" })),
    );
    expect(await repo.countCategory("audit", first.deliveredSeq)).toBe(5);
    const third = await repo.categorySeqAt("audit", first.deliveredSeq, 3);
    expect(third).toBe(stored[2]?.seq);
    await deliveries.advance("siem/audit", third ?? 0, 3);
    await deliveries.advance("siem/audit", 0, 0);
    const again = await deliveries.open("siem/audit", 0);
    expect(again).toEqual({ deliveredSeq: third, dropped: 3 });
    expect((await repo.listCategory("audit", again.deliveredSeq, 10)).length).toBe(2);
  });
});

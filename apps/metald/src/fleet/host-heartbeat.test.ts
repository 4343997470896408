import type { HostRegistration } from "@metald/db";
import { describe, expect, it } from "vitest";
import { startHostHeartbeat } from "./host-heartbeat.js";
import { isHostStale } from "./host-staleness.js";

function fakeRegistry() {
  const rows = new Map<string, HostRegistration & { lastHeartbeatAt: Date }>();
  return {
    rows,
    async register(h: HostRegistration) {
      rows.set(h.hostId, { ...h, lastHeartbeatAt: h.startedAt });
    },
    async heartbeat(hostId: string, at: Date) {
      const row = rows.get(hostId);
      if (!row) return false;
      row.lastHeartbeatAt = at;
      return true;
    },
  };
}

function manualTimer() {
  const timer = {
    fn: undefined as (() => void) | undefined,
    ms: 0,
    cleared: false,
    setInterval(fn: () => void, ms: number) {
      timer.fn = fn;
      timer.ms = ms;
      return 1;
    },
    clearInterval() {
      timer.cleared = true;
    },
  };
  return timer;
}

const registration = {
  hostId: "host-a",
  address: "http://127.0.0.1:8080",
  version: "1.0.0",
  driver: "sandbox",
  capabilities: { nftables: true, vlanDevices: true, bridgeVlanFiltering: true, notes: [] },
  heartbeatMs: 5_000,
};

describe("host heartbeat", () => {
  it("registers at start, beats on its interval with the clock's time, and stops", async () => {
    const registry = fakeRegistry();
    const timer = manualTimer();
    let now = new Date("2026-01-01T00:00:00Z");
    const hb = await startHostHeartbeat({
      hosts: registry,
      registration,
      clock: { now: () => now },
      timer,
      logger: { warn: () => undefined },
    });
    expect(registry.rows.get("host-a")?.startedAt).toEqual(now);
    expect(timer.ms).toBe(5_000);
    now = new Date("2026-01-01T00:00:05Z");
    await hb.beat();
    expect(registry.rows.get("host-a")?.lastHeartbeatAt).toEqual(now);
    hb.stop();
    expect(timer.cleared).toBe(true);
  });

  it("registers again, fresh, when its row went away", async () => {
    const registry = fakeRegistry();
    let now = new Date("2026-01-01T00:00:00Z");
    const hb = await startHostHeartbeat({
      hosts: registry,
      registration,
      clock: { now: () => now },
      timer: manualTimer(),
      logger: { warn: () => undefined },
    });
    registry.rows.clear();
    now = new Date("2026-01-01T00:01:00Z");
    await hb.beat();
    const row = registry.rows.get("host-a");
    expect(row?.lastHeartbeatAt).toEqual(now);
    expect(row && isHostStale(row, now)).toBe(false);
  });

  it("logs a failed beat and keeps going", async () => {
    const warnings: string[] = [];
    const registry = fakeRegistry();
    let fail = false;
    const hb = await startHostHeartbeat({
      hosts: {
        register: registry.register,
        heartbeat: async (id, at) => {
          if (fail) throw new Error("database gone");
          return registry.heartbeat(id, at);
        },
      },
      registration,
      clock: { now: () => new Date() },
      timer: manualTimer(),
      logger: { warn: (_obj, msg) => warnings.push(msg) },
    });
    fail = true;
    await hb.beat();
    expect(warnings).toEqual(["host heartbeat failed"]);
    fail = false;
    await hb.beat();
    expect(warnings).toHaveLength(1);
  });
});

describe("host staleness", () => {
  const last = new Date("2026-01-01T00:00:00Z");
  const at = (ms: number) => new Date(last.getTime() + ms);
  it("is stale after more than three of the host's own intervals", () => {
    expect(isHostStale({ lastHeartbeatAt: last, heartbeatMs: 5_000 }, at(15_000))).toBe(false);
    expect(isHostStale({ lastHeartbeatAt: last, heartbeatMs: 5_000 }, at(15_001))).toBe(true);
    expect(isHostStale({ lastHeartbeatAt: last, heartbeatMs: 200 }, at(601))).toBe(true);
    expect(isHostStale({ lastHeartbeatAt: last, heartbeatMs: 200 }, at(-1_000))).toBe(false);
  });
});

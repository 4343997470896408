import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHostRepository, type HostRegistration } from "./host-repository.js";
import { TEST_DATABASES, type TestDatabase } from "./test-databases.js";

const caps = { nftables: true, vlanDevices: false, bridgeVlanFiltering: true, notes: ["no 8021q"] };

function host(hostId: string, startedAt: Date): HostRegistration {
  return {
    hostId,
    address: `http://${hostId}:8080`,
    version: "1.2.3",
    driver: "sandbox",
    capabilities: caps,
    heartbeatMs: 5000,
    startedAt,
  };
}

describe.each(["pglite", "postgres"] as const)("host registry on %s", (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await TEST_DATABASES[kind]();
  }, 60_000);
  afterAll(async () => {
    await database.drop();
  });

  it("registers hosts, moves their heartbeats forward only, and lists them by host id", async () => {
    const hosts = createHostRepository(database.db);
    const t0 = new Date("2026-01-01T00:00:00.000Z");
    await hosts.register(host("h2", t0));
    await hosts.register(host("h1", t0));
    expect((await hosts.list()).map((h) => h.hostId)).toEqual(["h1", "h2"]);
    const h1 = await hosts.get("h1");
    expect(h1).toEqual({ ...host("h1", t0), lastHeartbeatAt: t0 });

    const t1 = new Date(t0.getTime() + 5000);
    expect(await hosts.heartbeat("h1", t1)).toBe(true);
    // A late beat from before does not move it back.
    expect(await hosts.heartbeat("h1", t0)).toBe(true);
    expect((await hosts.get("h1"))?.lastHeartbeatAt).toEqual(t1);
    expect((await hosts.get("h2"))?.lastHeartbeatAt).toEqual(t0);
    expect(await hosts.heartbeat("unknown", t1)).toBe(false);
  });

  it("re-registers a restarted host in place with its new facts", async () => {
    const hosts = createHostRepository(database.db);
    const later = new Date("2026-01-02T00:00:00.000Z");
    await hosts.register({ ...host("h1", later), address: "http://h1:9090", version: "1.3.0" });
    const h1 = await hosts.get("h1");
    expect(h1?.address).toBe("http://h1:9090");
    expect(h1?.version).toBe("1.3.0");
    expect(h1?.startedAt).toEqual(later);
    expect(h1?.lastHeartbeatAt).toEqual(later);
    expect((await hosts.list()).length).toBe(2);
  });
});

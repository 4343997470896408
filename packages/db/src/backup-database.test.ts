import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatabaseNotEmptyError, readBackup, restoreBackup } from "./backup-database.js";
import { BACKUP_FORMAT_VERSION, type BackupDocument, BackupFormatError } from "./backup-format.js";
import { TEST_DATABASES, type TestDatabase } from "./test-databases.js";
import { createVmRepository } from "./vm-repository.js";

const T0 = new Date("2026-01-01T00:00:00.123Z");

async function fill(t: TestDatabase): Promise<void> {
  const db = t.db;
  await db.query(
    "INSERT INTO tenants (id, name, tier, vlan_id, defaults) VALUES ($1, $1, 'premium', 100, $2)",
    ["acme", JSON.stringify({ ra_guard: { enabled: true } })],
  );
  await db.query("INSERT INTO tenants (id, name) VALUES ('globex', 'Globex')");
  // A pool offset past 2^64: it must come back digit for digit.
  await db.query(
    "INSERT INTO ipv6_pools (id, prefix, tenant_id, next_offset) VALUES ('p1', '2001:db8:1::/48', 'acme', 36893488147419103232)",
  );
  const vms = createVmRepository(db);
  await vms.insert({
    id: "vm-b1",
    tenantId: "acme",
    hostId: "host-1",
    state: "RUNNING",
    applicationTier: "web",
    config: { tenant_id: "acme", memory: { size_bytes: "18446744073709551615" } },
    spec: { id: "vm-b1" },
    effective: [{ interfaceId: "eth0", policy: { raGuard: { enabled: true } } }],
    addresses: [{ address: "2001:db8:1::10", prefixLength: 64, interfaceId: "eth0", poolId: "p1" }],
    createdAt: T0,
    audit: { id: "audit-b1", actor: "test", action: "vm.create", details: {} },
  });
  await vms.updateConfig(
    "vm-b1",
    1,
    {
      config: { tenant_id: "acme" },
      spec: { id: "vm-b1" },
      effective: [],
      addresses: [
        { address: "2001:db8:1::11", prefixLength: 64, interfaceId: "eth0", poolId: "p1" },
      ],
    },
    new Date(T0.getTime() + 1000),
    { id: "audit-b2", actor: "test", action: "vm.update_security", details: {} },
  );
  await db.query(
    "INSERT INTO api_tokens (id, name, role, tenant_id, secret_hash) VALUES ('tk1', 'ci', 'tenant', 'acme', 'scrypt$abc$def')",
  );
  await db.query(
    "INSERT INTO blocked_sources (source, reason, actor, created_at) VALUES ('2001:db8:bad::/48', 'scan', 'ops', now())",
  );
  await db.query(
    "INSERT INTO host_bridges (host_id, scope, name, tenant_id) VALUES ('host-1', 'root', 'br-acme', 'acme')",
  );
}

describe.each(Object.entries(TEST_DATABASES))("backup and restore on %s", (_name, open) => {
  let source: TestDatabase;
  let target: TestDatabase;
  let backup: BackupDocument;

  beforeAll(async () => {
    source = await open();
    target = await open();
    await fill(source);
    // Through text, as the CLI writes and reads it.
    backup = JSON.parse(JSON.stringify(await readBackup(source.db, T0))) as BackupDocument;
  }, 60_000);
  afterAll(async () => {
    await source?.drop();
    await target?.drop();
  });

  it("writes a versioned document with every backed-up table in a stable order", () => {
    expect(backup).toMatchObject({
      format: "metald-backup",
      format_version: BACKUP_FORMAT_VERSION,
      created_at: T0.toISOString(),
    });
    expect(backup.schema_version).toBeGreaterThanOrEqual(8);
    expect(Object.keys(backup.tables)).toEqual([
      "tenants",
      "ipv6_pools",
      "vms",
      "vm_config_versions",
      "ipv6_allocations",
      "api_tokens",
      "blocked_sources",
      "host_bridges",
      "audit_records",
      "audit_checkpoints",
      "audit_chain",
    ]);
    expect(backup.tables.audit_records?.map((r) => r.id)).toEqual(["audit-b1", "audit-b2"]);
    expect(backup.tables.audit_chain).toHaveLength(1);
    expect(backup.tables.tenants?.map((t) => t.id)).toEqual(["acme", "globex"]);
    expect(backup.tables.vm_config_versions?.map((v) => v.version)).toEqual([1, 2]);
    expect(backup.tables.ipv6_pools?.[0]?.next_offset).toBe("36893488147419103232");
    expect(backup.tables.api_tokens?.[0]).toMatchObject({ secret_hash: "scrypt$abc$def" });
  });

  it("restores into an empty database exactly what was read", async () => {
    const restored = await restoreBackup(target.db, backup);
    expect(restored).toMatchObject({
      tenants: 2,
      vms: 1,
      vm_config_versions: 2,
      ipv6_allocations: 1,
    });
    const again = JSON.parse(JSON.stringify(await readBackup(target.db, T0))) as BackupDocument;
    expect(again.tables).toEqual(backup.tables);
  });

  it("keeps tenant marks and hands the next tenant a new one", async () => {
    const marks = (backup.tables.tenants ?? []).map((t) => Number(t.mark));
    await target.db.query("INSERT INTO tenants (id, name) VALUES ('initech', 'Initech')");
    const { rows } = await target.db.query<{ mark: string }>(
      "SELECT mark FROM tenants WHERE id = 'initech'",
    );
    expect(Number(rows[0]?.mark)).toBeGreaterThan(Math.max(...marks));
  });

  it("refuses a database that holds data, naming what it holds, and changes nothing", async () => {
    const error = await restoreBackup(source.db, backup).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseNotEmptyError);
    expect((error as Error).message).toMatch(/not empty \(tenants: 2, ipv6_pools: 1, vms: 1/);
  });

  it("refuses documents it cannot read, before writing anything", async () => {
    const fresh = await open();
    try {
      const cases: [unknown, RegExp][] = [
        ["text", /not a JSON object/],
        [{ ...backup, format: "other" }, /^format: /],
        [{ ...backup, format_version: 2 }, /^format_version: /],
        [{ ...backup, schema_version: 999 }, /newer metald/],
        [{ ...backup, tables: { events: [] } }, /^tables\.events: /],
        [{ ...backup, tables: { tenants: [{ id: "x", name: "x", colour: "red" }] } }, /colour/],
      ];
      for (const [doc, message] of cases) {
        const error = await restoreBackup(fresh.db, doc).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BackupFormatError);
        expect((error as Error).message).toMatch(message);
      }
      const { rows } = await fresh.db.query<{ n: string }>("SELECT count(*) AS n FROM tenants");
      expect(Number(rows[0]?.n)).toBe(0);
    } finally {
      await fresh.drop();
    }
  }, 60_000);
});

describe("backup and restore across databases", () => {
  it("restores a PGlite backup into PostgreSQL and reads back the same document", async () => {
    const source = await TEST_DATABASES.pglite();
    const target = await TEST_DATABASES.postgres();
    try {
      await fill(source);
      const backup = JSON.parse(JSON.stringify(await readBackup(source.db, T0))) as BackupDocument;
      await restoreBackup(target.db, backup);
      const again = JSON.parse(JSON.stringify(await readBackup(target.db, T0))) as BackupDocument;
      expect(again.tables).toEqual(backup.tables);
      expect(again.database).toBe("postgres");
    } finally {
      await source.drop();
      await target.drop();
    }
  }, 60_000);
});

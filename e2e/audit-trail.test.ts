// The audit trail through the real server, on PGlite and PostgreSQL: VM changes, a pool write
// and an authentication failure are chained records with who and from where; the before/after
// payload is encrypted at rest and readable through GET /api/v1/audit (operators; tenants get
// 403) with keyset paging; the JSON-lines file is 0600 and reopened on SIGHUP; VerifyAuditTrail
// and `metald audit verify` find the chain intact, and each name the first bad record after a
// record is modified, deleted, inserted or reordered in the database.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase, type SqlClient } from "@metald/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "./harness/curl-like.js";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";
import { waitUntil } from "./harness/wait-until.js";

const MAIN = fileURLToPath(new URL("../apps/metald/dist/main.js", import.meta.url));
const VM = "/vmprovisioner.v1.VmService";
const COMPLIANCE = "/vmprovisioner.v1.ComplianceService";

interface AuditBody {
  records: {
    seq: number;
    action: string;
    actor: string;
    role: string | null;
    client_address: string | null;
    user_agent: string | null;
    customer_id: string | null;
    details: Record<string, unknown>;
    before: unknown;
    after: unknown;
    key_id?: string;
  }[];
  next_cursor: string | null;
}

describe.each(["pglite", "postgres"] as const)("audit trail on %s", (kind) => {
  let metald: MetaldProcess;
  const dir = mkdtempSync(join(tmpdir(), "metald-audit-"));
  const keyring = join(dir, "audit-keyring");
  const checkpointKey = join(dir, "audit-checkpoint.key");
  const logFile = join(dir, "audit.log");
  const config = join(dir, "config.yaml");
  const auditEnv = {
    METALD_AUDIT_KEYRING: keyring,
    METALD_AUDIT_CHECKPOINT_KEY: checkpointKey,
    METALD_AUDIT_CHECKPOINT_EVERY: "2",
  };

  beforeAll(async () => {
    writeFileSync(keyring, `k1 ${randomBytes(32).toString("base64")}\n`);
    writeFileSync(checkpointKey, `${randomBytes(32).toString("base64")}\n`);
    writeFileSync(
      config,
      `metald:
  network:
    ipv6:
      enabled: true
      security_profile: "high"
      compliance:
        data_retention_days: 2555
        audit_config:
          enabled: true
          log_destination: "${logFile}"
          encrypt_logs: true
`,
    );
    metald = await startMetald(kind, { env: auditEnv, args: ["--config", config] });
  }, 120_000);
  afterAll(async () => {
    await metald?.destroy();
  });

  const audit = async (query: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${metald.url}/api/v1/audit?${query}`, { headers });
    return { status: res.status, body: (await res.json()) as AuditBody };
  };
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [MAIN, "audit", ...args], {
      env: { ...process.env, ...metald.env, ...auditEnv },
      encoding: "utf8",
    });

  it("records VM changes, a pool write and an authentication failure with who, where, before and after", async () => {
    const created = await postJson(`${metald.url}${VM}/CreateVm`, {
      config: { tenant_id: "acme", ipv6_config: { addresses: ["2001:db8:a0::10/64"] } },
    });
    expect(created.status).toBe(200);
    const vmId = (created.body as { vmId: string }).vmId;
    expect(
      (await postJson(`${metald.url}${VM}/IsolateVm`, { vm_id: vmId, reason: "probe" })).status,
    ).toBe(200);
    const pool = await fetch(`${metald.url}/debug/ipv6/pools`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "audit-e2e/1" },
      body: JSON.stringify({ id: "audit-pool", prefix: "2001:db8:ab::/48" }),
    });
    expect(pool.status).toBeLessThan(300);
    const refused = await fetch(`${metald.url}/api/v1/vms`, {
      headers: { authorization: "Bearer not-a-token" },
    });
    expect(refused.status).toBe(401);

    const actions = async () => (await audit("limit=50")).body.records.map((r) => r.action);
    // The generic record of a write is appended once its response is sent.
    await waitUntil("the pool write's and the authentication failure's audit records", async () => {
      const seen = await actions();
      return seen.includes("auth.failure") && seen.includes("api.write");
    });
    const { body } = await audit(`vm_id=${vmId}`);
    const isolate = body.records.find((r) => r.action === "vm.isolate");
    expect(isolate).toMatchObject({
      role: "operator",
      customer_id: "acme",
      client_address: expect.stringMatching(/127\.0\.0\.1|::1/),
      key_id: "k1",
      before: { isolated: false },
      after: { isolated: true },
    });
    const create = body.records.find((r) => r.action === "vm.create");
    expect(create?.after).toMatchObject({ tenant_id: "acme" });
    const write = (await audit("action=api.write")).body.records[0];
    expect(write).toMatchObject({
      user_agent: "audit-e2e/1",
      details: { method: "POST", path: "/debug/ipv6/pools" },
      after: { id: "audit-pool" },
    });
  });

  it("pages newest first with a cursor, and refuses tenant tokens", async () => {
    const first = await audit("limit=2");
    expect(first.body.records).toHaveLength(2);
    const next = await audit(`limit=2&cursor=${first.body.next_cursor}`);
    expect(next.body.records[0]?.seq).toBeLessThan(first.body.records[1]?.seq as number);
    expect((await audit("cursor=bogus")).status).toBe(400);
    const tenant = await audit("", { authorization: "Bearer dev_customer_acme" });
    expect(tenant.status).toBe(403);
    expect(tenant.body).toMatchObject({ code: "permission_denied" });
    const rpc = await fetch(`${metald.url}${COMPLIANCE}/VerifyAuditTrail`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer dev_customer_acme" },
      body: "{}",
    });
    expect(rpc.status).toBe(403);
  });

  it("appends the chain to the log file (0600) and starts a new file after SIGHUP", async () => {
    await waitUntil(
      "the audit log file",
      () => existsSync(logFile) && readFileSync(logFile, "utf8").includes("auth.failure"),
    );
    expect(statSync(logFile).mode & 0o777).toBe(0o600);
    const lines = readFileSync(logFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => (lines[0]?.seq as number) + i));
    expect(JSON.stringify(lines)).not.toContain("2001:db8:ab::/48");
    renameSync(logFile, `${logFile}.1`);
    metald.signal("SIGHUP");
    await waitUntil("the reopened file", () => existsSync(logFile));
    await postJson(`${metald.url}${VM}/CreateVm`, {
      config: { tenant_id: "acme", ipv6_config: { addresses: ["2001:db8:a0::11/64"] } },
    });
    await waitUntil("a record in the reopened file", () =>
      readFileSync(logFile, "utf8").includes("vm.create"),
    );
  });

  it("VerifyAuditTrail and metald audit verify find the chain intact", async () => {
    const v = await postJson(`${metald.url}${COMPLIANCE}/VerifyAuditTrail`, {});
    expect(v.body).toMatchObject({ intact: true, firstBrokenRecord: "" });
    expect(Number((v.body as { recordsChecked: string }).recordsChecked)).toBeGreaterThan(4);
    if (kind === "pglite") await metald.stop();
    const r = cli(["verify"]);
    expect(r.stdout, r.stderr).toMatch(/audit trail intact/);
    expect(r.status).toBe(0);
  });

  // Each tampering is applied to the stored chain, caught, then undone.
  const tamperings: [string, string, string, RegExp][] = [
    [
      "modified",
      "UPDATE audit_records SET actor = 'someone else' WHERE seq = 3",
      "UPDATE audit_records SET actor = (SELECT actor FROM audit_saved) WHERE seq = 3",
      /seq 3 .*modified/,
    ],
    [
      "deleted",
      "DELETE FROM audit_records WHERE seq = 3",
      "INSERT INTO audit_records SELECT * FROM audit_saved",
      /seq 4 .*seq 3 missing/,
    ],
    [
      "reordered",
      "UPDATE audit_records SET seq = -1 WHERE seq = 3; UPDATE audit_records SET seq = 3 WHERE seq = 4; UPDATE audit_records SET seq = 4 WHERE seq = -1",
      "UPDATE audit_records SET seq = -1 WHERE seq = 3; UPDATE audit_records SET seq = 3 WHERE seq = 4; UPDATE audit_records SET seq = 4 WHERE seq = -1",
      /seq 3 /,
    ],
    // A forged copy of record 3 under a new id, put at seq 3 with what follows moved up one.
    [
      "inserted",
      "UPDATE audit_saved SET id = 'forged', actor = 'intruder'; UPDATE audit_records SET seq = -seq WHERE seq >= 3; UPDATE audit_records SET seq = 1 - seq WHERE seq < 0; INSERT INTO audit_records SELECT * FROM audit_saved",
      "DELETE FROM audit_records WHERE id = 'forged'; UPDATE audit_records SET seq = -seq WHERE seq >= 4; UPDATE audit_records SET seq = -seq - 1 WHERE seq < 0",
      /seq 3 .*(modified|prev_hash)/,
    ],
  ];

  it.each(tamperings)(
    "a %s record is named by metald audit verify and VerifyAuditTrail",
    async (_what, tamper, undo, named) => {
      const db: SqlClient = await openDatabase({
        databaseUrl: metald.env.DATABASE_URL || undefined,
        dataDir: metald.env.METALD_DATA_DIR as string,
        poolSize: 1,
      });
      try {
        await db.exec(
          "DROP TABLE IF EXISTS audit_saved; CREATE TABLE audit_saved AS SELECT * FROM audit_records WHERE seq = 3",
        );
        await db.exec(tamper);
      } finally {
        await db.close();
      }
      const r = cli(["verify"]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/audit trail BROKEN at /);
      expect(r.stderr).toMatch(named);
      if (kind === "postgres") {
        const v = await postJson(`${metald.url}${COMPLIANCE}/VerifyAuditTrail`, {});
        expect(v.body).toMatchObject({
          intact: false,
          firstBrokenRecord: expect.stringMatching(named),
        });
      }
      const fix: SqlClient = await openDatabase({
        databaseUrl: metald.env.DATABASE_URL || undefined,
        dataDir: metald.env.METALD_DATA_DIR as string,
        poolSize: 1,
      });
      try {
        await fix.exec(undo);
        await fix.exec("DROP TABLE audit_saved");
      } finally {
        await fix.close();
      }
      expect(cli(["verify"]).status).toBe(0);
    },
  );
});

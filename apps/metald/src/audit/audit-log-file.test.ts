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
import type { AuditRecordView, AuditRepository } from "@metald/db";
import { describe, expect, it } from "vitest";
import { startAuditLogFile } from "./audit-log-file.js";
import { isApiWrite } from "./request-origin.js";

const quiet = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, fatal() {} } as never;

function record(seq: number): AuditRecordView {
  return {
    seq,
    id: `a${seq}`,
    occurredAt: new Date(Date.UTC(2026, 0, 1)),
    actor: "operator:ops",
    tokenId: null,
    role: "operator",
    actorTenantId: null,
    action: "vm.update",
    tenantId: "acme",
    vmId: "vm-1",
    clientAddress: "::1",
    userAgent: null,
    details: {},
    payload: "{}",
    keyId: null,
    before: null,
    after: { n: seq },
    prevHash: "p",
    hash: `h${seq}`,
  };
}

/** A chain of `n()` records, read as the file reads the repository. */
function chain(n: () => number): AuditRepository {
  return {
    after: async (seq: number, limit: number) =>
      Array.from({ length: Math.max(0, Math.min(limit, n() - seq)) }, (_, i) =>
        record(seq + i + 1),
      ),
    head: async () => ({ seq: n(), hash: `h${n()}` }),
  } as unknown as AuditRepository;
}

describe("audit log file", () => {
  it("is created 0600, appends only what follows the head at start, and resumes after its last line", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "audit-file-")), "audit.log");
    let n = 3;
    const file = await startAuditLogFile({
      path,
      audit: chain(() => n),
      pollMs: 60_000,
      logger: quiet,
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    n = 5;
    expect(await file.flush()).toBe(2);
    file.stop();
    const seqs = () =>
      readFileSync(path, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).seq);
    expect(seqs()).toEqual([4, 5]);
    n = 7;
    const again = await startAuditLogFile({
      path,
      audit: chain(() => n),
      pollMs: 60_000,
      logger: quiet,
    });
    await again.flush();
    again.stop();
    expect(seqs()).toEqual([4, 5, 6, 7]);
  });

  it("writes to a new file after reopen, as logrotate needs", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "audit-file-")), "audit.log");
    let n = 0;
    const file = await startAuditLogFile({
      path,
      audit: chain(() => n),
      pollMs: 60_000,
      logger: quiet,
    });
    n = 1;
    await file.flush();
    renameSync(path, `${path}.1`);
    file.reopen();
    expect(existsSync(path)).toBe(true);
    n = 2;
    await file.flush();
    file.stop();
    expect(readFileSync(`${path}.1`, "utf8")).toContain('"seq":1');
    expect(
      readFileSync(path, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).seq),
    ).toEqual([2]);
  });

  it("starts a file left empty by copytruncate at the chain's head", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "audit-file-")), "audit.log");
    writeFileSync(path, "");
    const file = await startAuditLogFile({
      path,
      audit: chain(() => 9),
      pollMs: 60_000,
      logger: quiet,
    });
    expect(await file.flush()).toBe(0);
    file.stop();
  });
});

describe("which requests are API writes", () => {
  it.each([
    ["POST", "/vmprovisioner.v1.VmService/CreateVm", true],
    ["POST", "/vmprovisioner.v1.VmService/ListVms", false],
    ["POST", "/vmprovisioner.v1.ComplianceService/VerifyAuditTrail", false],
    ["POST", "/debug/ipv6/pools", true],
    ["DELETE", "/debug/security/blocked-sources/2001:db8::1", true],
    ["POST", "/debug/security/report", false],
    ["GET", "/api/v1/audit", false],
    ["PUT", "/api/v1/customers/acme", true],
  ] as const)("%s %s → %s", (method, path, write) => {
    expect(isApiWrite(method, path)).toBe(write);
  });
});

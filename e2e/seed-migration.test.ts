// The architecture guide's gradual-ipv6-security-migration.sh, as written, against a running
// metald: its three phases (RA guard for every VM; source validation for premium customers;
// the full HIGH profile for every customer, validated through the event API) and its report.
// Only the environment changes: the API address, the log file, sleeps shortened to nothing,
// and a stand-in for the Prometheus server it queries on :9090.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "./harness/curl-like.js";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";

const SCRIPT = fileURLToPath(
  new URL("./fixtures/seed-scripts/gradual-ipv6-security-migration.sh", import.meta.url),
);

describe("the guide's gradual migration script", () => {
  let metald: MetaldProcess;
  let prometheus: Server;
  const vms: Record<string, string[]> = {};

  beforeAll(async () => {
    metald = await startMetald("pglite", {
      env: { METALD_DEFAULT_POOL_PREFIX: "2600:beef:1000::/48" },
    });
    prometheus = createServer((_req, res) =>
      res.end(JSON.stringify({ status: "success", data: { result: [{ value: [0, "0.002"] }] } })),
    );
    await new Promise<void>((r) => prometheus.listen(0, "127.0.0.1", r));
    for (const [customer, tier] of [
      ["acme", "premium"],
      ["globex", "standard"],
    ] as const) {
      const res = await fetch(`${metald.url}/api/v1/customers/${customer}`, {
        method: "PUT",
        body: JSON.stringify({ name: customer, tier }),
      });
      expect(res.status).toBe(200);
      vms[customer] = [];
      for (let i = 0; i < 2; i++) {
        const created = await postJson(`${metald.url}/vmprovisioner.v1.VmService/CreateVm`, {
          config: {
            tenant_id: customer,
            ipv6_config: { enabled: true, security: { profile: "SECURITY_PROFILE_LOW" } },
          },
        });
        expect(created.status, JSON.stringify(created.body)).toBe(200);
        vms[customer]?.push((created.body as { vmId: string }).vmId);
      }
    }
  }, 60_000);

  afterAll(async () => {
    prometheus?.close();
    await metald?.destroy();
  });

  it("runs phases 1–3 and the report as written, and leaves every VM on the HIGH profile", async () => {
    const dir = mkdtempSync(join(tmpdir(), "metald-migration-"));
    const log = join(dir, "ipv6-migration.log");
    const promUrl = `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}`;
    // The script's functions, then its variables pointed at this server; `main` (which also
    // wants systemd's nftables unit) is not run, its phases are.
    const driver = `
      source <(sed -e '/^main "\\$@"$/d' -e 's#http://localhost:9090#${promUrl}#g' "$SCRIPT")
      METALD_API="$API"; MIGRATION_LOG="$LOG"
      sleep() { :; }
      curl -f "$METALD_API/health" >/dev/null
      migrate_phase_1_ra_guard
      migrate_phase_2_source_validation
      migrate_phase_3_full_security
      generate_migration_report
    `;
    // Asynchronously: the Prometheus stand-in answers from this process.
    const child = spawn("bash", ["-c", driver], {
      env: { ...process.env, SCRIPT, API: metald.url, LOG: log },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const status = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    const text = readFileSync(log, "utf8");
    expect(status, stderr + text).toBe(0);
    expect(text).not.toContain("❌");
    const all = [...(vms.acme ?? []), ...(vms.globex ?? [])];
    for (const vmId of all) {
      expect(text).toContain(`✅ RA Guard enabled for VM ${vmId}`);
      expect(text).toContain(`✅ Full security profile applied to VM ${vmId}`);
    }
    // Phase 2 is for premium customers only.
    for (const vmId of vms.acme ?? [])
      expect(text).toContain(`✅ Source validation enabled for VM ${vmId}`);
    for (const vmId of vms.globex ?? [])
      expect(text).not.toContain(`Source validation enabled for VM ${vmId}`);
    expect(text).toContain("✅ No security violations for customer acme");
    expect(text).toContain("✅ Performance impact acceptable for customer globex");
    const report = JSON.parse(readFileSync("/tmp/ipv6_migration_report.json", "utf8")) as {
      total_vms: number;
      secured_vms: number;
    };
    expect(report).toMatchObject({ total_vms: 4, secured_vms: 4 });
    const vm = (await (await fetch(`${metald.url}/api/v1/vms/${vms.acme?.[0]}`)).json()) as {
      customer_id: string;
      ipv6_security: { profile: string; ra_guard: { block_all_ra: boolean } };
    };
    expect(vm.customer_id).toBe("acme");
    expect(vm.ipv6_security.profile).toBe("SECURITY_PROFILE_HIGH");
    expect(vm.ipv6_security.ra_guard.block_all_ra).toBe(true);
    const premium = (await (await fetch(`${metald.url}/api/v1/customers?tier=premium`)).json()) as {
      customers: { id: string; vm_count: number }[];
    };
    expect(premium.customers).toEqual([expect.objectContaining({ id: "acme", vm_count: 2 })]);
  });
});

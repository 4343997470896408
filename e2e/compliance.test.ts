// Compliance through the real server: a PCI DSS VM created with the LOW profile is NON_COMPLIANT
// naming 2.1; UpdateVmNetworkSecurity to HIGH makes it COMPLIANT; each transition is events
// (compliance_violation, compliance_restored) and metric increments; the REST mirrors, the
// printable report and the input checks. With the sandbox driver the host's enforcement is
// verified; with the dry-run driver nothing is, so host controls stay PENDING_AUDIT. A tenant
// layer reloaded by SIGHUP re-evaluates that tenant's VMs, and only those.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "./harness/curl-like.js";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";
import { waitUntil } from "./harness/wait-until.js";

const VM = "/vmprovisioner.v1.VmService";
const COMPLIANCE = "/vmprovisioner.v1.ComplianceService";

/** A PCI DSS VM (TLS required, a year of retention) with the given profile. */
const pciVm = (address: string, profile: string, tenant = "cardco") => ({
  config: {
    tenant_id: tenant,
    ipv6_config: {
      addresses: [address],
      security: {
        profile,
        compliance: {
          frameworks: ["COMPLIANCE_FRAMEWORK_PCI_DSS"],
          data_retention_days: 400,
          encryption: { require_tls: true },
        },
      },
    },
  },
});

async function metric(metald: MetaldProcess, name: string, labels: string): Promise<number> {
  const text = await (await fetch(metald.metricsUrl)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(" ") + 1));
}

interface StatusBody {
  status: string;
  since: string;
  vmId: string;
  violations: { requirement: string; outcome: string; fixFields: string[] }[];
  requirements: { requirement: string; outcome: string; detail: string; configVersion: number }[];
}

interface EventBody {
  events: {
    event_type: string;
    severity: string;
    description: string;
    details: Record<string, unknown>;
  }[];
}

describe("compliance with the sandbox driver (enforcement verified on the host)", () => {
  let metald: MetaldProcess;
  let vmId = "";
  const labels = (requirement: string) => `framework="PCI_DSS",requirement="${requirement}"`;
  const status = async (id: string) => {
    const res = await postJson(`${metald.url}${COMPLIANCE}/GetComplianceStatus`, { vm_id: id });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as StatusBody;
  };
  const events = async (type: string) =>
    (
      (await (
        await fetch(`${metald.url}/api/v1/security/events?event_type=${type}&vm_id=${vmId}`)
      ).json()) as EventBody
    ).events;

  beforeAll(async () => {
    metald = await startMetald("pglite", { driver: "sandbox" });
  }, 120_000);
  afterAll(async () => {
    await metald?.destroy();
  });

  it("exports every rule's series at 0 before anything happens (so increase() sees the first)", async () => {
    expect(await metric(metald, "metald_ipv6_compliance_violations_total", labels("2.1"))).toBe(0);
    expect(
      await metric(
        metald,
        "metald_ipv6_encryption_violations_total",
        'framework="PCI_DSS",requirement_type="in_transit"',
      ),
    ).toBe(0);
  });

  it("a PCI DSS VM created with the LOW profile is NON_COMPLIANT naming 2.1: events and metrics", async () => {
    const created = await postJson(
      `${metald.url}${VM}/CreateVm`,
      pciVm("2001:db8:c0::10/64", "SECURITY_PROFILE_LOW"),
    );
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    vmId = (created.body as { vmId: string }).vmId;
    const s = await status(vmId);
    expect(s.status).toBe("COMPLIANCE_STATE_NON_COMPLIANT");
    expect(s.violations.map((v) => v.requirement).sort()).toEqual(["1.1.4", "2.1"]);
    expect(s.violations.find((v) => v.requirement === "2.1")?.fixFields).toContain("profile");
    const opened = await events("compliance_violation");
    expect(opened.map((e) => e.details.requirement).sort()).toEqual(["1.1.4", "2.1"]);
    expect(opened.find((e) => e.details.requirement === "2.1")).toMatchObject({
      severity: "error",
      description: expect.stringContaining("PCI_DSS 2.1"),
      details: { framework: "PCI_DSS", config_version: 1, vm_status: "NON_COMPLIANT" },
    });
    expect(await metric(metald, "metald_ipv6_compliance_violations_total", labels("2.1"))).toBe(1);
    expect(await metric(metald, "metald_ipv6_compliance_violations_total", labels("1.1.4"))).toBe(
      1,
    );
    expect(await metric(metald, "metald_ipv6_compliance_open_violations", labels("2.1"))).toBe(1);
  });

  it("UpdateVmNetworkSecurity to HIGH makes it COMPLIANT: restored events and metrics", async () => {
    const before = await status(vmId);
    const updated = await postJson(`${metald.url}${VM}/UpdateVmNetworkSecurity`, {
      vm_id: vmId,
      security: { profile: "SECURITY_PROFILE_HIGH" },
    });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    const s = await status(vmId);
    expect(s.status).toBe("COMPLIANCE_STATE_COMPLIANT");
    expect(s.violations).toEqual([]);
    expect(new Date(s.since).getTime()).toBeGreaterThan(new Date(before.since).getTime());
    const r21 = s.requirements.find((r) => r.requirement === "2.1");
    expect(r21).toMatchObject({
      outcome: "COMPLIANCE_OUTCOME_MET",
      detail: "security profile HIGH",
      configVersion: 2,
    });
    // Host-enforced requirements are met because the sandbox host enforces them.
    expect(s.requirements.find((r) => r.requirement === "1.1.4")?.outcome).toBe(
      "COMPLIANCE_OUTCOME_MET",
    );
    const restored = await events("compliance_restored");
    expect(restored.map((e) => e.details.requirement).sort()).toEqual(["1.1.4", "2.1"]);
    expect(restored[0]).toMatchObject({
      severity: "info",
      details: { resolution: "resolved", config_version: 2, vm_status: "COMPLIANT" },
    });
    expect(
      await metric(metald, "metald_ipv6_compliance_violations_resolved_total", labels("2.1")),
    ).toBe(1);
    expect(await metric(metald, "metald_ipv6_compliance_violations_total", labels("2.1"))).toBe(1);
    expect(await metric(metald, "metald_ipv6_compliance_open_violations", labels("2.1"))).toBe(0);
  });

  it("the REST mirror answers the VM's status with each requirement's evidence", async () => {
    const res = await fetch(`${metald.url}/api/v1/compliance/vms/${vmId}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      status: string;
      frameworks: string[];
      requirements: { requirement: string; evidence: string; config_version: number }[];
    };
    expect(body).toMatchObject({ status: "COMPLIANT", frameworks: ["PCI_DSS"] });
    expect(body.requirements.find((r) => r.requirement === "4.1")).toMatchObject({
      evidence: "declared",
      config_version: 1,
    });
  });

  it("the report names each requirement's evidence and the changes that opened and resolved violations", async () => {
    const res = await fetch(
      `${metald.url}/api/v1/compliance/report?framework=PCI-DSS&customer_id=cardco`,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      status: string;
      frameworks: {
        framework: string;
        tenants: {
          customer_id: string;
          requirements: {
            requirement: string;
            vms: { vm_id: string; control: string; change: { action: string; actor: string } }[];
          }[];
          violations: {
            requirement: string;
            resolution: string;
            opened_by: { action: string; config_version: number };
            resolved_by: { action: string; config_version: number };
          }[];
        }[];
      }[];
    };
    expect(body.status).toBe("COMPLIANT");
    const tenant = body.frameworks[0]?.tenants[0];
    expect(tenant?.customer_id).toBe("cardco");
    const r21 = tenant?.requirements.find((r) => r.requirement === "2.1");
    expect(r21?.vms).toEqual([
      expect.objectContaining({
        vm_id: vmId,
        control: "security profile HIGH",
        change: expect.objectContaining({ action: expect.stringMatching(/security/) }),
      }),
    ]);
    const v21 = tenant?.violations.find((v) => v.requirement === "2.1");
    expect(v21).toMatchObject({
      resolution: "resolved",
      opened_by: { action: "vm.create", config_version: 1 },
      resolved_by: { config_version: 2 },
    });
    const html = await fetch(
      `${metald.url}/api/v1/compliance/report?framework=PCI_DSS&format=html`,
    );
    expect(html.headers.get("content-type")).toContain("text/html");
    const page = await html.text();
    expect(page).toContain("<h2>PCI DSS");
    expect(page).toContain(vmId);
    expect(page).toContain("vm.create by");
  });

  it("the Connect report and violation list agree", async () => {
    const report = await postJson(`${metald.url}${COMPLIANCE}/GetComplianceReport`, {
      framework: "COMPLIANCE_FRAMEWORK_PCI_DSS",
    });
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({
      status: "COMPLIANCE_STATE_COMPLIANT",
      vmsChecked: 1,
      vmsCompliant: 1,
      tenants: [expect.objectContaining({ customerId: "cardco" })],
    });
    const list = await postJson(`${metald.url}${COMPLIANCE}/ListComplianceViolations`, {
      vm_id: vmId,
      include_resolved: true,
    });
    expect(
      (list.body as { violations: { requirement: string; resolution: string }[] }).violations
        .map((v) => `${v.requirement} ${v.resolution}`)
        .sort(),
    ).toEqual(["1.1.4 resolved", "2.1 resolved"]);
  });

  it("refuses bad inputs naming the parameter", async () => {
    for (const [query, param] of [
      ["framework=FEDRAMP", "framework"],
      ["start=yesterday", "start"],
      ["format=pdf", "format"],
      ["customer_id=no%20spaces", "customer_id"],
      ["start=2030-01-01T00:00:00Z&end=2029-01-01T00:00:00Z", "start"],
    ] as const) {
      const res = await fetch(`${metald.url}/api/v1/compliance/report?${query}`);
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe("invalid_argument");
      expect(body.message.startsWith(`${param}:`), body.message).toBe(true);
    }
    const missing = await fetch(`${metald.url}/api/v1/compliance/vms/vm-nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ code: "not_found", message: 'vm "vm-nope" not found' });
    const neither = await postJson(`${metald.url}${COMPLIANCE}/GetComplianceStatus`, {});
    expect(neither.status).toBe(400);
  });

  it("deleting the VM removes its status; the tenant's status follows", async () => {
    const other = await postJson(
      `${metald.url}${VM}/CreateVm`,
      pciVm("2001:db8:c0::11/64", "SECURITY_PROFILE_LOW"),
    );
    const otherId = (other.body as { vmId: string }).vmId;
    const tenant = await postJson(`${metald.url}${COMPLIANCE}/GetComplianceStatus`, {
      customer_id: "cardco",
    });
    expect(tenant.body).toMatchObject({
      status: "COMPLIANCE_STATE_NON_COMPLIANT",
      vmsChecked: 2,
      vmsNonCompliant: 1,
    });
    expect((await postJson(`${metald.url}${VM}/DeleteVm`, { vm_id: otherId })).status).toBe(200);
    expect(
      (await postJson(`${metald.url}${COMPLIANCE}/GetComplianceStatus`, { vm_id: otherId })).status,
    ).toBe(404);
    const after = await postJson(`${metald.url}${COMPLIANCE}/GetComplianceStatus`, {
      customer_id: "cardco",
    });
    expect(after.body).toMatchObject({ status: "COMPLIANCE_STATE_COMPLIANT", vmsChecked: 1 });
    const closed = await fetch(
      `${metald.url}/api/v1/security/events?event_type=compliance_restored&vm_id=${otherId}`,
    );
    expect(((await closed.json()) as EventBody).events.map((e) => e.details.resolution)).toEqual([
      "vm_deleted",
      "vm_deleted",
    ]);
  });
});

describe("compliance with the dry-run driver and a reloaded tenant layer", () => {
  let metald: MetaldProcess;
  const file = join(mkdtempSync(join(tmpdir(), "metald-compliance-")), "config.yaml");
  const config = (tenantSections: string) => `metald:
  network:
    ipv6:
      enabled: true
      security_profile: "high"
      customer_configs:
        "regulated":
          rate_limits:
            max_pps_per_vm: 5000
${tenantSections}`;

  beforeAll(async () => {
    writeFileSync(file, config(""));
    metald = await startMetald("pglite", { args: ["--config", file] });
  }, 120_000);
  afterAll(async () => {
    await metald?.destroy();
  });

  const statusOf = async (vmId: string) =>
    (await postJson(`${metald.url}${COMPLIANCE}/GetComplianceStatus`, { vm_id: vmId }))
      .body as StatusBody;

  it("host controls are PENDING_AUDIT (nothing verifies them); configuration violations still count", async () => {
    const high = await postJson(
      `${metald.url}${VM}/CreateVm`,
      pciVm("2001:db8:d0::10/64", "SECURITY_PROFILE_HIGH", "drytenant"),
    );
    const s = await statusOf((high.body as { vmId: string }).vmId);
    expect(s.status).toBe("COMPLIANCE_STATE_PENDING_AUDIT");
    expect(s.requirements.find((r) => r.requirement === "1.3.3")).toMatchObject({
      outcome: "COMPLIANCE_OUTCOME_PENDING",
      detail: expect.stringContaining("the dry-run driver applies nothing"),
    });
    const low = await postJson(
      `${metald.url}${VM}/CreateVm`,
      pciVm("2001:db8:d0::11/64", "SECURITY_PROFILE_LOW", "drytenant"),
    );
    expect((await statusOf((low.body as { vmId: string }).vmId)).status).toBe(
      "COMPLIANCE_STATE_NON_COMPLIANT",
    );
  });

  const lastAudit = async (vmId: string) =>
    (
      (await (await fetch(`${metald.url}/api/v1/compliance/vms/${vmId}`)).json()) as {
        last_audit: string;
      }
    ).last_audit;

  it("a tenant layer that now requires HIPAA re-evaluates that tenant's VMs on SIGHUP, and only those", async () => {
    const [other] = (
      (await (await fetch(`${metald.url}/api/v1/vms?customer_id=drytenant`)).json()) as {
        vms: { id: string }[];
      }
    ).vms;
    const otherId = other?.id ?? "";
    const otherAudit = await lastAudit(otherId);
    const created = await postJson(`${metald.url}${VM}/CreateVm`, {
      config: {
        tenant_id: "regulated",
        ipv6_config: { addresses: ["2001:db8:e0::10/64"] },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const vmId = (created.body as { vmId: string }).vmId;
    expect((await statusOf(vmId)).status).toBe("COMPLIANCE_STATE_COMPLIANT");
    writeFileSync(file, config("          compliance:\n            frameworks: [HIPAA]\n"));
    metald.signal("SIGHUP");
    const s = await waitUntil(
      "the VM to be re-evaluated under HIPAA after the reload",
      async () => {
        const now = await statusOf(vmId);
        return now.status === "COMPLIANCE_STATE_NON_COMPLIANT" && now;
      },
    );
    // The default configuration requires neither encryption nor six years of retention.
    expect(s.violations.map((v) => v.requirement).sort()).toEqual([
      "§164.312(a)(2)(iv)",
      "§164.312(e)(1)",
      "§164.316(b)(2)(i)",
    ]);
    expect(
      await metric(
        metald,
        "metald_ipv6_encryption_violations_total",
        'framework="HIPAA",requirement_type="at_rest"',
      ),
    ).toBe(1);
    // The reload changed nothing for drytenant: its VMs were not evaluated again.
    expect(await lastAudit(otherId)).toBe(otherAudit);
  });
});

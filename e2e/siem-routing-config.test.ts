// The guide's siem_integration block in the host configuration: --validate-config accepts it as
// the guide writes it but for geoip_enrichment (refused: no network lookups, no GeoIP database);
// its event_routing decides destination and formats, enrichment adds the VM's facts, and SIGHUP
// changes the routing of a running server.
import { spawnSync } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "./harness/curl-like.js";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";
import { idOf, type SiemReceiver, startSiemReceiver } from "./harness/siem-receiver.js";
import { waitUntil } from "./harness/wait-until.js";

const MAIN = fileURLToPath(new URL("../apps/metald/dist/main.js", import.meta.url));

const HOST = `metald:
  network:
    ipv6:
      enabled: true
      security_profile: "high"
      customer_configs:
        routing:
          tier: premium
`;

/** The guide's block (seed 000, "SIEM Integration and Security Event Logging") as written. */
const GUIDE_BLOCK = `siem_integration:
  enabled: true
  endpoint: "https://siem.company.com/api/v1/events"
  authentication:
    type: "bearer_token"
    token_file: "/etc/metald/siem-token"
  event_routing:
    critical_events:
      destination: "security_operations"
      real_time: true
      formats: ["cef", "json"]
    audit_events:
      destination: "compliance_audit"
      real_time: false
      batch_size: 100
      formats: ["json"]
    performance_events:
      destination: "performance_monitoring"
      real_time: false
      sampling_rate: 0.1
  enrichment:
    include_vm_metadata: true
    include_customer_context: true
    include_network_topology: true
    geoip_enrichment: true
  retry_policy:
    max_retries: 3
    retry_delay: "5s"
    backoff_multiplier: 2
    max_retry_delay: "60s"
  buffer_config:
    max_buffer_size: 10000
    flush_interval: "30s"
    overflow_policy: "drop_oldest"
`;

const routed = (endpoint: string, destination: string, format: string) => `${HOST}siem_integration:
  endpoint: "${endpoint}"
  event_routing:
    audit_events:
      destination: "${destination}"
      real_time: true
      formats: ["${format}"]
  enrichment:
    include_vm_metadata: true
    include_customer_context: true
    include_network_topology: true
  retry_policy:
    retry_delay: "100ms"
    max_retry_delay: "300ms"
  buffer_config:
    flush_interval: "200ms"
`;

describe("metald --validate-config with siem_integration", () => {
  it("accepts the guide's block with geoip_enrichment off, and names the line of geoip_enrichment: true", async () => {
    const dir = await mkdtemp(join(tmpdir(), "metald-siem-validate-"));
    const off = join(dir, "off.yaml");
    const on = join(dir, "on.yaml");
    await writeFile(
      off,
      HOST + GUIDE_BLOCK.replace("geoip_enrichment: true", "geoip_enrichment: false"),
    );
    await writeFile(on, HOST + GUIDE_BLOCK);
    const run = (file: string) =>
      spawnSync(process.execPath, [MAIN, "--config", file, "--validate-config"], {
        encoding: "utf8",
      });
    const accepted = run(off);
    expect(accepted.status, accepted.stderr).toBe(0);
    expect(accepted.stdout).toContain("valid");
    const refused = run(on);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      `${on}:33: siem_integration.enrichment.geoip_enrichment: is not supported: metald makes no network lookups and reads no GeoIP database; set it to false`,
    );
  });
});

describe("SIEM routing from the host configuration", () => {
  let receiver: SiemReceiver;
  let metald: MetaldProcess;
  let configPath: string;

  beforeAll(async () => {
    receiver = await startSiemReceiver();
    const dir = await mkdtemp(join(tmpdir(), "metald-siem-routing-"));
    configPath = join(dir, "config.yaml");
    await writeFile(configPath, routed(receiver.url, "audit_trail", "cef"));
    metald = await startMetald("pglite", { args: ["--config", configPath] });
  }, 60_000);

  afterAll(async () => {
    await metald?.destroy();
    await receiver?.close();
  });

  const createVm = async (address: string) => {
    const res = await postJson(`${metald.url}/vmprovisioner.v1.VmService/CreateVm`, {
      config: { tenant_id: "routing", network: [{ id: "eth0", ipv6: { address } }] },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return (res.body as { vmId: string }).vmId;
  };

  const batchesWith = (vmId: string) =>
    receiver.batches.filter((b) =>
      b.records.some((r) => {
        const ext = (r.extension ?? r.attributes) as Record<string, string> | undefined;
        return ext?.cs1 === vmId || ext?.vmId === vmId;
      }),
    );

  it("sends audit events to the configured destination in the configured format, enriched", async () => {
    const vmId = await createVm("2001:db8:66::10/64");
    const [batch] = await waitUntil("the VM's audit event at the receiver", () => {
      const found = batchesWith(vmId);
      return found.length > 0 && found;
    });
    expect(batch).toMatchObject({ destination: "audit_trail", format: "cef" });
    const record = batch?.records.find((r) => (r.extension as Record<string, string>).cs1 === vmId);
    expect(record?.extension).toMatchObject({
      cs2: "routing",
      cs5: "premium",
      cs5Label: "customerTier",
      cs6: "br-routing",
      cs6Label: "bridge",
      c6a1: "2001:db8:66::10",
      flexString1: "2001:db8:66::10/64",
    });
    expect(
      receiver.batches.every((b) => b.format === "cef" || b.destination !== "audit_trail"),
    ).toBe(true);
  });

  it("follows a changed event_routing after SIGHUP, without a restart", async () => {
    const pid = metald.pid;
    await writeFile(configPath, routed(receiver.url, "audit_v2", "leef"));
    const from = metald.log.length;
    metald.signal("SIGHUP");
    await waitUntil("the SIEM routing reloaded", () =>
      metald.log.slice(from).some((l) => l.includes('"SIEM routing reloaded"')),
    );
    const vmId = await createVm("2001:db8:66::11/64");
    const [batch] = await waitUntil("the new VM's audit event at the receiver", () => {
      const found = batchesWith(vmId);
      return found.length > 0 && found;
    });
    expect(batch).toMatchObject({ destination: "audit_v2", format: "leef" });
    const record = batch?.records.find((r) => idOf("leef", r) !== "");
    expect(record?.attributes).toMatchObject({ customerTier: "premium", bridge: "br-routing" });
    expect(batchesWith(vmId).every((b) => b.format === "leef")).toBe(true);
    expect(metald.pid).toBe(pid);
  });
});

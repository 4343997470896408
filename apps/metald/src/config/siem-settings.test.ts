import { describe, expect, it } from "vitest";
import { parseHostConfig } from "./load-host-config.js";
import { siemSettingsFrom } from "./siem-settings.js";

const HOST =
  'metald:\n  network:\n    ipv6:\n      enabled: true\n      security_profile: "high"\n';

/** The guide's siem_integration block, byte for byte (seed 000, "SIEM Integration"). */
const GUIDE_BLOCK = `# SIEM Integration Configuration
siem_integration:
  enabled: true
  endpoint: "https://siem.company.com/api/v1/events"
  authentication:
    type: "bearer_token"
    token_file: "/etc/metald/siem-token"
  
  # Event filtering and routing
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
  
  # Data enrichment
  enrichment:
    include_vm_metadata: true
    include_customer_context: true
    include_network_topology: true
    geoip_enrichment: true
  
  # Retry and reliability
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

const NO_ENV = {};

function settingsOf(text: string, env = NO_ENV) {
  const result = parseHostConfig(text, {});
  if ("errors" in result) throw new Error(JSON.stringify(result.errors));
  return siemSettingsFrom(result.config, env);
}

describe("siem_integration in the host configuration", () => {
  it("accepts the guide's block as written but for geoip_enrichment, which it refuses by line", () => {
    const result = parseHostConfig(HOST + GUIDE_BLOCK, {});
    expect(result).toEqual({
      errors: [
        {
          path: "siem_integration.enrichment.geoip_enrichment",
          line: 37,
          message:
            "is not supported: metald makes no network lookups and reads no GeoIP database; set it to false",
        },
      ],
    });
    const settings = settingsOf(
      HOST + GUIDE_BLOCK.replace("geoip_enrichment: true", "geoip_enrichment: false"),
    );
    expect(settings).toMatchObject({
      endpoint: "https://siem.company.com/api/v1/events",
      tokenFile: "/etc/metald/siem-token",
      flushIntervalMs: 30_000,
      maxBufferSize: 10_000,
      retry: { maxRetries: 3, retryDelayMs: 5_000, backoffMultiplier: 2, maxRetryDelayMs: 60_000 },
      enrichment: {
        includeVmMetadata: true,
        includeCustomerContext: true,
        includeNetworkTopology: true,
      },
    });
    expect(
      settings?.routes.map((r) => [
        r.destination,
        r.realTime,
        r.batchSize,
        r.formats,
        r.samplingRate,
      ]),
    ).toEqual([
      ["security_operations", true, 100, ["cef", "json"], 1],
      ["compliance_audit", false, 100, ["json"], 1],
      ["performance_monitoring", false, 100, ["json"], 0.1],
      ["security_events", false, 100, ["json"], 1],
    ]);
  });

  it("sends routes to syslog endpoints of their own, with the environment over the file", () => {
    const text = `${HOST}siem_integration:
  endpoint: "tls://[2001:db8::514]"
  tls:
    ca_file: /etc/metald/siem-ca.pem
  event_routing:
    critical_events:
      endpoint: "tcp://127.0.0.1:1514"
      formats: ["leef"]
    performance_events:
      enabled: false
  retry_policy:
    retry_delay: "250ms"
`;
    const fromFile = settingsOf(text);
    expect(fromFile?.routes.map((r) => [r.destination, r.endpoint])).toEqual([
      ["security_operations", "tcp://127.0.0.1:1514"],
      ["compliance_audit", undefined],
      ["security_events", undefined],
    ]);
    expect(fromFile).toMatchObject({
      endpoint: "tls://[2001:db8::514]",
      syslogTls: { caFile: "/etc/metald/siem-ca.pem" },
      retry: { retryDelayMs: 250 },
    });
    const overridden = settingsOf(text, {
      METALD_SIEM_ENDPOINT: "udp://10.0.0.9:514",
      METALD_SIEM_FORMATS: ["cef"],
      METALD_SIEM_RETRY_DELAY_MS: 10,
    });
    expect(overridden?.endpoint).toBe("udp://10.0.0.9:514");
    expect(overridden?.routes.find((r) => r.category === "security")?.formats).toEqual(["cef"]);
    expect(overridden?.retry.retryDelayMs).toBe(10);
  });

  it("turns the push off with enabled: false, and reports bad URLs, durations and names", () => {
    expect(
      settingsOf(`${HOST}siem_integration:\n  enabled: false\n  endpoint: "tcp://x:1"\n`),
    ).toBe(undefined);
    const result = parseHostConfig(
      `${HOST}siem_integration:
  endpoint: "syslog://x"
  retry_policy:
    retry_delay: "5 seconds"
`,
      {},
    );
    expect("errors" in result && result.errors.map((e) => [e.path, e.message])).toEqual([
      [
        "siem_integration.endpoint",
        'must be an http://, https://, udp://, tcp:// or tls:// URL (got "syslog://x")',
      ],
      [
        "siem_integration.retry_policy.retry_delay",
        'must be a duration such as "5s", "500ms" or "1m", from 1 ms to 3600 s (got "5 seconds")',
      ],
    ]);
  });

  it("refuses two routes under one destination name, defaults included", () => {
    const result = parseHostConfig(
      `${HOST}siem_integration:
  endpoint: "tcp://x:1"
  event_routing:
    audit_events:
      destination: security_operations
`,
      {},
    );
    expect("errors" in result && result.errors.map((e) => [e.path, e.message])).toEqual([
      [
        "siem_integration.event_routing.audit_events.destination",
        '"security_operations" is already the destination of critical_events: each route keeps its own position under its name',
      ],
    ]);
  });

  it("refuses a METALD_SIEM_ENDPOINT syslog URL it cannot use, naming the variable", () => {
    expect(() => siemSettingsFrom(undefined, { METALD_SIEM_ENDPOINT: "tcp://siem:514/x" })).toThrow(
      "METALD_SIEM_ENDPOINT must be scheme://host:port, without a path, query or fragment",
    );
  });
});

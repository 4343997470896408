// Metrics of the event pipeline, the SIEM forwarder and the control plane: events stored by
// severity and type, audit events, RA guard configuration changes, how long the host takes to
// put a VM's enforcement in force, and SIEM delivery (sent, failed, dropped, sampled, backlog).
import type { SiemFormat, SiemRoute } from "@metald/core";
import type { StoredSecurityEvent } from "@metald/db";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { SiemForwarderMetrics } from "../events/siem-forwarder.js";

export interface EventMetrics {
  stored(events: StoredSecurityEvent[]): void;
  observeApply(operation: string, seconds: number): void;
  observeRequest(operation: string, seconds: number): void;
  authFailure(reason: string): void;
  siem: SiemForwarderMetrics;
}

export function registerEventMetrics(
  registry: Registry,
  pipelineDropped: () => number,
): EventMetrics {
  const registers = [registry];
  const events = new Counter({
    name: "metald_network_security_events_total",
    help: "Security events stored, by severity and type",
    labelNames: ["severity", "event_type"],
    registers,
  });
  const audit = new Counter({
    name: "metald_ipv6_audit_events_total",
    help: "Audit events generated (control-plane changes)",
    labelNames: ["vm_id", "event_type", "severity"],
    registers,
  });
  const raGuardChanges = new Counter({
    name: "metald_ipv6_ra_guard_config_changes_total",
    help: "Total RA Guard configuration changes",
    labelNames: ["vm_id", "change_type"],
    registers,
  });
  // Enforcement is in the kernel, so there is no per-packet latency to observe; what metald can
  // measure is how long a VM waits for its source validation (and the rest of its policy) to be
  // in force after a request: the host programming time.
  const validationLatency = new Histogram({
    name: "metald_ipv6_source_validation_latency_seconds",
    help: "Time until a VM's source validation is in force in the kernel after a change",
    labelNames: ["validation_type"],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0],
    registers,
  });
  const processing = new Histogram({
    name: "metald_ipv6_security_processing_time_seconds",
    help: "Time a request changing a VM's security took end to end (validation, policy, database, host)",
    labelNames: ["operation"],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0],
    registers,
  });
  new Counter({
    name: "metald_security_events_dropped_total",
    help: "Events dropped because the store fell behind (kernel counters stay exact)",
    registers,
    collect() {
      this.reset();
      this.inc(pipelineDropped());
    },
  });
  const labels = (route: SiemRoute) => ({ destination: route.destination });
  const sent = new Counter({
    name: "metald_siem_events_sent_total",
    help: "Events delivered to the SIEM, by route and format",
    labelNames: ["destination", "format"],
    registers,
  });
  const failed = new Counter({
    name: "metald_siem_delivery_failures_total",
    help: "Failed SIEM delivery attempts (each is retried; see dropped for losses)",
    labelNames: ["destination", "format"],
    registers,
  });
  const dropped = new Counter({
    name: "metald_siem_events_dropped_total",
    help: "Events not delivered because the backlog exceeded max_buffer_size (drop_oldest)",
    labelNames: ["destination"],
    registers,
  });
  const sampledOut = new Counter({
    name: "metald_siem_events_sampled_out_total",
    help: "Events left out by the route's sampling_rate",
    labelNames: ["destination"],
    registers,
  });
  const backlog = new Gauge({
    name: "metald_siem_backlog_events",
    help: "Events waiting for delivery on a route (measured when delivery fails)",
    labelNames: ["destination"],
    registers,
  });

  const authFailures = new Counter({
    name: "metald_auth_failures_total",
    help: "Requests refused for a missing, malformed, unknown or revoked token",
    labelNames: ["reason"],
    registers,
  });

  return {
    authFailure(reason) {
      authFailures.inc({
        reason: reason.startsWith("missing")
          ? "missing"
          : reason.startsWith("malformed")
            ? "malformed"
            : "invalid",
      });
    },
    stored(stored) {
      for (const e of stored) {
        events.inc({ severity: e.severity, event_type: e.eventType });
        if (e.eventType === "config_change" || e.eventType.startsWith("vm_"))
          audit.inc({ vm_id: e.vmId ?? "", event_type: e.eventType, severity: e.severity });
        const changed = e.details.changed_controls;
        if (Array.isArray(changed) && changed.includes("raGuard"))
          raGuardChanges.inc({ vm_id: e.vmId ?? "", change_type: "update" });
        if (e.details.action === "vm.create")
          raGuardChanges.inc({ vm_id: e.vmId ?? "", change_type: "create" });
      }
    },
    observeApply(operation, seconds) {
      validationLatency.observe({ validation_type: operation }, seconds);
    },
    observeRequest(operation, seconds) {
      processing.observe({ operation }, seconds);
    },
    siem: {
      sent: (route, format: SiemFormat, n) => sent.inc({ ...labels(route), format }, n),
      failed: (route, format: SiemFormat) => failed.inc({ ...labels(route), format }),
      dropped: (route, n) => dropped.inc(labels(route), n),
      sampledOut: (route, n) => {
        if (n > 0) sampledOut.inc(labels(route), n);
      },
      backlog: (route, n) => backlog.set(labels(route), n),
    },
  };
}

// Compliance metrics: violations found and resolved per framework and requirement, encryption
// requirements found missing, and the violations open now. Every rule's series exists from the
// start at 0, so that `increase()` sees a violation's first increment (a counter born at 1 has
// no increase, and the IPv6ComplianceViolation alert would never fire).
import { COMPLIANCE_RULES, type EncryptionRequirement } from "@metald/core";
import { Counter, Gauge, type Registry } from "prom-client";

export interface ComplianceMetrics {
  violationOpened(framework: string, requirement: string, missing: EncryptionRequirement[]): void;
  violationResolved(framework: string, requirement: string): void;
}

const ENCRYPTION_KINDS: EncryptionRequirement[] = ["in_transit", "at_rest"];

export function registerComplianceMetrics(
  registry: Registry,
  openCounts: () => Promise<{ framework: string; requirement: string; count: number }[]>,
): ComplianceMetrics {
  const registers = [registry];
  const violations = new Counter({
    name: "metald_ipv6_compliance_violations_total",
    help: "Compliance violations found (each new violation of a VM once), by framework and requirement",
    labelNames: ["framework", "requirement"],
    registers,
  });
  const resolved = new Counter({
    name: "metald_ipv6_compliance_violations_resolved_total",
    help: "Compliance violations resolved (met again, no longer required, or the VM deleted)",
    labelNames: ["framework", "requirement"],
    registers,
  });
  const encryption = new Counter({
    name: "metald_ipv6_encryption_violations_total",
    help: "Encryption requirements found missing (in transit, at rest), by framework",
    labelNames: ["framework", "requirement_type"],
    registers,
  });
  new Gauge({
    name: "metald_ipv6_compliance_open_violations",
    help: "Compliance violations open now, by framework and requirement",
    labelNames: ["framework", "requirement"],
    registers,
    async collect() {
      this.reset();
      for (const rule of COMPLIANCE_RULES)
        this.set({ framework: rule.framework, requirement: rule.requirement }, 0);
      for (const c of await openCounts())
        this.set({ framework: c.framework, requirement: c.requirement }, c.count);
    },
  });
  for (const rule of COMPLIANCE_RULES) {
    const labels = { framework: rule.framework, requirement: rule.requirement };
    violations.inc(labels, 0);
    resolved.inc(labels, 0);
    if (rule.encryption)
      for (const kind of ENCRYPTION_KINDS)
        encryption.inc({ framework: rule.framework, requirement_type: kind }, 0);
  }
  return {
    violationOpened(framework, requirement, missing) {
      violations.inc({ framework, requirement });
      for (const kind of missing) encryption.inc({ framework, requirement_type: kind });
    },
    violationResolved(framework, requirement) {
      resolved.inc({ framework, requirement });
    },
  };
}

// Whether a VM's counter events are recorded, by its monitoring settings: security logging
// (monitoring.enable_security_logging, security_policy.log_security_events) and the lowest
// severity kept (monitoring.security_log_level). The kernel still counts and drops; only the
// event (and the packet samples behind it) is not stored.
import type { LogLevel, SecurityPolicy } from "../policy/security-policy.js";
import type { EventSeverity } from "./security-event.js";

const SEVERITY_RANK: Record<EventSeverity, number> = {
  info: 1,
  warning: 2,
  error: 3,
  critical: 4,
};

/** The lowest severity each level keeps (DEBUG and INFO keep everything). */
const LEVEL_RANK: Record<LogLevel, number> = {
  DEBUG: 0,
  INFO: 1,
  WARN: 2,
  ERROR: 3,
  CRITICAL: 4,
};

/** One policy: logging on and the severity at or above its level. */
export function policyRecordsEvent(policy: SecurityPolicy, severity: EventSeverity): boolean {
  return (
    policy.monitoring.enableSecurityLogging &&
    policy.rules.logSecurityEvents &&
    SEVERITY_RANK[severity] >= LEVEL_RANK[policy.monitoring.securityLogLevel]
  );
}

/**
 * A VM's event (its counters sum every interface): recorded if any interface's policy keeps it;
 * with no policy at all nothing turned recording off, so it is recorded.
 */
export function recordsSecurityEvent(
  policies: readonly SecurityPolicy[],
  severity: EventSeverity,
): boolean {
  return policies.length === 0 || policies.some((policy) => policyRecordsEvent(policy, severity));
}

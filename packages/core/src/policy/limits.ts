// Upper bounds for numeric controls: beyond these a value is a mistake, not a policy.
export const LIMITS = {
  ppsPerVm: 100_000_000,
  /** bytes per second (400 Gbit/s) */
  bandwidthBytesPerSecond: 50_000_000_000,
  bandwidthMbps: 400_000,
  connectionsPerVm: 10_000_000,
  burstPackets: 10_000_000,
  burstDurationMs: 60_000,
  recoveryS: 3_600,
  /** router advertisements per minute */
  raPerMinute: 600,
  ndPps: 1_000_000,
  maxChainLength: 16,
  dataRetentionDays: 36_500,
  metricsIntervalS: 3_600,
  listEntries: 1_024,
  rules: 256,
  ruleLength: 512,
  vcpus: 256,
  memoryBytes: 16 * 1024 ** 4,
  minMemoryBytes: 16 * 1024 ** 2,
} as const;

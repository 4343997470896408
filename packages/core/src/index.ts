// @metald/core: policy normalization, validation and resolution; rules; host plans and drivers.

export {
  type AuditCheckpoint,
  checkpointKeyId,
  checkpointSignatureValid,
  signCheckpoint,
} from "./audit/audit-checkpoint.js";
export {
  AuditDecryptError,
  openAuditPayload,
  sealAuditPayload,
} from "./audit/audit-envelope.js";
export { type AuditKeyring, AuditKeyringError, parseAuditKeyring } from "./audit/audit-keyring.js";
export {
  type AuditRecordContent,
  auditRecordHash,
  type ChainedAuditRecord,
  canonicalAuditContent,
  chainAuditRecord,
  GENESIS_HASH,
} from "./audit/audit-record-hash.js";
export { canonicalJson } from "./audit/canonical-json.js";
export {
  type AuditChainProblem,
  type AuditChainVerdict,
  type AuditChainVerifier,
  type AuditChainVerifierOptions,
  createAuditChainVerifier,
} from "./audit/verify-audit-chain.js";
export {
  attachLines,
  detachLine,
  GUARD_DROP_DESCRIPTIONS,
  GUARD_DROP_SETS,
  GUARD_FLAGS,
  type GuardDropSet,
  guardSetsOf,
  type PortGuard,
  portGuardOf,
} from "./bpf/port-guard.js";
export {
  type ComplianceRule,
  type EncryptionRequirement,
  type EvidenceKind,
  type RuleCheck,
  tlsAtLeast12,
  type VmComplianceFacts,
} from "./compliance/compliance-rule.js";
export {
  COMPLIANCE_FRAMEWORKS,
  COMPLIANCE_RULES,
  findRule,
  ruleKey,
  rulesOf,
} from "./compliance/compliance-rules.js";
export {
  type ComplianceTransition,
  complianceTransition,
  type DatedFinding,
  deletedVmViolations,
  type PackedFinding,
  type PreviousCompliance,
  packFindings,
  type ResolvedViolation,
  unpackFindings,
  type ViolationResolution,
} from "./compliance/compliance-transition.js";
export {
  type ComplianceEvaluation,
  type ComplianceFinding,
  type ComplianceOutcome,
  type ComplianceStatusName,
  type ComplianceSubject,
  evaluateCompliance,
  frameworksOf,
  isViolation,
  statusOf,
} from "./compliance/evaluate-compliance.js";
export {
  gapReason,
  type HostEvidence,
  type HostGap,
  UNPROBED_HOST,
} from "./compliance/host-evidence.js";
export {
  type CounterEvent,
  type CounterReading,
  eventsFromCounters,
} from "./events/counter-events.js";
export { type CounterSnapshot, counterRates } from "./events/counter-rates.js";
export { policyRecordsEvent, recordsSecurityEvent } from "./events/event-recording.js";
export {
  LIMIT_TYPES,
  type LimitType,
  type LimitUnit,
  limitDropTotals,
  limitUnit,
  RA_GUARD_SETS,
  raGuardDropTotal,
} from "./events/limit-drop-totals.js";
export {
  type Ipv6PacketSummary,
  summarizeIpv6Packet,
} from "./events/nflog/ipv6-packet-summary.js";
export { type NflogRecord, parseNflogRecord } from "./events/nflog/nflog-record.js";
export {
  createPcapStreamParser,
  type PcapRecord,
  type PcapStreamParser,
} from "./events/nflog/pcap-stream.js";
export {
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  retryDelays,
} from "./events/retry-schedule.js";
export {
  createSampleAggregator,
  type PacketSample,
  type SampleAggregator,
  type SampleAggregatorOptions,
  type SampleSummary,
} from "./events/sample-aggregator.js";
export type { EventSeverity, SecurityEvent } from "./events/security-event.js";
export { type CefRecord, formatCef, parseCef } from "./events/siem/cef-format.js";
export { type EcsDocument, toEcsDocument } from "./events/siem/ecs-document.js";
export { formatLeef, type LeefRecord, parseLeef } from "./events/siem/leef-format.js";
export type { SiemContext } from "./events/siem/siem-context.js";
export {
  type EnrichedEcsDocument,
  type EnrichmentFlags,
  enrichCef,
  enrichEcs,
  enrichLeef,
  isEnriching,
  type SiemEnrichment,
} from "./events/siem/siem-enrichment.js";
export {
  isSyslogUrl,
  parseSyslogEndpoint,
  SYSLOG_DEFAULT_PORTS,
  type SyslogEndpoint,
  type SyslogTransport,
} from "./events/siem/syslog-endpoint.js";
export { frameOctetCounted, readOctetCounted } from "./events/siem/syslog-framing.js";
export {
  escapeSdValue,
  formatStructuredData,
  formatSyslogMessage,
  METALD_SD_ID,
  SYSLOG_FACILITY_AUTHPRIV,
  SYSLOG_SEVERITY,
  type SyslogMessage,
  type SyslogStructuredElement,
  syslogPri,
} from "./events/siem/syslog-message.js";
export { formatSyslogRecord, type SyslogRecordOptions } from "./events/siem/syslog-record.js";
export {
  defaultSiemRoutes,
  type EventCategory,
  eventCategory,
  ROUTING_KEYS,
  type SiemFormat,
  type SiemRoute,
  type SiemRouteConfig,
  type SiemRoutingConfig,
  sampledIn,
  siemRoutesFromConfig,
} from "./events/siem-routing.js";
export { BRIDGE_PORT_LIMIT, BridgeFullError } from "./host/bridge-port-limit.js";
export {
  type BridgeRegistry,
  createMemoryBridgeRegistry,
} from "./host/bridge-registry.js";
export { type CommandRunner, createCommandRunner, RunError } from "./host/command-runner.js";
export { createDryRunDriver, type DryRunDriver } from "./host/dry-run-driver.js";
export {
  createFirecrackerRuntime,
  type FirecrackerRuntimeOptions,
  type JailerOptions,
} from "./host/firecracker-runtime.js";
export { GUEST_MARKS_ROOT } from "./host/guest-namespace-marks.js";
export { type HelperRunner, startHelperRunner } from "./host/helper-runner.js";
export { HostApplyError, type HostStep } from "./host/host-apply-error.js";
export type { HostCapabilities, HostDriver } from "./host/host-driver.js";
export {
  createHostPathPolicy,
  DEFAULT_VM_FILE_DIRECTORIES,
  type HostPathCaller,
  type HostPathPolicy,
  type HostPathPolicyOptions,
  TENANT_PLACEHOLDER,
  type VmFileDirectories,
  type VmHostFiles,
} from "./host/host-path-policy.js";
export {
  type NflogCapture,
  NflogCaptureError,
  type NflogCaptureOptions,
  startNflogCapture,
} from "./host/nflog-capture.js";
export {
  createNftChannel,
  type NftChannelOptions,
  type NftTransactions,
} from "./host/nft-channel.js";
export {
  createSandboxDriver,
  type SandboxDriver,
  type SandboxDriverOptions,
} from "./host/sandbox-driver.js";
export {
  countersOf,
  type PacketCount,
  type PortCounters,
  parseSetCounters,
} from "./host/set-counters.js";
export {
  createSysctlHardening,
  DEFAULT_SYSCTL_CONF_PATH,
  HARDENING_SYSCTLS,
  type HardenResult,
  renderHardeningConf,
  type SysctlDrift,
  type SysctlHardening,
  SysctlHardeningError,
  type SysctlHardeningOptions,
} from "./host/sysctl-hardening.js";
export {
  type ObserveHostWork,
  timedNftTransactions,
  timedRunner,
} from "./host/timed-runner.js";
export {
  createVmGuard,
  DEFAULT_GUARD_OBJECT,
  type GuardedPort,
  type VmGuard,
  type VmGuardOptions,
} from "./host/vm-guard.js";
export { createNetnsRuntime, createNoRuntime, type VmRuntime } from "./host/vm-runtime.js";
export {
  type AddressPoolRange,
  addressAt,
  allocatedPrefixLength,
  firstFreeOffset,
  formatPoolPrefix,
  parsePoolPrefix,
  poolContains,
  utilization,
} from "./ipam/address-pool.js";
export {
  formatCidr,
  formatIpv6,
  Ipv6SyntaxError,
  parseIpv6,
  parseIpv6Cidr,
} from "./ipam/ipv6-address.js";
export { linkLocalFromMac } from "./ipam/link-local.js";
export { isLinuxName, linuxNameProblem } from "./net/linux-name.js";
export { SAMPLE_LOG_GROUP } from "./nft/packet-samples.js";
export { BURST_USED_SET, type RateClass, renderRateClass } from "./nft/rate-classes.js";
export {
  BRIDGE_DESTINATION_SETS,
  OBSERVED_SETS,
  PORT_SETS,
  renderBaseTable,
  TABLE_FAMILY,
  TABLE_NAME,
} from "./nft/ruleset-table.js";
export {
  compileVmElements,
  diffElements,
  renderElementChanges,
  type SetElements,
} from "./nft/vm-elements.js";
export {
  compileHostPlan,
  type PlanContext,
  type PlannedInterface,
} from "./plan/compile-host-plan.js";
export {
  guestNamespaceName,
  macAddressFor,
  tapName,
  tenantBridgeName,
} from "./plan/device-names.js";
export type { HostPlan, LinkStep, MachinePlan, PortPlan, SysctlStep } from "./plan/host-plan.js";
export {
  bridgeOf,
  type EffectiveInterfacePolicy,
  type HostEnforcementFacts,
  type NotEnforcedField,
  notEnforcedFields,
} from "./plan/not-enforced-fields.js";
export { fieldsNotEnforcedOnHost, NOT_ENFORCED_REASONS } from "./plan/not-enforced-reasons.js";
export {
  type ConfigChange,
  type ConfigJson,
  type ConfigJsonObject,
  diffConfigs,
} from "./policy/config-diff.js";
export {
  checkIdentifier,
  checkPrefix,
  checkUnicastAddress,
  isIdentifier,
} from "./policy/field-checks.js";
export { FieldError, type FieldErrorCode } from "./policy/field-error.js";
export { LIMITS } from "./policy/limits.js";
export { mergeConfigJson } from "./policy/merge-config-json.js";
export {
  type NormalizedVm,
  type NormalizeOptions,
  normalizeCreateVm,
  parseFrameworkName,
} from "./policy/normalize-create-vm.js";
export { profileToProto, toInterfaceView, toIPv6SecurityConfig } from "./policy/render-policy.js";
export { type PolicySource, type ResolvedPolicy, resolvePolicy } from "./policy/resolve-policy.js";
export {
  type SecurityConfigLayer,
  securityConfigLayer,
} from "./policy/security-config-layer.js";
export type {
  ComplianceFramework,
  PolicyLayer,
  SecurityPolicy,
  SecurityProfileName,
} from "./policy/security-policy.js";
export { DEFAULT_POLICY, profileLayer } from "./policy/security-profiles.js";
export { createInterfaceSpec, type InterfaceSpec, type VmSpec } from "./policy/vm-spec.js";
export { ruleListShape } from "./rules/compile-rule-elements.js";
export { parseRule, RuleSyntaxError } from "./rules/parse-rule.js";
export type { Rule } from "./rules/rule-ast.js";

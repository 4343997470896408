// @metald/db: the database behind metald (PGlite embedded, or PostgreSQL).
export {
  type AuditFilter,
  type AuditRecordView,
  type AuditRepository,
  type AuditRepositoryOptions,
  type AuditVerification,
  createAuditRepository,
} from "./audit-repository.js";
export {
  type AuditOrigin,
  type AuditWriter,
  type AuditWriterOptions,
  createAuditWriter,
  DEFAULT_CHECKPOINT_EVERY,
  type NewAuditRecord,
} from "./audit-writer.js";
export { DatabaseNotEmptyError, readBackup, restoreBackup } from "./backup-database.js";
export {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  BACKUP_TABLES,
  type BackupDocument,
  BackupFormatError,
  type BackupRow,
  type BackupTable,
  checkBackupDocument,
} from "./backup-format.js";
export {
  type BlockedSource,
  type BlockedSourceRepository,
  createBlockedSourceRepository,
} from "./blocked-source-repository.js";
export {
  type ComplianceInputRow,
  type ComplianceRepository,
  type ComplianceRepositoryOptions,
  type ComplianceStateName,
  type ComplianceWriteOptions,
  type ComplianceWriteResult,
  type ComplianceWriteTimings,
  type ConfigChange,
  createComplianceRepository,
  type NewViolation,
  type ResolvedKey,
  type ResolvedViolationRecord,
  type TenantComplianceRecord,
  type ViolationFilter,
  type ViolationRecord,
  type VmComplianceRecord,
  type VmComplianceWrite,
} from "./compliance-repository.js";
export {
  type ConfigHistoryRepository,
  createConfigHistoryRepository,
  type HistoryPage,
  type HistoryVersion,
} from "./config-history-repository.js";
export {
  createHostBridgeRepository,
  type HostBridge,
  type HostBridgeRepository,
  type HostBridgeScope,
} from "./host-bridge-repository.js";
export {
  createHostRepository,
  type HostCapabilityFacts,
  type HostRecord,
  type HostRegistration,
  type HostRepository,
} from "./host-repository.js";
export { migrate } from "./migrate.js";
export { MIGRATIONS, type Migration } from "./migrations/index.js";
export { type DatabaseOptions, openDatabase } from "./open-database.js";
export { createPgliteClient } from "./pglite-client.js";
export {
  type Allocation,
  createPoolRepository,
  type NewPool,
  type Pool,
  PoolExistsError,
  type PoolRepository,
} from "./pool-repository.js";
export { createPostgresClient, type PostgresClientOptions } from "./postgres-client.js";
export {
  createSecurityEventRepository,
  type EventPosition,
  type KeyCount,
  type NewSecurityEvent,
  type SecurityEventFilter,
  type SecurityEventRepository,
  type SecurityReportCounts,
  type SecurityReportRange,
  type StoredSecurityEvent,
} from "./security-event-repository.js";
export {
  createSiemDeliveryRepository,
  type SiemDelivery,
  type SiemDeliveryRepository,
} from "./siem-delivery-repository.js";
export {
  isUniqueViolation,
  type SqlClient,
  type SqlExecutor,
  type SqlResult,
} from "./sql-client.js";
export {
  createTenantRepository,
  type Tenant,
  type TenantFields,
  type TenantRepository,
  type TenantTier,
} from "./tenant-repository.js";
export { type ObserveStatement, timedSqlClient } from "./timed-sql-client.js";
export {
  type ApiToken,
  createTokenRepository,
  type TokenRepository,
  type TokenRole,
} from "./token-repository.js";
export { createVmMoveLog, type VmMoveLog } from "./vm-move-log.js";
export {
  type AddressAllocation,
  AddressTakenError,
  type AuditEntry,
  ConfigConflictError,
  type ConfigVersion,
  createVmRepository,
  type ExpectedPlacement,
  type NewVm,
  type StoredVersion,
  VmBusyError,
  VmExistsError,
  type VmListFilter,
  VmMovedError,
  type VmRecord,
  type VmRepository,
  type VmStateName,
} from "./vm-repository.js";

// The server's audit trail: one writer (chain, checkpoints, encryption, request origin) shared by
// every audited change, its repository, the JSON-lines file, retention and a timer that signs a
// checkpoint at the head. SIGHUP re-reads the keyring (rotation) and reopens the file (logrotate).
import type { AuditKeyring } from "@metald/core";
import {
  type AuditRepository,
  type AuditVerification,
  type AuditWriter,
  createAuditRepository,
  createAuditWriter,
  DEFAULT_CHECKPOINT_EVERY,
  type SqlClient,
} from "@metald/db";
import type { FastifyBaseLogger } from "fastify";
import { loadAuditKeyring, loadCheckpointKey } from "./audit-keys.js";
import { type AuditLogFile, startAuditLogFile } from "./audit-log-file.js";
import { startAuditRetentionJob } from "./audit-retention-job.js";
import { currentRequestOrigin } from "./request-origin.js";

export interface AuditSettings {
  /** audit_config.encrypt_logs: needs keyringPath. */
  encrypt?: boolean;
  keyringPath?: string;
  checkpointKeyPath?: string;
  checkpointEvery?: number;
  /** A checkpoint at the head this often when records were added (ms). */
  checkpointIntervalMs?: number;
  /** audit_config.log_destination */
  logDestination?: string;
  /** compliance.data_retention_days; records are kept forever without it. */
  retentionDays?: number;
  retentionIntervalMs?: number;
}

export interface AuditTrail {
  writer: AuditWriter;
  repository: AuditRepository;
  verify(): Promise<AuditVerification>;
  /** An authentication failure (throttled: see below). */
  authFailure(f: { reason: string; path: string; remote: string }): void;
  /** SIGHUP: re-read the keyring, reopen the log file. */
  reload(): void;
  logFile?: AuditLogFile;
  stop(): void;
}

/** Opens the keys of the settings; throws a clear error when a file is missing or bad. */
export function auditKeys(s: AuditSettings): {
  keyring?: AuditKeyring;
  checkpointKey?: Buffer;
} {
  if (s.encrypt && !s.keyringPath)
    throw new Error(
      "audit_config.encrypt_logs is true but METALD_AUDIT_KEYRING names no keyring file",
    );
  return {
    keyring: s.encrypt && s.keyringPath ? loadAuditKeyring(s.keyringPath) : undefined,
    checkpointKey: s.checkpointKeyPath ? loadCheckpointKey(s.checkpointKeyPath) : undefined,
  };
}

// A client guessing tokens must not turn the serialized chain into its queue: at most this many
// failures a second are recorded; the next recorded one says how many were left out.
const AUTH_FAILURES_PER_SECOND = 50;

export async function startAuditTrail(o: {
  db: SqlClient;
  settings: AuditSettings;
  newId: () => string;
  logger: FastifyBaseLogger;
}): Promise<AuditTrail> {
  const s = o.settings;
  let keys = auditKeys(s);
  const writer = createAuditWriter({
    keyring: () => keys.keyring,
    checkpointKey: () => keys.checkpointKey,
    checkpointEvery: s.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY,
    origin: currentRequestOrigin,
  });
  const repository = createAuditRepository(o.db, { writer, keyring: () => keys.keyring });
  const logFile = s.logDestination
    ? await startAuditLogFile({
        path: s.logDestination,
        audit: repository,
        pollMs: 1000,
        logger: o.logger,
      })
    : undefined;
  const retention =
    s.retentionDays !== undefined
      ? startAuditRetentionJob({
          audit: repository,
          retentionDays: s.retentionDays,
          checkpointKey: () => keys.checkpointKey,
          intervalMs: s.retentionIntervalMs ?? 3_600_000,
          logger: o.logger,
        })
      : undefined;
  const checkpointTimer = setInterval(() => {
    const key = keys.checkpointKey;
    if (!key) return;
    repository
      .checkpoint(key)
      .catch((error: unknown) =>
        o.logger.error({ err: error }, "signing an audit checkpoint failed"),
      );
  }, s.checkpointIntervalMs ?? 300_000);
  checkpointTimer.unref();

  let budget = { second: 0, left: AUTH_FAILURES_PER_SECOND, skipped: 0 };
  return {
    writer,
    repository,
    logFile,
    verify: () => repository.verify(keys.checkpointKey),
    authFailure(f) {
      const second = Math.floor(Date.now() / 1000);
      if (second !== budget.second) budget = { ...budget, second, left: AUTH_FAILURES_PER_SECOND };
      if (budget.left-- <= 0) {
        budget.skipped++;
        return;
      }
      const skipped = budget.skipped;
      budget.skipped = 0;
      repository
        .append({
          id: o.newId(),
          occurredAt: new Date(),
          actor: "anonymous",
          action: "auth.failure",
          ...currentRequestOrigin(),
          clientAddress: f.remote,
          details: {
            path: f.path,
            reason: f.reason,
            ...(skipped > 0 && { not_recorded_before: skipped }),
          },
        })
        .catch((error: unknown) =>
          o.logger.error({ err: error }, "writing an audit record failed"),
        );
    },
    reload() {
      try {
        keys = auditKeys(s);
        logFile?.reopen();
        o.logger.info(
          { keyId: keys.keyring?.current.id, logDestination: s.logDestination },
          "audit keys re-read and audit log reopened",
        );
      } catch (error) {
        o.logger.error({ err: error }, "audit reload refused; keeping the running keys");
      }
    },
    stop() {
      clearInterval(checkpointTimer);
      retention?.stop();
      logFile?.stop();
    },
  };
}

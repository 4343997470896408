// audit_config.log_destination: the committed chain also appended to a file as JSON lines, one
// record per line in seq order (created 0600). It follows the database, so a rolled-back change
// never reaches it and a restart resumes after the last seq the file holds. reopen() is for
// logrotate's postrotate `kill -HUP`: the next write creates the file anew.
import { closeSync, existsSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import type { AuditRecordView, AuditRepository } from "@metald/db";
import type { FastifyBaseLogger } from "fastify";

export interface AuditLogFile {
  /** Appends every record committed since the last call. */
  flush(): Promise<number>;
  reopen(): void;
  stop(): void;
}

const BATCH = 500;

/** The JSON line of one record (payload opened when the keyring allows it, else as stored). */
export function auditJsonLine(r: AuditRecordView): string {
  return `${JSON.stringify({
    seq: r.seq,
    id: r.id,
    occurred_at: r.occurredAt.toISOString(),
    actor: r.actor,
    token_id: r.tokenId,
    role: r.role,
    actor_tenant_id: r.actorTenantId,
    action: r.action,
    tenant_id: r.tenantId,
    vm_id: r.vmId,
    client_address: r.clientAddress,
    user_agent: r.userAgent,
    details: r.details,
    ...(r.keyId ? { key_id: r.keyId, payload: r.payload } : { before: r.before, after: r.after }),
    prev_hash: r.prevHash,
    hash: r.hash,
  })}\n`;
}

/** The seq of the file's last line, or undefined (no file, or no line to read). */
function lastSeqIn(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 1 << 20);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    const lines = buf.toString("utf8").trimEnd().split("\n");
    const seq = Number((JSON.parse(lines.at(-1) ?? "{}") as { seq?: unknown }).seq);
    return Number.isInteger(seq) ? seq : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

export async function startAuditLogFile(o: {
  path: string;
  audit: AuditRepository;
  pollMs: number;
  logger: FastifyBaseLogger;
}): Promise<AuditLogFile> {
  // A new file starts with what is written from now on; an existing one resumes after its end.
  let position = lastSeqIn(o.path) ?? (await o.audit.head()).seq;
  let fd: number | undefined;
  const open = () => {
    fd ??= openSync(o.path, "a", 0o600);
    return fd;
  };
  let running: Promise<number> | undefined;
  const flushOnce = async () => {
    let total = 0;
    for (;;) {
      const records = await o.audit.after(position, BATCH);
      if (records.length === 0) break;
      writeSync(open(), records.map(auditJsonLine).join(""));
      position = records.at(-1)?.seq ?? position;
      total += records.length;
      if (records.length < BATCH) break;
    }
    return total;
  };
  const flush = () => {
    running ??= flushOnce().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    flush().catch((error: unknown) =>
      o.logger.error({ err: error, path: o.path }, "appending to the audit log file failed"),
    );
  }, o.pollMs);
  timer.unref();
  open();
  return {
    flush,
    reopen() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      open();
    },
    stop() {
      clearInterval(timer);
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

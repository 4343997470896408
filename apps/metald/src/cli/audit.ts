// `metald audit verify|checkpoint`: the audit trail checked (or a checkpoint signed) on the host,
// against the database the server uses. verify exits 0 when the chain is intact and 1 naming the
// first bad record and what is wrong with it; the checkpoint key (METALD_AUDIT_CHECKPOINT_KEY)
// lets it check the checkpoints' signatures too.
import {
  type AuditRepository,
  type AuditVerification,
  createAuditRepository,
  createAuditWriter,
  openDatabase,
  type SqlClient,
} from "@metald/db";
import { loadAuditKeyring, loadCheckpointKey } from "../audit/audit-keys.js";
import { type Env, readEnv } from "../env.js";

export const AUDIT_USAGE =
  "usage: metald audit verify [--json]   check the hash chain and signed checkpoints (exit 1 naming the first bad record)\n       metald audit checkpoint       sign a checkpoint at the chain's head";

export function formatVerification(v: AuditVerification): string {
  const lines = v.intact
    ? [`audit trail intact: ${v.recordsChecked} records checked up to seq ${v.headSeq}`]
    : [
        `audit trail BROKEN at seq ${v.firstBroken?.seq}${v.firstBroken?.id ? ` (record ${v.firstBroken.id})` : ""}: ${v.firstBroken?.problem}`,
        `${v.recordsChecked} records verified before it`,
      ];
  lines.push(
    v.checkpointsUnverified > 0
      ? `${v.checkpointsUnverified} checkpoints not checked: no checkpoint key (METALD_AUDIT_CHECKPOINT_KEY)`
      : `${v.checkpointsChecked} signed checkpoints checked`,
  );
  if (v.purgedThroughSeq > 0)
    lines.push(`records through seq ${v.purgedThroughSeq} purged by retention`);
  if (v.legacyRecords > 0)
    lines.push(`${v.legacyRecords} records predate the chain (migration 9) and are not covered`);
  return lines.join("\n");
}

export async function runAuditCommand(
  args: string[],
  flags: { "data-dir"?: string; "database-url"?: string; json?: boolean },
  source: NodeJS.ProcessEnv,
): Promise<{ text: string; exitCode: number }> {
  const [verb] = args;
  if (verb !== "verify" && verb !== "checkpoint") return { text: AUDIT_USAGE, exitCode: 2 };
  const env = readEnv({
    ...source,
    ...(flags["data-dir"] && { METALD_DATA_DIR: flags["data-dir"] }),
    ...(flags["database-url"] && { DATABASE_URL: flags["database-url"] }),
  });
  const key = env.METALD_AUDIT_CHECKPOINT_KEY
    ? loadCheckpointKey(env.METALD_AUDIT_CHECKPOINT_KEY)
    : undefined;
  const db = await openDatabase({
    databaseUrl: env.DATABASE_URL,
    dataDir: env.METALD_DATA_DIR,
    poolSize: 1,
  });
  try {
    const audit = createAuditRepository(db);
    if (verb === "checkpoint") {
      if (!key) return { text: "METALD_AUDIT_CHECKPOINT_KEY: required to sign", exitCode: 2 };
      const head = await audit.head();
      return (await audit.checkpoint(key))
        ? { text: `checkpoint signed at seq ${head.seq}`, exitCode: 0 }
        : {
            text: `nothing to sign: a checkpoint at seq ${head.seq} exists, or no record`,
            exitCode: 0,
          };
    }
    const v = await audit.verify(key);
    return {
      text: flags.json ? JSON.stringify(v) : formatVerification(v),
      exitCode: v.intact ? 0 : 1,
    };
  } finally {
    await db.close();
  }
}

/**
 * The trail host commands (metald token) write to: the server's chain, encrypted when
 * METALD_AUDIT_KEYRING names a keyring, with checkpoints signed when the key is set.
 */
export function cliAuditRepository(db: SqlClient, env: Env): AuditRepository {
  const keyring = env.METALD_AUDIT_KEYRING ? loadAuditKeyring(env.METALD_AUDIT_KEYRING) : undefined;
  const checkpointKey = env.METALD_AUDIT_CHECKPOINT_KEY
    ? loadCheckpointKey(env.METALD_AUDIT_CHECKPOINT_KEY)
    : undefined;
  const writer = createAuditWriter({
    keyring: () => keyring,
    checkpointKey: () => checkpointKey,
    checkpointEvery: env.METALD_AUDIT_CHECKPOINT_EVERY,
  });
  return createAuditRepository(db, { writer, keyring: () => keyring });
}

/** main.ts's dispatch: runs the command and sets the exit code. */
export async function runAuditCli(
  args: string[],
  flags: { "data-dir"?: string; "database-url"?: string; json?: boolean },
  source: NodeJS.ProcessEnv,
): Promise<void> {
  const { text, exitCode } = await runAuditCommand(args, flags, source);
  (exitCode === 0 ? console.log : console.error)(text);
  process.exitCode = exitCode;
}

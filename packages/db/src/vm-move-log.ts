// The moves of VMs between hosts (MigrateVm), read from the audit trail: each move stores a
// `vm.migrate` record naming its source host, and the trail's seq is its commit order (every
// append holds the chain's head row to its commit), so a host reading from its last position
// misses none. A read costs what was appended since, whatever the number of VMs.
import type { SqlClient } from "./sql-client.js";

export interface VmMoveLog {
  /** The newest audit record's seq (0 when there is none). */
  position(): Promise<number>;
  /** The VMs moved away from `hostId` after `afterSeq`, oldest first. */
  movesFrom(
    hostId: string,
    afterSeq: number,
    limit: number,
  ): Promise<{ seq: number; vmId: string }[]>;
}

export function createVmMoveLog(db: SqlClient): VmMoveLog {
  return {
    async position() {
      const { rows } = await db.query<{ seq: string | null }>(
        "SELECT max(seq) AS seq FROM audit_records",
      );
      return Number(rows[0]?.seq ?? 0);
    },
    async movesFrom(hostId, afterSeq, limit) {
      const { rows } = await db.query<{ seq: string; vm_id: string }>(
        `SELECT seq, vm_id FROM audit_records
         WHERE seq > $1 AND action = 'vm.migrate' AND details->>'from_host' = $2
         ORDER BY seq LIMIT $3`,
        [afterSeq, hostId, limit],
      );
      return rows.map((r) => ({ seq: Number(r.seq), vmId: r.vm_id }));
    },
  };
}

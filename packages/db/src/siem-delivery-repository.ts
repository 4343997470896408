// Where each SIEM destination has got to in the event log. With the events table this is the
// outbox: what lies past delivered_seq is still to be sent, and it survives restarts.
import type { SqlClient } from "./sql-client.js";

export interface SiemDelivery {
  deliveredSeq: number;
  /** Events skipped because the backlog overflowed the buffer (drop_oldest). */
  dropped: number;
}

export interface SiemDeliveryRepository {
  /** The destination's position; a new destination starts at `startSeq`. */
  open(destination: string, startSeq: number): Promise<SiemDelivery>;
  /** Records delivery (or dropping) through `seq`; never moves backwards. */
  advance(destination: string, seq: number, dropped: number): Promise<void>;
}

export function createSiemDeliveryRepository(db: SqlClient): SiemDeliveryRepository {
  return {
    async open(destination, startSeq) {
      await db.query(
        `INSERT INTO siem_deliveries (destination, delivered_seq) VALUES ($1, $2)
         ON CONFLICT (destination) DO NOTHING`,
        [destination, startSeq],
      );
      const { rows } = await db.query<{ delivered_seq: string; dropped: string }>(
        "SELECT delivered_seq, dropped FROM siem_deliveries WHERE destination = $1",
        [destination],
      );
      return { deliveredSeq: Number(rows[0]?.delivered_seq), dropped: Number(rows[0]?.dropped) };
    },

    async advance(destination, seq, dropped) {
      await db.query(
        `UPDATE siem_deliveries SET delivered_seq = greatest(delivered_seq, $2),
           dropped = dropped + $3, updated_at = now()
         WHERE destination = $1`,
        [destination, seq, dropped],
      );
    },
  };
}

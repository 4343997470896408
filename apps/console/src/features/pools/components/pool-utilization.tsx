// A pool's fill as a bar with its counts in words.
import type { Ipv6Pool } from "@metald/proto";
import { UtilizationBar } from "../../../shared/ui/utilization-bar";

/** Big available counts (a /48 holds 2^80) shortened for reading. */
function shortCount(decimal: string): string {
  const n = BigInt(decimal);
  if (n < 1_000_000n) return n.toLocaleString();
  const exponent = Math.floor(Math.log2(Number(n)));
  return `~2^${exponent}`;
}

export function PoolUtilization({ pool }: { pool: Ipv6Pool }) {
  return (
    <UtilizationBar
      label={`Utilization of pool ${pool.id}`}
      fraction={pool.utilization}
      detail={`${pool.allocatedAddresses.toLocaleString()} allocated, ${shortCount(pool.availableAddresses)} free`}
    />
  );
}

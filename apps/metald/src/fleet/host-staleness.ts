// When a registered host counts as stale: more than three of its own heartbeat intervals have
// passed since its last heartbeat, judged by the reader's clock (hosts keep their clocks in
// step with NTP; a skew of a second or two moves the verdict by that much, no more).
export const MISSED_HEARTBEATS_STALE = 3;

export function isHostStale(
  host: { lastHeartbeatAt: Date; heartbeatMs: number },
  now: Date,
): boolean {
  return (
    now.getTime() - host.lastHeartbeatAt.getTime() > MISSED_HEARTBEATS_STALE * host.heartbeatMs
  );
}

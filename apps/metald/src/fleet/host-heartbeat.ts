// Registers this host in the fleet's registry once it listens, then moves its heartbeat forward
// every intervalMs. The capabilities are what the server already knows (the driver's probe,
// run once at start): a heartbeat runs no probe. A failed beat is logged and the next one tries
// again; a host whose row went away registers again.
import type { HostRegistration, HostRepository } from "@metald/db";

export interface HeartbeatTimer {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface HostHeartbeatOptions {
  hosts: Pick<HostRepository, "register" | "heartbeat">;
  registration: Omit<HostRegistration, "startedAt">;
  clock: { now(): Date };
  timer?: HeartbeatTimer;
  logger: { warn(obj: object, msg: string): void };
}

export interface HostHeartbeat {
  /** Beats once now (what the timer calls); resolves when stored or logged as failed. */
  beat(): Promise<void>;
  stop(): void;
}

const NODE_TIMER: HeartbeatTimer = {
  setInterval: (fn, ms) => {
    const handle = setInterval(fn, ms);
    // The heartbeat alone must not keep a closing process alive.
    handle.unref();
    return handle;
  },
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export async function startHostHeartbeat(options: HostHeartbeatOptions): Promise<HostHeartbeat> {
  const { hosts, registration, clock, logger } = options;
  const timer = options.timer ?? NODE_TIMER;
  const startedAt = clock.now();
  const register = () => hosts.register({ ...registration, startedAt });
  await register();
  let running: Promise<void> | undefined;
  const beat = async () => {
    // One beat at a time: a slow database does not pile them up.
    if (running) return running;
    running = (async () => {
      try {
        const now = clock.now();
        if (!(await hosts.heartbeat(registration.hostId, now))) {
          await register();
          await hosts.heartbeat(registration.hostId, now);
        }
      } catch (error) {
        logger.warn({ err: error, hostId: registration.hostId }, "host heartbeat failed");
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const handle = timer.setInterval(() => void beat(), registration.heartbeatMs);
  return {
    beat,
    stop: () => timer.clearInterval(handle),
  };
}

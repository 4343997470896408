// Waiting for something the system does asynchronously (a delivery, an event, a reload) by
// asking again until it is there or a deadline passes: tests never sleep a fixed time and hope.

export interface WaitOptions {
  /** How long to keep asking (default 15 s). */
  timeoutMs?: number;
  /** Pause between two questions (default 100 ms). */
  intervalMs?: number;
}

/**
 * Resolves the first value `probe` gives that is neither undefined nor false; throws, naming
 * `what`, once `timeoutMs` has passed without one. `what` may be a function, read at the
 * deadline, to say what was seen instead.
 */
export async function waitUntil<T>(
  what: string | (() => string),
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions = {},
): Promise<T> {
  const { timeoutMs = 15_000, intervalMs = 100 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) {
      const described = typeof what === "string" ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${described}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

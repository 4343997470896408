// Delays between delivery attempts: retry_delay, times backoff_multiplier each retry, capped
// at max_retry_delay, for at most max_retries retries (the guide's retry_policy).

export interface RetryPolicy {
  maxRetries: number;
  retryDelayMs: number;
  backoffMultiplier: number;
  maxRetryDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 3,
  retryDelayMs: 5_000,
  backoffMultiplier: 2,
  maxRetryDelayMs: 60_000,
};

/** The wait before each retry, in order (one entry per retry). */
export function retryDelays(policy: RetryPolicy): number[] {
  return Array.from({ length: policy.maxRetries }, (_, i) =>
    Math.min(policy.retryDelayMs * policy.backoffMultiplier ** i, policy.maxRetryDelayMs),
  );
}

// Parsing of the query parameters the REST routes share: times, durations, limits. A bad one
// is a FieldError naming the parameter, answered 400 by sendError like any other.
import { FieldError } from "@metald/core";

const DURATION = /^([0-9]{1,6})(s|m|h|d)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "30m", "1h", "7d" → milliseconds, or undefined when `text` is not such a duration. */
export function durationMs(text: string): number | undefined {
  const m = DURATION.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : undefined;
}

const EPOCH_SECONDS = /^[0-9]{1,12}(\.[0-9]{1,9})?$/;
// `date -Iseconds` gives 2026-01-01T12:00:00+00:00; curl sends the "+" as is and a query
// string reads it as a space.
const SPACED_OFFSET = /^(.*T[0-9:.]+) ([0-9]{2}:?[0-9]{2})$/;

/**
 * An ISO 8601 time, or seconds since the epoch as `date +%s` and `date +%s.%N` print them (the
 * guides' scripts take their times from those).
 */
export function parseTime(value: string | undefined, name: string): Date | undefined {
  if (value === undefined || value === "") return undefined;
  const spaced = SPACED_OFFSET.exec(value);
  const date = EPOCH_SECONDS.test(value)
    ? new Date(Math.floor(Number(value) * 1000))
    : new Date(spaced ? `${spaced[1]}+${spaced[2]}` : value);
  if (Number.isNaN(date.getTime()))
    throw new FieldError(
      name,
      `${JSON.stringify(value)} is neither an ISO 8601 time nor seconds since the epoch`,
    );
  return date;
}

/** `since` as the guides write it: a duration back from now (1h), or an ISO 8601 time. */
export function parseSince(value: string | undefined, now: number): Date | undefined {
  if (value === undefined || value === "") return undefined;
  const ms = durationMs(value);
  if (ms !== undefined) return new Date(now - ms);
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new FieldError(
      "since",
      `${JSON.stringify(value)} is neither a duration such as 30m, 1h or 7d nor an ISO 8601 time`,
    );
  return date;
}

export function parseLimit(value: string | undefined, fallback: number, max: number): number {
  if (value === undefined || value === "") return fallback;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > max)
    throw new FieldError("limit", `must be an integer from 1 to ${max}`);
  return limit;
}

const SEVERITIES = ["info", "warning", "error", "critical"];

export function parseSeverity(value: string | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (!SEVERITIES.includes(value))
    throw new FieldError("severity", `must be info, warning, error or critical`);
  return value;
}

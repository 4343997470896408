// How numbers and times read in the console.
import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";

const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatTimestamp(t: Timestamp | undefined): string {
  return t ? DATE.format(timestampDate(t)) : "—";
}

export function formatBytes(bytes: bigint | number): string {
  const n = Number(bytes);
  if (n === 0) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

/** An enum value's name without its prefix: SECURITY_PROFILE_HIGH → "high". */
export function enumLabel(name: string | undefined, prefix: string): string {
  if (!name || name.endsWith("UNSPECIFIED")) return "—";
  return name.replace(prefix, "").toLowerCase().replaceAll("_", " ");
}

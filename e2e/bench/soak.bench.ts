// The soak for ten minutes (SOAK_MINUTES changes it; SOAK_DATABASE=postgres runs it on
// PostgreSQL): mixed API load, attack traffic from a guest and SIEM receiver outages against
// a sandbox host (e2e/harness/soak-run.ts), then the figures the README reports. Exits non-zero
// on a 5xx, an unexpected answer, an event not delivered, RSS growth past the bound or a
// difference between the kernel and the database. Root and scapy only.
import type { DatabaseKind } from "../harness/metald-process.js";
import { formatSoakReport, runSoak } from "../harness/soak-run.js";

const minutes = Number(process.env.SOAK_MINUTES ?? 10);
const database = (process.env.SOAK_DATABASE ?? "pglite") as DatabaseKind;
/** Between the first and last thirds' mean RSS; the one-minute test allows the same. */
const RSS_GROWTH_BOUND_MB = 32;

if (!Number.isFinite(minutes) || minutes <= 0) throw new Error("SOAK_MINUTES: a positive number");
if (database !== "pglite" && database !== "postgres")
  throw new Error("SOAK_DATABASE: pglite or postgres");

const report = await runSoak({
  durationMs: minutes * 60_000,
  database,
  // One outage every ~1.5 minutes, each 15 s (three of the receiver's retry delays at most).
  outages: Math.max(1, Math.round(minutes * 0.6)),
  outageMs: 15_000,
  log: (line) => console.error(line),
});
console.log(formatSoakReport(report));
const failures = [
  ...(report.serverErrors > 0 ? [`${report.serverErrors} 5xx or unanswered`] : []),
  ...report.unexpected.slice(0, 10),
  ...(report.events.missing.length > 0
    ? [`${report.events.missing.length} events not delivered`]
    : []),
  ...(report.rssMb.growth >= RSS_GROWTH_BOUND_MB ? [`RSS grew ${report.rssMb.growth} MB`] : []),
  ...report.mismatches,
];
if (failures.length > 0) {
  console.error(`soak failed:\n${failures.join("\n")}`);
  process.exitCode = 1;
}

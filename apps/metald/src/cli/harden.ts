// `metald harden`: writes the guide's 99-metald-ipv6-security.conf and applies it, idempotent;
// `--check` only reports drift (exit 1 if any).
import type { SysctlHardening } from "@metald/core";

export async function runHarden(
  hardening: SysctlHardening,
  check: boolean,
): Promise<{ text: string; exitCode: number }> {
  if (check) {
    const drift = await hardening.verify();
    const lines = drift.map(
      (d) =>
        `${d.key}: want ${d.expected ?? "(not ours)"}, kernel ${d.actual ?? "-"}, in ${hardening.confPath}: ${d.inFile ? "yes" : "no"}`,
    );
    lines.push(drift.length === 0 ? "no drift" : `${drift.length} setting(s) drifted`);
    return { text: lines.join("\n"), exitCode: drift.length === 0 ? 0 : 1 };
  }
  const r = await hardening.harden();
  const lines = [`${hardening.confPath}: ${r.fileChanged ? "written" : "unchanged"}`];
  for (const c of r.applied) lines.push(`${c.key}: ${c.from ?? "(missing)"} -> ${c.to}`);
  for (const k of r.skipped)
    lines.push(`${k}: skipped (host-wide, not visible in ${hardening.namespace})`);
  if (r.applied.length === 0) lines.push("kernel values already in force");
  return { text: lines.join("\n"), exitCode: 0 };
}

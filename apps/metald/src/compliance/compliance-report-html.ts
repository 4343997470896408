// The compliance report as a printable page (an auditor saves it as PDF from the browser): one
// section per framework and tenant, each requirement with the evidence of every VM, and the
// violations of the window with the changes that opened and resolved them. Every value is
// escaped; the page loads nothing (no scripts, no external styles).
import type { ConfigChange } from "@metald/db";
import type { ComplianceReport, TenantReport } from "./compliance-report.js";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: unknown): string {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const FRAMEWORK_NAMES: Record<string, string> = {
  SOC2: "SOC 2",
  PCI_DSS: "PCI DSS",
  GDPR: "GDPR",
  HIPAA: "HIPAA",
  ISO27001: "ISO/IEC 27001",
};

const EVIDENCE_WORDS: Record<string, string> = {
  host: "enforced by the host",
  control_plane: "done by metald",
  declared: "declared (workload; verify)",
};

const time = (iso: string | Date) =>
  escapeHtml((typeof iso === "string" ? iso : iso.toISOString()).replace(/\.\d{3}Z$/, "Z"));

function change(c: ConfigChange | undefined): string {
  if (!c) return "—";
  return `v${c.version}: ${escapeHtml(c.action ?? "change")} by ${escapeHtml(c.actor ?? "unknown")} at ${time(c.at)}`;
}

const badge = (status: string) =>
  `<span class="badge ${escapeHtml(status.toLowerCase())}">${escapeHtml(status.replace("_", " "))}</span>`;

function tenantSection(framework: string, t: TenantReport): string {
  const rows = t.requirements
    .map((q) => {
      const evidence = q.vms
        .map(
          (e) => `<tr class="evidence">
  <td>${escapeHtml(e.vmId)}</td>
  <td>${badge(e.finding.outcome === "met" ? "MET" : e.finding.outcome.toUpperCase())}</td>
  <td>${escapeHtml(e.finding.detail)}</td>
  <td>${time(e.finding.since)}</td>
  <td>${change(e.change)}</td>
</tr>`,
        )
        .join("\n");
      return `<tr class="requirement">
  <th>${escapeHtml(q.rule.requirement)}</th>
  <td colspan="4"><strong>${escapeHtml(q.rule.title)}</strong> — ${escapeHtml(q.rule.description)}<br>
  <small>severity ${escapeHtml(q.rule.severity)}; evidence: ${escapeHtml(EVIDENCE_WORDS[q.rule.evidence] ?? q.rule.evidence)};
  met ${q.met}, violated ${q.violated}, pending ${q.pending}; fixed by <code>${q.rule.fields.map(escapeHtml).join("</code>, <code>")}</code></small></td>
</tr>
${evidence}`;
    })
    .join("\n");
  const violations =
    t.violations.length === 0
      ? "<p>No violation was open in this period.</p>"
      : `<table>
<thead><tr><th>VM</th><th>Requirement</th><th>Finding</th><th>Opened</th><th>Resolved</th></tr></thead>
<tbody>
${t.violations
  .map(
    ({ violation: v, opened, resolved }) => `<tr>
  <td>${escapeHtml(v.vmId)}</td>
  <td>${escapeHtml(v.requirement)}</td>
  <td>${escapeHtml(v.outcome === "not_enforced" ? "not enforced" : "violated")}: ${escapeHtml(v.detail)}</td>
  <td>${time(v.openedAt)}<br><small>${change(opened)}</small></td>
  <td>${v.resolvedAt ? `${time(v.resolvedAt)} (${escapeHtml(v.resolution ?? "")})<br><small>${change(resolved)}</small>` : "open"}</td>
</tr>`,
  )
  .join("\n")}
</tbody></table>`;
  return `<section>
<h3>${escapeHtml(FRAMEWORK_NAMES[framework] ?? framework)} — tenant ${escapeHtml(t.tenantId)} ${badge(t.status)}</h3>
<p>${t.vmsChecked} VM(s) under this framework, ${t.vmsCompliant} compliant, ${t.vmsPendingAudit} pending audit.${
    t.overall
      ? ` Tenant status (every framework): ${badge(t.overall.status)} since ${time(t.overall.since)}.`
      : ""
  }</p>
<table>
<thead><tr><th>Requirement / VM</th><th>Outcome</th><th>Control</th><th>Since</th><th>Change in force then</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h4>Violations open during the period</h4>
${violations}
</section>`;
}

export function complianceReportHtml(r: ComplianceReport): string {
  const scope = r.tenantId ? `tenant ${escapeHtml(r.tenantId)}` : "every tenant";
  const frameworks =
    r.frameworks.length === 0
      ? "<p>No VM in scope is under a compliance framework.</p>"
      : r.frameworks
          .map(
            (
              f,
            ) => `<h2>${escapeHtml(FRAMEWORK_NAMES[f.framework] ?? f.framework)} ${badge(f.status)}</h2>
<p>${f.vmsChecked} VM(s), ${f.vmsCompliant} compliant, ${f.vmsPendingAudit} pending audit.</p>
${f.tenants.map((t) => tenantSection(f.framework, t)).join("\n")}`,
          )
          .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>metald compliance report — ${scope}</title>
<style>
  body { font: 11pt/1.4 system-ui, sans-serif; margin: 2em; color: #111; }
  table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1.5em; }
  th, td { border: 1px solid #bbb; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
  tr.requirement { background: #f0f0f0; }
  tr.evidence td:first-child { padding-left: 1.5em; }
  .badge { font-size: 0.8em; padding: 0.1em 0.4em; border-radius: 0.3em; border: 1px solid; }
  .compliant, .met { color: #065f13; } .non_compliant, .violated, .not_enforced { color: #9b1c1c; }
  .pending_audit, .pending { color: #7a5b00; }
  section { break-inside: avoid-page; }
  @media print { body { margin: 0; } h2 { break-before: page; } h2:first-of-type { break-before: auto; } }
</style>
</head>
<body>
<h1>Compliance report — ${scope}</h1>
<p>Generated ${time(r.generatedAt)}. Violations: those open at any time from ${time(r.start)} to ${time(r.end)}.
Statuses and evidence: as of the generation time. Overall: ${badge(r.summary.status)} — ${r.summary.vmsChecked} VM(s), ${r.summary.vmsCompliant} compliant, ${r.summary.vmsPendingAudit} pending audit.</p>
<p><small>Evidence kinds: <em>enforced by the host</em> — an nftables control on the VM's port, met only where the host enforces it;
<em>done by metald</em> — event retention, audit records, the profile; <em>declared</em> — a requirement on the workload
(TLS, encryption at rest, data residency) that no network host can observe: the configuration's declaration and who made it
are the evidence, and the workload must be verified. "Change in force then" is the stored configuration version and the
audit record of the change that stored it.</small></p>
${frameworks}
</body>
</html>
`;
}

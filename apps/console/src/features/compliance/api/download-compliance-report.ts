// The printable compliance report (GET /api/v1/compliance/report?format=html). The route takes
// the same bearer token as the API, which a plain link cannot send: the page is fetched with the
// session's token and saved as a file. (Opened from a blob: address it would inherit the
// console's content security policy, which refuses the report's inline styles.)
import { readSession } from "../../../shared/api/session";

export interface ComplianceReportQuery {
  /** A tenant's report; empty: every tenant the caller may see. */
  customerId: string;
}

export async function fetchComplianceReportHtml(query: ComplianceReportQuery): Promise<Blob> {
  const params = new URLSearchParams({ format: "html" });
  if (query.customerId) params.set("customer_id", query.customerId);
  const token = readSession()?.token;
  const res = await fetch(`/api/v1/compliance/report?${params}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => undefined)) as { message?: string } | undefined;
    throw new Error(body?.message ?? `the report failed (HTTP ${res.status})`);
  }
  return res.blob();
}

/** Fetches the report and hands it to the browser as a download. */
export async function downloadComplianceReport(query: ComplianceReportQuery): Promise<void> {
  const blob = await fetchComplianceReportHtml(query);
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = `compliance-report${query.customerId ? `-${query.customerId}` : ""}.html`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

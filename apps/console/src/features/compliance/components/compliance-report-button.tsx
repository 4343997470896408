// Downloads the printable report (HTML) with the session's token; says so while it works and when
// it fails.
import { useState } from "react";
import { errorText } from "../../../shared/api/field-error";
import { Button } from "../../../shared/ui/button";
import { downloadComplianceReport } from "../api/download-compliance-report";

export function ComplianceReportButton({ tenant }: { tenant: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  return (
    <>
      <Button
        busy={busy}
        onClick={async () => {
          setBusy(true);
          setError(undefined);
          try {
            await downloadComplianceReport({ customerId: tenant });
          } catch (e) {
            setError(e);
          } finally {
            setBusy(false);
          }
        }}
      >
        Download printable report
      </Button>
      {error !== undefined && (
        <p className="field__error" role="alert">
          {errorText(error)}
        </p>
      )}
    </>
  );
}

// A metald of a spec's own with the sandbox driver (the host's enforcement is real and verified),
// in development mode like the shared one; and API steps against it.
import { expect } from "@playwright/test";
import { type MetaldProcess, startMetald } from "../../harness/metald-process.js";

export function startSandboxHost(): Promise<MetaldProcess> {
  return startMetald("pglite", {
    driver: "sandbox",
    logLevel: "warn",
    env: { METALD_AUTH: "development" },
  });
}

/** A Connect call in JSON (`VmService/CreateVm`); returns the answer's body. */
export async function callApi(
  metald: MetaldProcess,
  method: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${metald.url}/vmprovisioner.v1.${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json;
}

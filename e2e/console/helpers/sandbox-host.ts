// A metald of a spec's own with the sandbox driver (the host's enforcement is real and verified),
// in development mode like the shared one; and API steps against it.
import { expect } from "@playwright/test";
import { type MetaldProcess, startMetald } from "../../harness/metald-process.js";

/**
 * On a loaded 2-core machine the sandbox driver's start (namespace, host probe, ruleset) has
 * been seen to take 20–30 s, next to the harness's 30 s limit: a start that times out is tried
 * once more.
 */
export async function startSandboxHost(): Promise<MetaldProcess> {
  const start = () =>
    startMetald("pglite", {
      driver: "sandbox",
      logLevel: "warn",
      env: { METALD_AUTH: "development" },
    });
  try {
    return await start();
  } catch (error) {
    if (!String(error).includes("did not report ready")) throw error;
    return start();
  }
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

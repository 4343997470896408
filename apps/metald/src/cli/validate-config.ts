// `metald --config PATH --validate-config`: every problem with its YAML path and line; exit 1
// if there is any.

import { FieldError } from "@metald/core";
import { formatConfigErrors, loadHostConfigFile } from "../config/load-host-config.js";
import { compileTenants } from "../config/tenant-config-store.js";

export async function validateConfig(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ text: string; exitCode: number }> {
  const result = await loadHostConfigFile(path, env);
  if ("errors" in result)
    return { text: formatConfigErrors(path, result.errors).join("\n"), exitCode: 1 };
  // The schema passed; the tenants' settings still go through the API's own policy checks.
  let tenants: ReturnType<typeof compileTenants>;
  try {
    tenants = compileTenants(result.config);
  } catch (error) {
    if (error instanceof FieldError) return { text: `${path}: ${error.message}`, exitCode: 1 };
    throw error;
  }
  return {
    text: `${path}: valid (${tenants.length} tenant configuration${tenants.length === 1 ? "" : "s"})`,
    exitCode: 0,
  };
}

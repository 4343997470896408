// `metald --config PATH --validate-config`: every problem with its YAML path and line; exit 1
// if there is any.

import { hostTenants } from "../config/host-tenants.js";
import { formatConfigErrors, loadHostConfigFile } from "../config/load-host-config.js";

export async function validateConfig(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ text: string; exitCode: number }> {
  const result = await loadHostConfigFile(path, env);
  if ("errors" in result)
    return { text: formatConfigErrors(path, result.errors).join("\n"), exitCode: 1 };
  const tenants = hostTenants(result.config);
  return {
    text: `${path}: valid (${tenants.length} tenant configuration${tenants.length === 1 ? "" : "s"})`,
    exitCode: 0,
  };
}

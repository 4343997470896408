// API tokens made the way operators make them: `metald token create` on the host.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../../apps/metald/dist/main.js", import.meta.url));

export function createTenantToken(tenant: string): string {
  const r = spawnSync(
    process.execPath,
    [
      MAIN,
      "token",
      "create",
      "--role",
      "tenant",
      "--tenant",
      tenant,
      "--name",
      `console-${tenant}`,
    ],
    {
      env: { ...process.env, DATABASE_URL: process.env.METALD_CONSOLE_DATABASE_URL },
      encoding: "utf8",
    },
  );
  if (r.status !== 0) throw new Error(`metald token create failed: ${r.stderr}`);
  return r.stdout.trim();
}

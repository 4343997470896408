// Starts one metald for every console spec: development mode (the sign-in's token-less
// operator; tenant tokens from `metald token create` work too), PostgreSQL so that the CLI can
// create tokens while the server runs, a default pool for VMs created without addresses.
import type { FullConfig } from "@playwright/test";
import { startMetald } from "../harness/metald-process.js";

export default async function globalSetup(_config: FullConfig) {
  const metald = await startMetald("postgres", {
    logLevel: "warn",
    env: {
      METALD_AUTH: "development",
      METALD_DEFAULT_POOL_PREFIX: "2001:db8:c0::/48",
    },
  });
  // Workers inherit these.
  process.env.METALD_CONSOLE_URL = metald.url;
  process.env.METALD_CONSOLE_DATABASE_URL = metald.env.DATABASE_URL;
  return async () => {
    await metald.destroy();
  };
}

// The guides' CreateVm bodies (fixtures/seed-bodies), loaded by name.
import { readFileSync } from "node:fs";

export type SeedBodyName =
  | "000-high-security-web-server"
  | "000-multi-tier-frontend"
  | "000-multi-tier-backend"
  | "000-concurrent-create"
  | "001-example1-secure-web-server"
  | "001-example2-web-tier"
  | "001-example2-app-tier"
  | "001-example2-db-tier"
  | "001-example3-tenant-a-financial";

export function seedBodyText(name: SeedBodyName): string {
  return readFileSync(new URL(`../fixtures/seed-bodies/${name}.json`, import.meta.url), "utf8");
}

export function seedBody(name: SeedBodyName): Record<string, unknown> {
  return JSON.parse(seedBodyText(name)) as Record<string, unknown>;
}

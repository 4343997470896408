import { readFileSync } from "node:fs";
import { resolvePolicy } from "@metald/core";
import { expect, it } from "vitest";
import { parseHostConfig } from "./load-host-config.js";
import { createTenantConfigStore } from "./tenant-config-store.js";

const template = (name: string) =>
  readFileSync(new URL(`../../test/config/${name}`, import.meta.url), "utf8");

function configOf(text: string) {
  const result = parseHostConfig(text, { SIEM_AUTH_TOKEN: "x-token-value" });
  if ("errors" in result) throw new Error(JSON.stringify(result.errors));
  return result.config;
}

it("turns each customer_configs entry into a tenant layer between the profile and the request", () => {
  const store = createTenantConfigStore(configOf(template("multi-tenant.yaml")));
  const one = store.layer("customer-001");
  const two = store.layer("customer-002");
  expect(store.layer("nobody")).toBeUndefined();
  const policy = (layer: typeof one) =>
    resolvePolicy({ profile: "HIGH", tenant: layer, request: {} }, { trackSources: false }).policy;
  expect(policy(one).raGuard.allowedRouters).toEqual(["2001:db8:1001::1"]);
  expect(policy(one).rateLimits.maxPpsPerVm).toBe(5000);
  expect(policy(two).raGuard.blockAllRa).toBe(true);
  expect(policy(two).rateLimits.maxPpsPerVm).toBe(15000);
  // The request still wins over the tenant.
  const request = resolvePolicy(
    { profile: "HIGH", tenant: two, request: { rateLimits: { maxPpsPerVm: 100 } } },
    { trackSources: false },
  ).policy;
  expect(request.rateLimits.maxPpsPerVm).toBe(100);
});

it("replaces the tenants as a whole and tells listeners", () => {
  const store = createTenantConfigStore(configOf(template("multi-tenant.yaml")));
  const seen: string[][] = [];
  store.onChange((t) => seen.push(t.map((x) => x.tenant.id)));
  store.replace(configOf(template("production.yaml")));
  expect(store.tenants()).toEqual([]);
  expect(store.layer("customer-001")).toBeUndefined();
  expect(seen).toEqual([[]]);
});

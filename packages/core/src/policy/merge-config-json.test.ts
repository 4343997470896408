import { expect, it } from "vitest";
import { mergeConfigJson } from "./merge-config-json.js";

it("merges nested objects, replaces scalars and lists, keeps what the patch does not name", () => {
  const base = {
    ra_guard: { enabled: true, block_all_ra: true, allowed_routers: ["fe80::1"] },
    profile: "SECURITY_PROFILE_LOW",
  };
  const patch = {
    ra_guard: { block_all_ra: false, allowed_routers: ["fe80::2"] },
    rate_limits: { max_pps_per_vm: 5 },
  };
  expect(mergeConfigJson(base, patch)).toEqual({
    ra_guard: { enabled: true, block_all_ra: false, allowed_routers: ["fe80::2"] },
    profile: "SECURITY_PROFILE_LOW",
    rate_limits: { max_pps_per_vm: 5 },
  });
});

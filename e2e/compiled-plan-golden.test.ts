// Golden files: every seed example (hexadecimal groups) compiled to its host plan: links,
// sysctls, rate classes and the nft statements that program it. The compiler is pure and
// deterministic, so any change to these files is a change in what the host gets.
// Regenerate with UPDATE_GOLDEN=1 after a deliberate change, and review the diff.
import { readFileSync, writeFileSync } from "node:fs";
import { fromJson } from "@bufbuild/protobuf";
import {
  compileHostPlan,
  diffElements,
  normalizeCreateVm,
  renderElementChanges,
  renderRateClass,
  resolvePolicy,
} from "@metald/core";
import { CreateVmRequestSchema } from "@metald/proto";
import { describe, expect, it } from "vitest";
import { hexifySeedBody } from "./fixtures/hexify-seed-body.js";
import { type SeedBodyName, seedBody } from "./harness/seed-bodies.js";

const SEEDS: SeedBodyName[] = [
  "000-high-security-web-server",
  "000-multi-tier-frontend",
  "000-multi-tier-backend",
  "000-concurrent-create",
  "001-example1-secure-web-server",
  "001-example2-web-tier",
  "001-example2-app-tier",
  "001-example2-db-tier",
  "001-example3-tenant-a-financial",
];

function compile(name: SeedBodyName): string {
  const body = hexifySeedBody(seedBody(name)) as {
    config: { network?: { bridge_name?: string }[] };
  };
  // The financial example's backup bridge name is longer than Linux allows (see docs).
  for (const nic of body.config.network ?? []) {
    if (nic.bridge_name === "br-financial-backup") nic.bridge_name = "br-fin-backup";
  }
  const request = fromJson(CreateVmRequestSchema, body as never);
  const { spec } = normalizeCreateVm(request, { defaultProfile: "HIGH", defaultTenant: "default" });
  const interfaces = spec.interfaces.map((iface) => ({
    spec: iface,
    policy: resolvePolicy({
      profile: spec.profile,
      request: iface.requestLayer,
      switches: iface.switches,
    }).policy,
  }));
  const plan = compileHostPlan(
    { vmId: "vm-golden", tenantId: spec.tenantId, isolated: false },
    interfaces,
  );
  return [
    `# ${name}: tenant ${plan.tenantId}, profile ${spec.profile}, guest namespace ${plan.guestNamespace}`,
    "# links",
    ...plan.links.map((l) => JSON.stringify(l)),
    "# ports",
    ...plan.ports.map((p) => JSON.stringify(p)),
    "# sysctls",
    ...plan.sysctls.map((s) => `${s.key} = ${s.value}`),
    "# rate classes (created once per host)",
    ...plan.rateClasses.map((c) =>
      renderRateClass(c, c.control === "connections" ? "inet" : "bridge", "metald_security"),
    ),
    "# elements",
    renderElementChanges(diffElements({}, plan.elements)).trimEnd(),
    "",
  ].join("\n");
}

describe("compiled host plans of the seed examples", () => {
  it.each(SEEDS)("%s matches its golden file", (name) => {
    const file = new URL(`./fixtures/golden/${name}.plan`, import.meta.url);
    const actual = compile(name);
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(file, actual);
    expect(actual).toBe(readFileSync(file, "utf8"));
  });

  it("is deterministic", () => {
    expect(compile("001-example1-secure-web-server")).toBe(
      compile("001-example1-secure-web-server"),
    );
  });
});

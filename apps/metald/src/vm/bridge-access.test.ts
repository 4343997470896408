import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { compileHostPlan, FieldError, normalizeCreateVm, resolvePolicy } from "@metald/core";
import { CreateVmRequestSchema, VmConfigSchema } from "@metald/proto";
import { describe, expect, it } from "vitest";
import { createBridgeAccess } from "./bridge-access.js";

/** A CreateVm config as metald prepares it: normalized, resolved, compiled to a plan. */
function prepared(init: MessageInitShape<typeof VmConfigSchema>) {
  const request = create(CreateVmRequestSchema, { config: create(VmConfigSchema, init) });
  const { spec, config } = normalizeCreateVm(request, {
    defaultProfile: "HIGH",
    defaultTenant: "acme",
  });
  const plan = compileHostPlan(
    { vmId: "vm-test", tenantId: spec.tenantId, isolated: false },
    spec.interfaces.map((iface) => ({
      spec: iface,
      policy: resolvePolicy({ profile: spec.profile, request: iface.requestLayer }).policy,
    })),
  );
  return { spec, config, plan };
}

// On this host: br-foreign (the operator's), br-acme (made outside metald), br-ours (metald's).
const access = createBridgeAccess({
  owns: async (bridge) => bridge === "br-ours",
  listedFor: (tenant) => new Set(tenant === "acme" ? ["br-listed"] : []),
  linkExists: async (name) => ["br-foreign", "br-acme", "br-ours", "br-listed"].includes(name),
});

async function refusal(promise: Promise<void>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof FieldError))
    throw new Error(`expected a FieldError, got ${String(error)}`);
  return { path: error.path, code: error.code };
}

const nic = (bridge: string) => ({ id: "eth0", bridgeName: bridge });

describe("which bridges a VM may be put on", () => {
  it("a bridge metald created, one listed for the tenant, or a name nothing on the host has", async () => {
    for (const bridge of ["br-ours", "br-listed", "br-new"])
      await access.check(prepared({ tenantId: "acme", network: [nic(bridge)] }));
  });

  it("refuses any other existing link, naming the field that chose it", async () => {
    expect(
      await refusal(
        access.check(
          prepared({
            tenantId: "acme",
            network: [nic("br-new"), { id: "eth1", bridgeName: "br-foreign" }],
          }),
        ),
      ),
    ).toEqual({ path: "config.network[1].bridge_name", code: "permission_denied" });
    const ipv6 = prepared({
      tenantId: "acme",
      ipv6Config: { enabled: true, security: { isolation: { bridgeInterface: "br-foreign" } } },
    });
    expect(await refusal(access.check(ipv6))).toEqual({
      path: "config.ipv6_config.security.isolation.bridge_interface",
      code: "permission_denied",
    });
  });

  it("refuses a tenant's default bridge that exists but is not metald's", async () => {
    expect(
      await refusal(access.check(prepared({ tenantId: "acme", network: [{ id: "eth0" }] }))),
    ).toEqual({
      path: "config.network[0].bridge_name",
      code: "permission_denied",
    });
  });

  it("gives a listed bridge to its tenant only", async () => {
    expect(
      await refusal(access.check(prepared({ tenantId: "globex", network: [nic("br-listed")] }))),
    ).toMatchObject({ code: "permission_denied" });
  });

  it("keeps the bridges a VM is on already", async () => {
    await access.check(
      prepared({ tenantId: "acme", network: [nic("br-foreign")] }),
      new Set(["br-foreign"]),
    );
  });
});

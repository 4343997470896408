import { create, fromJson } from "@bufbuild/protobuf";
import { CreateVmRequestSchema, IsolateVmRequestSchema } from "@metald/proto";
import { describe, expect, it } from "vitest";
import { DEFAULT_TEXT_LIMIT, findTextFieldProblem } from "./text-field-check.js";

const problemOf = (schema: Parameters<typeof findTextFieldProblem>[0], message: object) =>
  findTextFieldProblem(schema, message as Record<string, unknown>);

describe("findTextFieldProblem", () => {
  it("names a top-level field holding a NUL", () => {
    const request = create(IsolateVmRequestSchema, { vmId: "vm-1", reason: "a\u0000b" });
    expect(problemOf(IsolateVmRequestSchema, request)).toBe(
      "reason: contains a NUL character (at position 1)",
    );
  });

  it("names a nested list item by its JSON path", () => {
    const request = fromJson(CreateVmRequestSchema, {
      config: {
        network: [
          { id: "eth0" },
          { id: "eth1", security_policy: { ingress_rules: ["allow all", "x".repeat(2000)] } },
        ],
      },
    });
    expect(problemOf(CreateVmRequestSchema, request)).toBe(
      `config.network[1].security_policy.ingress_rules[1]: 2000 characters; at most ${DEFAULT_TEXT_LIMIT}`,
    );
  });

  it("allows longer text where a field's nature needs it (kernel arguments)", () => {
    const args = "console=ttyS0 ".repeat(100).trim();
    const ok = fromJson(CreateVmRequestSchema, { config: { boot: { kernel_args: args } } });
    expect(problemOf(CreateVmRequestSchema, ok)).toBeUndefined();
    const tooLong = fromJson(CreateVmRequestSchema, {
      config: { boot: { kernel_args: "x".repeat(2049) } },
    });
    expect(problemOf(CreateVmRequestSchema, tooLong)).toBe(
      "config.boot.kernel_args: 2049 characters; at most 2048",
    );
  });

  it("lets an ordinary request through", () => {
    const request = fromJson(CreateVmRequestSchema, {
      config: {
        tenant_id: "acme",
        ipv6_config: {
          addresses: ["2001:db8::1/64"],
          security: { profile: "SECURITY_PROFILE_HIGH" },
        },
      },
    });
    expect(problemOf(CreateVmRequestSchema, request)).toBeUndefined();
  });
});

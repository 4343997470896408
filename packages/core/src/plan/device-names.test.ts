import { describe, expect, it } from "vitest";
import { guestNamespaceName } from "./device-names.js";

describe("guestNamespaceName", () => {
  it("names a VM's guest after the VM alone by default, and after the scope too when given", () => {
    const plain = guestNamespaceName("vm-01");
    expect(plain).toMatch(/^mvm-[0-9a-f]{10}$/);
    expect(guestNamespaceName("vm-01", undefined)).toBe(plain);
    // Two sandboxes on one kernel each hold their own guest of the same VM.
    const inA = guestNamespaceName("vm-01", "msbx-a");
    const inB = guestNamespaceName("vm-01", "msbx-b");
    expect(new Set([plain, inA, inB]).size).toBe(3);
    expect(guestNamespaceName("vm-01", "msbx-a")).toBe(inA);
    expect(inA).toMatch(/^mvm-[0-9a-f]{10}$/);
  });
});

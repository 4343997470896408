import { describe, expect, it } from "vitest";
import { parseVmExecArgs } from "./vm-exec.js";

describe("parseVmExecArgs", () => {
  it("keeps the guest command's own options as they are written in the guides", () => {
    expect(parseVmExecArgs(["vm-1", "ip", "-6", "addr", "show"])).toEqual({
      vmId: "vm-1",
      command: ["ip", "-6", "addr", "show"],
    });
  });

  it("drops one leading -- and keeps a later one for the command", () => {
    expect(parseVmExecArgs(["vm-1", "--", "sh", "-c", "echo --"])).toEqual({
      vmId: "vm-1",
      command: ["sh", "-c", "echo --"],
    });
  });

  it("refuses a missing VM or command with usage text", () => {
    expect(parseVmExecArgs([])).toEqual({ error: expect.stringContaining("usage") });
    expect(parseVmExecArgs(["--help"])).toEqual({ error: expect.stringContaining("usage") });
    expect(parseVmExecArgs(["vm-1"])).toEqual({ error: "metald vm-exec vm-1: no command to run" });
    expect(parseVmExecArgs(["vm-1", "--"])).toEqual({
      error: "metald vm-exec vm-1: no command to run",
    });
  });
});

import { describe, expect, it } from "vitest";
import { RunError } from "./command-runner.js";
import { HostApplyError } from "./host-apply-error.js";

describe("HostApplyError", () => {
  it("names the step and the kernel's reason, never the command line or the script", () => {
    const stderr = [
      "/dev/stdin:3:1-60: Error: Could not process rule: No such file or directory",
      'add element bridge metald_security rl_nd_10_5 { "tap0123abcd0" }',
      "^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    ].join("\n");
    const error = new HostApplyError(
      "vm-1",
      "nftables",
      undefined,
      new RunError("ip", ["netns", "exec", "metald-sbx", "nft", "-f", "-"], 1, stderr),
    );
    expect(error.message).toBe(
      "host could not apply vm vm-1: programming the VM's nftables rules failed (Could not process rule: No such file or directory); no change was kept, the request can be retried",
    );
    expect(error.message).not.toContain("netns exec");
    expect(error.message).not.toContain("add element");
    expect(error.cause).toBeInstanceOf(RunError);
  });

  it("names the object a link step worked on", () => {
    const error = new HostApplyError(
      "vm-2",
      "bridge",
      "br-acme",
      new RunError("ip", ["link", "add", "name", "br-acme"], 2, "RTNETLINK answers: File exists\n"),
    );
    expect(error.message).toContain(
      "creating the tenant bridge br-acme failed (RTNETLINK answers: File exists)",
    );
  });
});

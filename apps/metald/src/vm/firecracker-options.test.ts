import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type FirecrackerEnv, firecrackerOptions } from "./firecracker-options.js";

const bin = mkdtempSync(join(tmpdir(), "metald-bin-"));
for (const name of ["firecracker", "jailer"]) {
  writeFileSync(join(bin, name), "#!/bin/sh\n");
  chmodSync(join(bin, name), 0o755);
}
const empty = mkdtempSync(join(tmpdir(), "metald-nobin-"));

const env = (over: Partial<FirecrackerEnv>): FirecrackerEnv => ({
  PATH: bin,
  METALD_FIRECRACKER_BINARY: "firecracker",
  METALD_FIRECRACKER_SOCKET_DIR: "/run/metald/firecracker",
  METALD_JAILER: "auto",
  METALD_JAILER_BINARY: "jailer",
  METALD_JAILER_UID: 990,
  METALD_JAILER_GID: 991,
  METALD_JAILER_CHROOT_BASE: "/srv/jailer",
  ...over,
});

describe("the Firecracker runtime's options", () => {
  it("run firecracker (found on PATH, as a path) under the jailer when the jailer is present", () => {
    expect(firecrackerOptions(env({}))).toEqual({
      binary: join(bin, "firecracker"),
      socketDir: "/run/metald/firecracker",
      jailer: { binary: join(bin, "jailer"), uid: 990, gid: 991, chrootBaseDir: "/srv/jailer" },
    });
  });

  it("run firecracker itself when no jailer is found", () => {
    expect(firecrackerOptions(env({ PATH: empty }))).toEqual({
      binary: "firecracker",
      socketDir: "/run/metald/firecracker",
    });
  });

  it("refuse to start without a jailer when it is required", () => {
    expect(firecrackerOptions(env({ PATH: empty, METALD_JAILER: "required" }))).toHaveProperty(
      "refused",
    );
  });
});

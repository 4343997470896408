import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FieldError } from "../policy/field-error.js";
import type { VmSpec } from "../policy/vm-spec.js";
import {
  createHostPathPolicy,
  DEFAULT_VM_FILE_DIRECTORIES,
  type VmFileDirectories,
} from "./host-path-policy.js";

type Resources = VmSpec["resources"];

const resources = (over: Partial<Resources>): Resources => ({
  vcpuCount: 1,
  maxVcpuCount: 1,
  memoryBytes: 512 * 1024 ** 2,
  kernelPath: "",
  kernelArgs: "",
  initrdPath: "",
  storage: [],
  ...over,
});
const disk = (path: string, readonly = false) => ({
  id: "disk0",
  path,
  readonly,
  isRootDevice: true,
});
const operator = { tenantId: "acme", tenantToken: false };
const tenant = { tenantId: "acme", tenantToken: true };

async function refusal(
  promise: Promise<void>,
): Promise<{ path: string; code: string; problem: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof FieldError))
    throw new Error(`expected a FieldError, got ${String(error)}`);
  return { path: error.path, code: error.code, problem: error.problem };
}

describe("host paths with the default directories and a runtime that opens no file", () => {
  const policy = createHostPathPolicy({
    directories: () => DEFAULT_VM_FILE_DIRECTORIES,
    runtimeOpensFiles: false,
  });

  it("accepts the guides' /opt/vm-assets paths without looking for the files", async () => {
    await policy.check(
      resources({
        kernelPath: "/opt/vm-assets/vmlinux",
        storage: [disk("/opt/vm-assets/financial-app-rootfs.ext4")],
      }),
      operator,
    );
  });

  it("refuses a device or a host file as a disk: invalid_argument for an operator, permission_denied for a tenant", async () => {
    const sda = resources({ storage: [disk("/dev/sda")] });
    expect(await refusal(policy.check(sda, operator))).toEqual({
      path: "config.storage[0].path",
      code: "invalid_argument",
      problem:
        '"/dev/sda" is not under the image or volume directories for tenant acme (/var/lib/metald/volumes/acme, /opt/vm-assets)',
    });
    const shadow = resources({ kernelPath: "/etc/shadow" });
    expect(await refusal(policy.check(shadow, tenant))).toMatchObject({
      path: "config.boot.kernel_path",
      code: "permission_denied",
    });
  });

  it("does not take a directory's name as a prefix of another's", async () => {
    const r = resources({ initrdPath: "/opt/vm-assets-other/initrd" });
    expect(await refusal(policy.check(r, operator))).toMatchObject({
      path: "config.boot.initrd_path",
    });
  });

  it("gives a tenant shared images read-only and its own volumes only", async () => {
    const image = "/opt/vm-assets/rootfs.ext4";
    expect(
      await refusal(policy.check(resources({ storage: [disk(image)] }), tenant)),
    ).toMatchObject({ path: "config.storage[0].path", code: "permission_denied" });
    await policy.check(resources({ storage: [disk(image, true)] }), tenant);
    await policy.check(
      resources({ storage: [disk("/var/lib/metald/volumes/acme/data.ext4")] }),
      tenant,
    );
    const other = resources({ storage: [disk("/var/lib/metald/volumes/globex/data.ext4")] });
    expect(await refusal(policy.check(other, tenant))).toMatchObject({
      code: "permission_denied",
    });
  });
});

describe("host paths in configured directories", () => {
  const root = mkdtempSync(join(tmpdir(), "metald-paths-"));
  const images = join(root, "images");
  const volumes = join(root, "volumes");
  mkdirSync(images);
  mkdirSync(join(volumes, "acme"), { recursive: true });
  writeFileSync(join(images, "vmlinux"), "kernel");
  writeFileSync(join(volumes, "acme", "data.ext4"), "disk");
  symlinkSync("/etc/passwd", join(images, "escape"));
  symlinkSync(join(images, "vmlinux"), join(images, "alias"));
  mkdirSync(join(images, "subdir"));
  execFileSync("mkfifo", [join(images, "pipe")]);
  const dirs: VmFileDirectories = {
    imageDirs: [images],
    volumeDirs: [join(volumes, "{tenant}")],
    configured: true,
  };
  // Configured directories are checked on disk even with a runtime that opens nothing.
  const policy = createHostPathPolicy({ directories: () => dirs, runtimeOpensFiles: false });
  const kernel = (path: string) => resources({ kernelPath: path });

  it("accepts regular files, and links that stay inside", async () => {
    await policy.check(
      resources({
        kernelPath: join(images, "alias"),
        storage: [disk(join(volumes, "acme", "data.ext4"))],
      }),
      tenant,
    );
  });

  it("refuses a missing file", async () => {
    expect(await refusal(policy.check(kernel(join(images, "missing")), operator))).toMatchObject({
      code: "invalid_argument",
      problem: `${JSON.stringify(join(images, "missing"))} does not exist`,
    });
  });

  it("refuses a link out of the directories without saying where it leads", async () => {
    const refused = await refusal(policy.check(kernel(join(images, "escape")), tenant));
    expect(refused).toMatchObject({ path: "config.boot.kernel_path", code: "permission_denied" });
    expect(refused.problem).toContain("is a link that leads out of the image directories");
    expect(refused.problem).not.toContain("/etc/passwd");
  });

  it("refuses what is not a regular file", async () => {
    expect(await refusal(policy.check(kernel(join(images, "subdir")), operator))).toMatchObject({
      problem: `${JSON.stringify(join(images, "subdir"))} is a directory, not a regular file`,
    });
    expect(await refusal(policy.check(kernel(join(images, "pipe")), operator))).toMatchObject({
      problem: `${JSON.stringify(join(images, "pipe"))} is a named pipe, not a regular file`,
    });
  });

  it.runIf(process.getuid?.() === 0)(
    "refuses a device node inside an image directory",
    async () => {
      const node = join(images, "sda");
      execFileSync("mknod", [node, "b", "8", "0"]);
      const r = resources({ storage: [disk(node)] });
      expect(await refusal(policy.check(r, operator))).toMatchObject({
        path: "config.storage[0].path",
        problem: `${JSON.stringify(node)} is a block device, not a regular file`,
      });
    },
  );

  it("checks a runtime's files on disk with the default directories too", async () => {
    const opened = createHostPathPolicy({
      directories: () => DEFAULT_VM_FILE_DIRECTORIES,
      runtimeOpensFiles: true,
    });
    expect(
      await refusal(opened.check(kernel("/opt/vm-assets/vmlinux-that-is-not-here"), operator)),
    ).toMatchObject({ problem: '"/opt/vm-assets/vmlinux-that-is-not-here" does not exist' });
  });
});

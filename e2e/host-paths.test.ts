// Host files a VM may be given (boot.kernel_path, boot.initrd_path, storage[].path), through the
// real server: regular files under the operator's image and volume directories, resolved with
// realpath; a device, a host file or a link out of them is refused naming the field —
// invalid_argument for an operator, permission_denied for a tenant token — and nothing is stored.
// Without configured directories the guides' /opt/vm-assets paths keep working.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";
import { seedBody } from "./harness/seed-bodies.js";

const VM = "/vmprovisioner.v1.VmService";

interface Answer {
  status: number;
  body: { code?: string; message?: string; vmId?: string };
}

async function call(url: string, body: unknown, tenant?: string): Promise<Answer> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...(tenant && { Authorization: `Bearer dev_customer_${tenant}` }),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answer["body"] };
}

let address = 0x10;
const vmConfig = (files: { kernel?: string; disks?: { path: string; readonly?: boolean }[] }) => ({
  config: {
    tenant_id: "acme",
    ...(files.kernel && { boot: { kernel_path: files.kernel } }),
    storage: files.disks ?? [],
    network: [{ id: "eth0", ipv6: { address: `2001:db8:ac0e::${(address++).toString(16)}/64` } }],
  },
});

function expectRefused(
  answer: Answer,
  field: string,
  code: "invalid_argument" | "permission_denied",
) {
  expect(answer.status, JSON.stringify(answer.body)).toBe(code === "invalid_argument" ? 400 : 403);
  expect(answer.body.code).toBe(code);
  expect(answer.body.message?.startsWith(`${field}: `), answer.body.message).toBe(true);
}

describe("host paths in configured image and volume directories", () => {
  let metald: MetaldProcess;
  const root = mkdtempSync(join(tmpdir(), "metald-vm-files-"));
  const images = join(root, "images");
  const volumes = join(root, "volumes");
  const kernel = join(images, "vmlinux");
  const rootfs = join(images, "rootfs.ext4");
  const acmeDisk = join(volumes, "acme", "data.ext4");
  const globexDisk = join(volumes, "globex", "data.ext4");

  beforeAll(async () => {
    mkdirSync(images);
    mkdirSync(join(volumes, "acme"), { recursive: true });
    mkdirSync(join(volumes, "globex"));
    for (const file of [kernel, rootfs, acmeDisk, globexDisk]) writeFileSync(file, "");
    symlinkSync("/etc/shadow", join(images, "shadow-link"));
    execFileSync("mkfifo", [join(images, "pipe")]);
    metald = await startMetald("pglite", {
      env: { METALD_IMAGE_DIRS: images, METALD_VOLUME_DIRS: join(volumes, "{tenant}") },
    });
  }, 60_000);

  afterAll(async () => {
    await metald?.destroy();
    rmSync(root, { recursive: true, force: true });
  });

  const create = (body: unknown, tenant?: string) =>
    call(`${metald.url}${VM}/CreateVm`, body, tenant);

  it("accepts a kernel and a shared image from the image directory and the tenant's own volume", async () => {
    const answer = await create(
      vmConfig({
        kernel,
        disks: [{ path: rootfs, readonly: true }, { path: acmeDisk }],
      }),
      "acme",
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  });

  it("refuses a block device as a disk: invalid_argument for an operator, permission_denied for a tenant", async () => {
    const body = vmConfig({ kernel, disks: [{ path: "/dev/sda" }] });
    expectRefused(await create(body), "config.storage[0].path", "invalid_argument");
    expectRefused(await create(body, "acme"), "config.storage[0].path", "permission_denied");
  });

  it("refuses /etc/shadow, named directly or through a link in the image directory", async () => {
    expectRefused(
      await create(vmConfig({ kernel, disks: [{ path: "/etc/shadow" }] }), "acme"),
      "config.storage[0].path",
      "permission_denied",
    );
    const linked = await create(vmConfig({ kernel: join(images, "shadow-link") }), "acme");
    expectRefused(linked, "config.boot.kernel_path", "permission_denied");
    expect(linked.body.message).not.toContain("/etc/shadow");
  });

  it("refuses what is not a regular file, and a file that does not exist", async () => {
    const pipe = await create(vmConfig({ kernel, disks: [{ path: join(images, "pipe") }] }));
    expectRefused(pipe, "config.storage[0].path", "invalid_argument");
    expect(pipe.body.message).toContain("is a named pipe, not a regular file");
    const missing = await create(vmConfig({ kernel: join(images, "vmlinux-missing") }));
    expectRefused(missing, "config.boot.kernel_path", "invalid_argument");
    expect(missing.body.message).toContain("does not exist");
  });

  it.runIf(process.getuid?.() === 0)(
    "refuses a device node made inside the image directory",
    async () => {
      const node = join(images, "sda");
      execFileSync("mknod", [node, "b", "8", "0"]);
      const answer = await create(vmConfig({ kernel, disks: [{ path: node }] }));
      expectRefused(answer, "config.storage[0].path", "invalid_argument");
      expect(answer.body.message).toContain("is a block device, not a regular file");
    },
  );

  it("gives a tenant shared images read-only, and no other tenant's volume", async () => {
    expectRefused(
      await create(vmConfig({ kernel, disks: [{ path: rootfs }] }), "acme"),
      "config.storage[0].path",
      "permission_denied",
    );
    expectRefused(
      await create(vmConfig({ kernel, disks: [{ path: globexDisk }] }), "acme"),
      "config.storage[0].path",
      "permission_denied",
    );
  });

  it("stores none of the refused VMs", async () => {
    const listed = await call(`${metald.url}${VM}/ListVms`, {});
    expect((listed.body as { totalCount?: number }).totalCount).toBe(1);
  });

  it("checks the files again at boot: a disk replaced by a link to a device is not booted", async () => {
    const disk = join(volumes, "acme", "swapped.ext4");
    writeFileSync(disk, "");
    const created = await create(vmConfig({ kernel, disks: [{ path: disk }] }));
    expect(created.status).toBe(200);
    rmSync(disk);
    symlinkSync("/dev/null", disk);
    const booted = await call(`${metald.url}${VM}/BootVm`, { vm_id: created.body.vmId });
    expect(booted.body.code, JSON.stringify(booted.body)).toBe("failed_precondition");
    expect(booted.body.message).toContain("config.storage[0].path");
  });
});

describe("host paths without configured directories", () => {
  let metald: MetaldProcess;

  beforeAll(async () => {
    metald = await startMetald("pglite");
  }, 60_000);

  afterAll(async () => {
    await metald?.destroy();
  });

  it("accept the guides' /opt/vm-assets paths as written (no runtime opens them)", async () => {
    const answer = await call(
      `${metald.url}${VM}/CreateVm`,
      seedBody("000-high-security-web-server"),
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  });

  it("refuse a device outside them", async () => {
    expectRefused(
      await call(`${metald.url}${VM}/CreateVm`, vmConfig({ disks: [{ path: "/dev/sda" }] })),
      "config.storage[0].path",
      "invalid_argument",
    );
  });
});

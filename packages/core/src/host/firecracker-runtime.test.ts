import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileHostPlan } from "../plan/compile-host-plan.js";
import { resolvePolicy } from "../policy/resolve-policy.js";
import { createInterfaceSpec } from "../policy/vm-spec.js";
import { createFirecrackerRuntime } from "./firecracker-runtime.js";

// A stand-in for the firecracker binary: serves the API socket, records every request, and
// exits on SendCtrlAltDel like a guest that shut down.
const FAKE = `#!/usr/bin/env node
const http = require("node:http");
const fs = require("node:fs");
const socket = process.argv[process.argv.indexOf("--api-sock") + 1];
const log = process.env.FAKE_FC_LOG;
http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    fs.appendFileSync(log, JSON.stringify({ method: req.method, path: req.url, body: JSON.parse(body) }) + "\\n");
    res.statusCode = 204;
    res.end();
    if (body.includes("SendCtrlAltDel")) setTimeout(() => process.exit(0), 10);
  });
}).listen(socket);
`;

// A stand-in for the jailer: records its arguments, builds <base>/<exec name>/<id>/root and runs
// the exec file with the arguments after "--", taking the API socket inside that root as a
// chroot would.
const FAKE_JAILER = `#!/usr/bin/env node
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const argv = process.argv.slice(2);
fs.writeFileSync(process.env.FAKE_JAILER_LOG, JSON.stringify(argv));
const opt = (name) => argv[argv.indexOf(name) + 1];
const root = path.join(opt("--chroot-base-dir"), path.basename(opt("--exec-file")), opt("--id"), "root");
fs.mkdirSync(root, { recursive: true });
const rest = argv.slice(argv.indexOf("--") + 1);
const args = rest.map((a, i) => (rest[i - 1] === "--api-sock" ? path.join(root, a) : a));
const child = spawn(opt("--exec-file"), ["--id=" + opt("--id"), ...args], { stdio: "inherit" });
child.on("exit", (code) => process.exit(code ?? 0));
process.on("SIGTERM", () => child.kill("SIGKILL"));
`;

function installStandIns(dir: string) {
  const binary = join(dir, "firecracker");
  writeFileSync(binary, FAKE);
  chmodSync(binary, 0o755);
  const jailer = join(dir, "jailer");
  writeFileSync(jailer, FAKE_JAILER);
  chmodSync(jailer, 0o755);
  process.env.FAKE_FC_LOG = join(dir, "requests.jsonl");
  process.env.FAKE_JAILER_LOG = join(dir, "jailer-args.json");
  return { binary, jailer, log: join(dir, "requests.jsonl") };
}

const readRequests = (log: string) =>
  readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));

const spec = createInterfaceSpec("eth0", {
  macAddress: "02:00:00:00:00:01",
  addresses: [{ address: "2001:db8::10", prefixLength: 64, path: "" }],
});

describe("the Firecracker runtime", () => {
  it("configures the VM through the API socket, with the tap as host_dev_name, and shuts it down", async () => {
    const dir = mkdtempSync(join(tmpdir(), "metald-fc-"));
    const binary = join(dir, "firecracker");
    writeFileSync(binary, FAKE);
    chmodSync(binary, 0o755);
    const log = join(dir, "requests.jsonl");
    process.env.FAKE_FC_LOG = log;
    const plan = compileHostPlan(
      {
        vmId: "vm-fc",
        tenantId: "acme",
        isolated: false,
        machine: {
          vcpuCount: 2,
          memoryMib: 512,
          kernelPath: "/opt/vm-assets/vmlinux",
          kernelArgs: "console=ttyS0",
          initrdPath: "",
          drives: [
            {
              id: "rootfs",
              path: "/opt/vm-assets/rootfs.ext4",
              readonly: false,
              isRootDevice: true,
            },
          ],
        },
      },
      [{ spec, policy: resolvePolicy({ profile: "HIGH" }).policy }],
    );
    const runtime = createFirecrackerRuntime({ binary, socketDir: join(dir, "sockets") });
    await runtime.boot(plan);
    await runtime.shutdown(plan);
    const requests = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "PUT /machine-config",
      "PUT /boot-source",
      "PUT /drives/rootfs",
      "PUT /network-interfaces/eth0",
      "PUT /actions",
      "PUT /actions",
    ]);
    expect(requests[3].body).toEqual({
      iface_id: "eth0",
      host_dev_name: plan.ports[0]?.name,
      guest_mac: "02:00:00:00:00:01",
    });
    expect(requests[4].body).toEqual({ action_type: "InstanceStart" });
    expect(requests[5].body).toEqual({ action_type: "SendCtrlAltDel" });
  });

  it("runs firecracker under the jailer with hard links to the VM's files in its chroot, and removes the jail after shutdown", async () => {
    const dir = mkdtempSync(join(tmpdir(), "metald-jail-"));
    const { binary, jailer, log } = installStandIns(dir);
    const assets = join(dir, "assets");
    mkdirSync(assets);
    const kernel = join(assets, "vmlinux");
    const rootfs = join(assets, "rootfs.ext4");
    writeFileSync(kernel, "kernel");
    writeFileSync(rootfs, "rootfs");
    const base = join(dir, "jails");
    const plan = compileHostPlan(
      {
        vmId: "vm-jailed",
        tenantId: "acme",
        isolated: false,
        machine: {
          vcpuCount: 1,
          memoryMib: 256,
          kernelPath: kernel,
          kernelArgs: "console=ttyS0",
          initrdPath: "",
          drives: [{ id: "rootfs", path: rootfs, readonly: false, isRootDevice: true }],
        },
      },
      [{ spec, policy: resolvePolicy({ profile: "HIGH" }).policy }],
    );
    const runtime = createFirecrackerRuntime({
      binary,
      socketDir: join(dir, "unused"),
      jailer: { binary: jailer, uid: 1234, gid: 1235, chrootBaseDir: base },
    });
    await runtime.boot(plan);
    expect(JSON.parse(readFileSync(join(dir, "jailer-args.json"), "utf8"))).toEqual([
      "--id",
      "vm-jailed",
      "--exec-file",
      binary,
      "--uid",
      "1234",
      "--gid",
      "1235",
      "--chroot-base-dir",
      base,
      "--",
      "--api-sock",
      "/firecracker.socket",
    ]);
    const root = join(base, "firecracker", "vm-jailed", "root");
    // Links, not copies: a write by the guest reaches the disk file itself.
    expect(statSync(join(root, "kernel")).ino).toBe(statSync(kernel).ino);
    expect(statSync(join(root, "drive-rootfs")).ino).toBe(statSync(rootfs).ino);
    const requests = readRequests(log);
    expect(requests[1].body).toEqual({ kernel_image_path: "/kernel", boot_args: "console=ttyS0" });
    expect(requests[2].body).toMatchObject({ drive_id: "rootfs", path_on_host: "/drive-rootfs" });
    await runtime.shutdown(plan);
    expect(existsSync(join(base, "firecracker", "vm-jailed"))).toBe(false);
    expect(readFileSync(rootfs, "utf8")).toBe("rootfs");
  });
});

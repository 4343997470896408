// The Firecracker runtime: one `firecracker` process per VM, configured through its HTTP API on a
// Unix socket (machine-config, boot-source, drives, network-interfaces with the VM's tap as
// host_dev_name, then InstanceStart); shutdown sends Ctrl-Alt-Del, then stops the process.
// With a jailer, each VM's firecracker runs unprivileged in a chroot of its own that holds only
// hard links to the VM's kernel, initrd and disks.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { link, mkdir, realpath, rm } from "node:fs/promises";
import { request } from "node:http";
import { basename, join } from "node:path";
import type { HostPlan, MachinePlan } from "../plan/host-plan.js";
import type { VmRuntime } from "./vm-runtime.js";

export interface JailerOptions {
  /** The jailer binary. */
  binary: string;
  /** The user and group each VM's firecracker runs as. */
  uid: number;
  gid: number;
  /** Where the jails are built (the jailer's --chroot-base-dir). */
  chrootBaseDir: string;
}

export interface FirecrackerRuntimeOptions {
  /** The firecracker binary (an absolute path when a jailer runs it). */
  binary: string;
  /** Directory for the API sockets (without a jailer). */
  socketDir: string;
  /** Runs each VM's firecracker through the jailer: chroot, own uid/gid, no capabilities. */
  jailer?: JailerOptions;
  /** How long to wait for the API socket and for a clean shutdown (default 5 s). */
  timeoutMs?: number;
}

export class FirecrackerError extends Error {
  override name = "FirecrackerError";
}

/** PUT one Firecracker API resource; Firecracker answers 204 on success. */
export function firecrackerPut(socketPath: string, path: string, body: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      {
        socketPath,
        path,
        method: "PUT",
        headers: {
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(payload),
        },
      },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => {
          text += c.toString();
        });
        res.on("end", () => {
          if ((res.statusCode ?? 500) < 300) resolve();
          else reject(new FirecrackerError(`PUT ${path}: ${res.statusCode} ${text}`));
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

async function waitFor(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline)
      throw new FirecrackerError(`no API socket at ${path} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Inside a jail, firecracker sees its root directory only.
const JAILED_SOCKET = "/firecracker.socket";

/**
 * Hard links the VM's files into the jail's root (a link, not a copy: writes to a disk reach
 * the file itself) and returns the machine with the paths firecracker sees there.
 */
async function linkIntoJail(machine: MachinePlan, root: string): Promise<MachinePlan> {
  const place = async (source: string, name: string) => {
    // The resolved file: a link to a symlink would dangle inside the jail.
    const target = await realpath(source);
    try {
      await link(target, join(root, name));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new FirecrackerError(
        code === "EXDEV"
          ? `${source} is on another filesystem than the jails (${root}); hard links need one filesystem`
          : `cannot link ${source} into the jail: ${(error as Error).message}`,
      );
    }
    return `/${name}`;
  };
  return {
    ...machine,
    kernelPath: await place(machine.kernelPath, "kernel"),
    initrdPath: machine.initrdPath && (await place(machine.initrdPath, "initrd")),
    drives: await Promise.all(
      machine.drives.map(async (d) => ({ ...d, path: await place(d.path, `drive-${d.id}`) })),
    ),
  };
}

export function createFirecrackerRuntime(options: FirecrackerRuntimeOptions): VmRuntime {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const { jailer } = options;
  const processes = new Map<string, ChildProcess>();
  // <chroot base>/<firecracker's file name>/<vm id>, as the jailer builds it.
  const jailOf = (vmId: string) =>
    jailer ? join(jailer.chrootBaseDir, basename(options.binary), vmId) : undefined;
  const socketOf = (vmId: string) => {
    const jail = jailOf(vmId);
    return jail ? join(jail, "root", JAILED_SOCKET) : join(options.socketDir, `${vmId}.sock`);
  };

  /** Starts the VM's firecracker; returns the machine as that process sees it. */
  async function start(plan: HostPlan, machine: MachinePlan) {
    const socket = socketOf(plan.vmId);
    const jail = jailOf(plan.vmId);
    if (!jailer || !jail) {
      await mkdir(options.socketDir, { recursive: true });
      await rm(socket, { force: true });
      const child = spawn(options.binary, ["--api-sock", socket, "--id", plan.vmId], {
        stdio: "ignore",
      });
      return { child, socket, machine };
    }
    // A jail left by an earlier run is rebuilt from nothing; the jailer keeps a root that exists.
    await rm(jail, { recursive: true, force: true });
    const root = join(jail, "root");
    await mkdir(root, { recursive: true, mode: 0o700 });
    const jailed = await linkIntoJail(machine, root);
    const child = spawn(
      jailer.binary,
      [
        "--id",
        plan.vmId,
        "--exec-file",
        options.binary,
        "--uid",
        String(jailer.uid),
        "--gid",
        String(jailer.gid),
        "--chroot-base-dir",
        jailer.chrootBaseDir,
        "--",
        "--api-sock",
        JAILED_SOCKET,
      ],
      { stdio: "ignore" },
    );
    return { child, socket, machine: jailed };
  }

  return {
    name: "firecracker",

    async boot(plan: HostPlan) {
      if (!plan.machine?.kernelPath)
        throw new FirecrackerError(`vm ${plan.vmId} has no boot.kernel_path`);
      const { child, socket, machine } = await start(plan, plan.machine);
      processes.set(plan.vmId, child);
      try {
        await waitFor(socket, timeoutMs);
        await firecrackerPut(socket, "/machine-config", {
          vcpu_count: machine.vcpuCount,
          mem_size_mib: machine.memoryMib,
        });
        await firecrackerPut(socket, "/boot-source", {
          kernel_image_path: machine.kernelPath,
          boot_args: machine.kernelArgs,
          ...(machine.initrdPath && { initrd_path: machine.initrdPath }),
        });
        for (const drive of machine.drives) {
          await firecrackerPut(socket, `/drives/${drive.id}`, {
            drive_id: drive.id,
            path_on_host: drive.path,
            is_root_device: drive.isRootDevice,
            is_read_only: drive.readonly,
          });
        }
        for (const port of plan.ports) {
          await firecrackerPut(socket, `/network-interfaces/${port.guestInterface}`, {
            iface_id: port.guestInterface,
            host_dev_name: port.name,
            guest_mac: port.mac,
          });
        }
        await firecrackerPut(socket, "/actions", { action_type: "InstanceStart" });
      } catch (error) {
        child.kill("SIGKILL");
        processes.delete(plan.vmId);
        const jail = jailOf(plan.vmId);
        if (jail) await rm(jail, { recursive: true, force: true }).catch(() => undefined);
        throw error;
      }
    },

    async shutdown(plan: HostPlan) {
      const child = processes.get(plan.vmId);
      const socket = socketOf(plan.vmId);
      if (existsSync(socket))
        await firecrackerPut(socket, "/actions", { action_type: "SendCtrlAltDel" }).catch(
          () => undefined,
        );
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        await exited;
        clearTimeout(timer);
      }
      processes.delete(plan.vmId);
      await rm(socket, { force: true });
      // The jail holds links only: removing it leaves the VM's files where they are.
      const jail = jailOf(plan.vmId);
      if (jail) await rm(jail, { recursive: true, force: true });
    },
  };
}

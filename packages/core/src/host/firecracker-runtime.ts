// The Firecracker runtime: one `firecracker` process per VM, configured through its HTTP API on a
// Unix socket (machine-config, boot-source, drives, network-interfaces with the VM's tap as
// host_dev_name, then InstanceStart); shutdown sends Ctrl-Alt-Del, then stops the process.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import type { HostPlan } from "../plan/host-plan.js";
import type { VmRuntime } from "./vm-runtime.js";

export interface FirecrackerRuntimeOptions {
  /** The firecracker binary. */
  binary: string;
  /** Directory for the API sockets. */
  socketDir: string;
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

export function createFirecrackerRuntime(options: FirecrackerRuntimeOptions): VmRuntime {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const processes = new Map<string, ChildProcess>();
  const socketOf = (vmId: string) => join(options.socketDir, `${vmId}.sock`);

  return {
    name: "firecracker",

    async boot(plan: HostPlan) {
      const machine = plan.machine;
      if (!machine?.kernelPath)
        throw new FirecrackerError(`vm ${plan.vmId} has no boot.kernel_path`);
      await mkdir(options.socketDir, { recursive: true });
      const socket = socketOf(plan.vmId);
      await rm(socket, { force: true });
      const child = spawn(options.binary, ["--api-sock", socket, "--id", plan.vmId], {
        stdio: "ignore",
      });
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
    },
  };
}

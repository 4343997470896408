// Starts and stops a VM's guest. The netns runtime's guest is the VM's namespace: booting
// brings its interfaces up with their addresses and default routes; shutting down takes them
// down.
import type { HostPlan } from "../plan/host-plan.js";
import type { CommandRunner } from "./command-runner.js";
import { ipLink, ipRoute } from "./ip-link.js";

export interface VmRuntime {
  readonly name: "netns" | "firecracker" | "none";
  boot(plan: HostPlan): Promise<void>;
  shutdown(plan: HostPlan): Promise<void>;
}

export function createNetnsRuntime(runner: CommandRunner): VmRuntime {
  const setLinks = async (plan: HostPlan, up: boolean) => {
    for (const port of plan.ports) {
      const args = up ? ipLink.setUp(port.guestInterface) : ipLink.setDown(port.guestInterface);
      await runner.run("ip", args, { netns: plan.guestNamespace });
      // The kernel takes a route only through a link that is up, and drops it when the link
      // goes down: the interface's gateway is the guest's default route from each boot on.
      if (up && port.gateway !== "")
        await runner.run("ip", ipRoute.replaceDefault(port.gateway, port.guestInterface), {
          netns: plan.guestNamespace,
        });
    }
  };
  return {
    name: "netns",
    boot: (plan) => setLinks(plan, true),
    shutdown: (plan) => setLinks(plan, false),
  };
}

/** For the dry-run driver: nothing runs; state changes are recorded by the control plane only. */
export function createNoRuntime(): VmRuntime {
  return { name: "none", boot: async () => undefined, shutdown: async () => undefined };
}

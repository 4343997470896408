// Interface names may contain dots (a tenant "acme.eu" gets the bridge "br-acme.eu"), which
// sysctl's dotted key form would read as separators: the port and bridge parameters are
// written in the slash form, and the VM comes up with them set.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "../harness/curl-like.js";
import { type MetaldProcess, startMetald } from "../harness/metald-process.js";
import { canSendRealPackets } from "./sandbox-guests.js";

const exec = promisify(execFile);

describe.runIf(canSendRealPackets)("a tenant whose name has a dot (sandbox)", () => {
  let metald: MetaldProcess;
  beforeAll(async () => {
    metald = await startMetald("pglite", { driver: "sandbox" });
  });
  afterAll(async () => {
    await metald?.destroy();
  });

  it("creates the VM with its bridge and port parameters set, and deletes it", async () => {
    const created = await postJson(`${metald.url}/vmprovisioner.v1.VmService/CreateVm`, {
      config: {
        tenant_id: "acme.eu",
        ipv6_config: { enabled: true, addresses: ["2001:db8:ac::10/64"] },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const vmId = (created.body as { vmId: string }).vmId;
    const debug = (await (await fetch(`${metald.url}/debug/network/vm/${vmId}`)).json()) as {
      interfaces: { bridge: string; tap_device: string }[];
    };
    const nic = debug.interfaces[0];
    expect(nic?.bridge).toBe("br-acme.eu");
    const namespace = metald.env.METALD_SANDBOX_NAMESPACE as string;
    const read = async (device: string, key: string) =>
      (
        await exec("ip", [
          "netns",
          "exec",
          namespace,
          "cat",
          `/proc/sys/net/ipv6/conf/${device}/${key}`,
        ])
      ).stdout.trim();
    expect(await read("br-acme.eu", "accept_ra")).toBe("0");
    expect(await read(nic?.tap_device as string, "accept_ra")).toBe("0");
    expect(await read(nic?.tap_device as string, "autoconf")).toBe("0");
    const deleted = await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, {
      vm_id: vmId,
    });
    expect(deleted.status).toBe(200);
  });
});

// Bridges metald does not own, in the sandbox: a bridge that exists on the host and that metald
// neither created nor was given for the tenant is refused (permission_denied naming the field)
// and left exactly as it was: no port enslaved, accept_ra unchanged. A bridge the operator lists
// for a tenant is used and never deleted; a bridge metald created is remembered across a restart
// (the database) and deleted with its last VM.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MetaldProcess, startMetald } from "../harness/metald-process.js";

const exec = promisify(execFile);
const VM = "/vmprovisioner.v1.VmService";

// Root and iproute2 are what the sandbox driver needs; CI requires them.
const canRun = (() => {
  const root = process.getuid?.() === 0;
  if (!root && process.env.METALD_REQUIRE_KERNEL_TESTS === "1")
    throw new Error("METALD_REQUIRE_KERNEL_TESTS=1 but bridge ownership needs root (sandbox)");
  return root;
})();

const CONFIG = `metald:
  network:
    ipv6:
      enabled: true
      security_profile: "high"
      customer_configs:
        acme:
          host_bridges: [br-listed]
`;

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

let host = 0x10;
const onBridge = (tenant: string, bridge?: string) => ({
  config: {
    tenant_id: tenant,
    network: [
      {
        id: "eth0",
        ...(bridge && { bridge_name: bridge }),
        ipv6: { address: `2001:db8:b0::${(host++).toString(16)}/64` },
      },
    ],
  },
});

function expectDenied(answer: Answer, field: string) {
  expect(answer.status, JSON.stringify(answer.body)).toBe(403);
  expect(answer.body.code).toBe("permission_denied");
  expect(answer.body.message?.startsWith(`${field}: `), answer.body.message).toBe(true);
}

describe.runIf(canRun)("bridges metald does not own (sandbox)", () => {
  let metald: MetaldProcess;
  let ns: string;
  const ip = async (...args: string[]) => (await exec("ip", ["-n", ns, ...args])).stdout;
  const exists = async (bridge: string) =>
    ip("link", "show", bridge).then(
      () => true,
      () => false,
    );
  const ports = async (bridge: string) =>
    (JSON.parse((await ip("-j", "link", "show", "master", bridge)) || "[]") as unknown[]).length;
  const acceptRa = async (bridge: string) =>
    (
      await exec("ip", ["netns", "exec", ns, "sysctl", "-n", `net.ipv6.conf.${bridge}.accept_ra`])
    ).stdout.trim();
  const create = (body: unknown, tenant?: string) =>
    call(`${metald.url}${VM}/CreateVm`, body, tenant);
  const remove = (vmId: string | undefined) => call(`${metald.url}${VM}/DeleteVm`, { vm_id: vmId });

  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), "metald-bridges-")), "config.yaml");
    writeFileSync(file, CONFIG);
    metald = await startMetald("pglite", { driver: "sandbox", args: ["--config", file] });
    ns = metald.env.METALD_SANDBOX_NAMESPACE as string;
    // Made on the host after metald started: not metald's.
    for (const bridge of ["br-foreign", "br-listed", "br-globex"])
      await ip("link", "add", bridge, "type", "bridge");
    // The sandbox namespace's defaults are metald's port settings (accept_ra 0): the operator's
    // bridge gets a value of its own, so that a change by metald would show.
    await exec("ip", [
      "netns",
      "exec",
      ns,
      "sysctl",
      "-q",
      "-w",
      "net.ipv6.conf.br-foreign.accept_ra=1",
    ]);
  }, 60_000);

  afterAll(async () => {
    await metald?.destroy();
  });

  it("refuses a foreign bridge named by bridge_name and leaves it untouched", async () => {
    const before = await acceptRa("br-foreign");
    expect(before).toBe("1");
    expectDenied(await create(onBridge("acme", "br-foreign")), "config.network[0].bridge_name");
    expectDenied(
      await create(onBridge("acme", "br-foreign"), "acme"),
      "config.network[0].bridge_name",
    );
    expect(await ports("br-foreign")).toBe(0);
    expect(await acceptRa("br-foreign")).toBe(before);
  });

  it("refuses a foreign bridge named by isolation.bridge_interface", async () => {
    const answer = await create({
      config: {
        tenant_id: "acme",
        ipv6_config: {
          enabled: true,
          addresses: ["2001:db8:b1::10/64"],
          security: { isolation: { bridge_interface: "br-foreign" } },
        },
      },
    });
    expectDenied(answer, "config.ipv6_config.security.isolation.bridge_interface");
    expect(await ports("br-foreign")).toBe(0);
  });

  it("refuses a link that is no bridge at all, and a tenant's default bridge made outside metald", async () => {
    expectDenied(await create(onBridge("acme", "lo")), "config.network[0].bridge_name");
    // globex names no bridge: its default is br-globex, which metald did not create.
    expectDenied(await create(onBridge("globex")), "config.network[0].bridge_name");
    expect(await ports("br-globex")).toBe(0);
  });

  it("stores none of the refused VMs", async () => {
    const listed = await call(`${metald.url}${VM}/ListVms`, {});
    expect((listed.body as { totalCount?: number }).totalCount).toBe(0);
  });

  it("uses a bridge the operator lists for the tenant, for that tenant only, and never deletes it", async () => {
    expectDenied(await create(onBridge("globex", "br-listed")), "config.network[0].bridge_name");
    const created = await create(onBridge("acme", "br-listed"), "acme");
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(await ports("br-listed")).toBe(1);
    expect((await remove(created.body.vmId)).status).toBe(200);
    expect(await ports("br-listed")).toBe(0);
    expect(await exists("br-listed")).toBe(true);
  });

  it("refuses an update that moves a VM onto a foreign bridge", async () => {
    const created = await create(onBridge("acme", "br-made-up"));
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const update = await call(`${metald.url}${VM}/UpdateVmNetworkSecurity`, {
      vm_id: created.body.vmId,
      security: { isolation: { bridge_interface: "br-foreign" } },
    });
    expectDenied(update, "config.security_overrides.isolation.bridge_interface");
    expect(await ports("br-foreign")).toBe(0);
    expect((await remove(created.body.vmId)).status).toBe(200);
    expect(await exists("br-made-up")).toBe(false);
  });

  it("remembers a bridge it created across a restart, and deletes it with its last VM", async () => {
    const first = await create(onBridge("acme", "br-ours"));
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    await metald.restart();
    const second = await create(onBridge("acme", "br-ours"));
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(await ports("br-ours")).toBe(2);
    await remove(first.body.vmId);
    expect(await exists("br-ours")).toBe(true);
    await remove(second.body.vmId);
    expect(await exists("br-ours")).toBe(false);
    expect(await exists("br-foreign")).toBe(true);
  });
});

// HostService.CountVms and GetVmEnforcement through the real server with bearer tokens: VMs by
// state counted in one call (a tenant token counts its own tenant's only, whatever tenant it
// asks for), and a VM's enforcement answered for its own tenant and the operator, another
// tenant's VM not_found; with the dry-run driver there are no kernel counters, the elements are
// there.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { HostService, VmService, VmState } from "@metald/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";

const MAIN = fileURLToPath(new URL("../apps/metald/dist/main.js", import.meta.url));

describe("VM counts and a VM's enforcement", () => {
  let metald: MetaldProcess;
  const tokens: Record<string, string> = {};
  const clientsFor = (who: "operator" | "acme" | "globex") => {
    const bearer: Interceptor = (next) => async (req) => {
      req.header.set("authorization", `Bearer ${tokens[who]}`);
      return next(req);
    };
    const transport = createConnectTransport({
      baseUrl: metald.url,
      httpVersion: "1.1",
      interceptors: [bearer],
    });
    return { vms: createClient(VmService, transport), host: createClient(HostService, transport) };
  };
  const count = (r: { byState: { state: VmState; count: bigint }[] }, state: VmState) =>
    r.byState.find((s) => s.state === state)?.count;

  beforeAll(async () => {
    metald = await startMetald("postgres", { env: { METALD_AUTH: "required" } });
    for (const [name, args] of [
      ["operator", ["--role", "operator", "--name", "ops"]],
      ["acme", ["--role", "tenant", "--tenant", "acme"]],
      ["globex", ["--role", "tenant", "--tenant", "globex"]],
    ] as const) {
      const r = spawnSync(process.execPath, [MAIN, "token", "create", ...args], {
        env: { ...process.env, DATABASE_URL: metald.env.DATABASE_URL },
        encoding: "utf8",
      });
      expect(r.status, r.stderr).toBe(0);
      tokens[name] = r.stdout.trim();
    }
  }, 90_000);

  afterAll(async () => {
    await metald?.destroy();
  });

  it("counts by state in one call, a tenant token its own tenant's only", async () => {
    const acme = clientsFor("acme");
    const globex = clientsFor("globex");
    const config = (address: string) => ({
      network: [{ id: "eth0", ipv6: { address, security: {} } }],
    });
    const { vmId } = await acme.vms.createVm({ config: config("2001:db8:ac::1/64") as never });
    await acme.vms.createVm({ config: config("2001:db8:ac::2/64") as never });
    await acme.vms.bootVm({ vmId });
    await globex.vms.createVm({ config: config("2001:db8:9b::1/64") as never });

    const own = await acme.host.countVms({ tenantId: "globex" });
    expect(own.total).toBe(2n);
    expect(count(own, VmState.RUNNING)).toBe(1n);
    expect(count(own, VmState.CREATED)).toBe(1n);
    expect(own.byState.map((s) => s.state)).toEqual([
      VmState.CREATED,
      VmState.RUNNING,
      VmState.PAUSED,
      VmState.SHUTDOWN,
      VmState.TERMINATED,
      VmState.FAILED,
    ]);
    const operator = clientsFor("operator");
    expect((await operator.host.countVms({})).total).toBe(3n);
    expect((await operator.host.countVms({ tenantId: "globex" })).total).toBe(1n);

    // The enforcement of acme's VM: its elements (dry-run: no kernel counters).
    const enforcement = await acme.host.getVmEnforcement({ vmId });
    expect(enforcement.countersAvailable).toBe(false);
    expect(enforcement.counters).toEqual([]);
    const sources = enforcement.elements.filter((e) => e.set === "vm_sources");
    expect(sources.map((e) => e.element)).toContainEqual(
      expect.stringMatching(/^"[^"]+" \. 2001:db8:ac::1$/),
    );
    expect(sources.every((e) => e.family === "bridge")).toBe(true);
    expect((await operator.host.getVmEnforcement({ vmId })).elements).toEqual(enforcement.elements);
    // Another tenant's VM looks like one that does not exist.
    const refused = await globex.host.getVmEnforcement({ vmId }).catch(ConnectError.from);
    expect(refused).toMatchObject({ code: Code.NotFound });
    const empty = await operator.host.getVmEnforcement({ vmId: "" }).catch(ConnectError.from);
    expect(empty).toMatchObject({ code: Code.InvalidArgument, rawMessage: "vm_id: is required" });
  });
});

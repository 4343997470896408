// Input metald cannot store or forward is refused with the field's path and changes nothing:
// NUL characters and over-long text, in Connect (JSON and binary) and REST bodies. Every error,
// unknown paths and wrong methods included, has the shape {code, message}.
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { VmService } from "@metald/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "./harness/curl-like.js";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";

describe("input limits and error shapes", () => {
  let metald: MetaldProcess;
  let vmId: string;

  beforeAll(async () => {
    metald = await startMetald("pglite");
    const created = await postJson(`${metald.url}/vmprovisioner.v1.VmService/CreateVm`, {
      config: { ipv6_config: { addresses: ["2001:db8:51::10/64"] } },
    });
    expect(created.status).toBe(200);
    vmId = (created.body as { vmId: string }).vmId;
  });
  afterAll(async () => {
    await metald?.destroy();
  });

  const isolated = async () =>
    (
      (await postJson(`${metald.url}/vmprovisioner.v1.VmService/GetVm`, { vm_id: vmId })).body as {
        isolated: boolean;
      }
    ).isolated;

  it("refuses a NUL in IsolateVm's reason with invalid_argument naming the field, and stores nothing", async () => {
    const r = await postJson(`${metald.url}/vmprovisioner.v1.VmService/IsolateVm`, {
      vm_id: vmId,
      reason: "bad\u0000actor",
    });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      code: "invalid_argument",
      message: "reason: contains a NUL character (at position 3)",
    });
    expect(await isolated()).toBe(false);
  });

  it("refuses a 100 KB reason over Connect binary too", async () => {
    const client = createClient(
      VmService,
      createConnectTransport({ baseUrl: metald.url, httpVersion: "1.1", useBinaryFormat: true }),
    );
    await expect(client.isolateVm({ vmId, reason: "x".repeat(100_000) })).rejects.toMatchObject({
      rawMessage: "reason: 100000 characters; at most 1024",
    });
    expect(await isolated()).toBe(false);
  });

  it("refuses a NUL in a REST body with the value's path", async () => {
    const res = await fetch(`${metald.url}/api/v1/vms/${vmId}/security`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ra_guard: { allowed_routers: ["fe80::1\u0000"] } }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      code: "invalid_argument",
      message: "ra_guard.allowed_routers[0]: contains a NUL character (at position 7)",
    });
  });

  it("answers an unknown path with not_found in the same shape", async () => {
    const res = await fetch(`${metald.url}/api/v1/nothing-here`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      code: "not_found",
      message: "no route GET /api/v1/nothing-here",
    });
  });

  it("answers a known path with the wrong method with 405 and Allow", async () => {
    const res = await fetch(`${metald.url}/vmprovisioner.v1.VmService/CreateVm`, {
      method: "DELETE",
    });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toContain("POST");
    expect(await res.json()).toMatchObject({ code: "method_not_allowed" });
  });

  it("answers a REST body that is not JSON with invalid_argument in the same shape", async () => {
    const res = await fetch(`${metald.url}/api/v1/vms/${vmId}/security`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "invalid_argument" });
  });
});

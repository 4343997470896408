import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
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
});

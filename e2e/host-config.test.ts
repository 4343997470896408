// metald serving with the guide's multi-tenant configuration file: tenants are created with
// their VLAN, bridge, namespace and settings; a VM's effective policy takes the tenant's values
// between its profile and its request; SIGHUP reloads the file, and a bad file on reload keeps
// the running configuration.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "./harness/curl-like.js";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";
import { waitUntil } from "./harness/wait-until.js";

const TEMPLATE = fileURLToPath(
  new URL("../apps/metald/test/config/multi-tenant.yaml", import.meta.url),
);

describe("serving the multi-tenant host configuration", () => {
  let metald: MetaldProcess;
  const file = join(mkdtempSync(join(tmpdir(), "metald-hostcfg-")), "config.yaml");

  beforeAll(async () => {
    copyFileSync(TEMPLATE, file);
    metald = await startMetald("pglite", {
      args: ["--config", file],
      env: { SIEM_AUTH_TOKEN: "token-from-the-environment" },
    });
  }, 60_000);

  afterAll(async () => {
    await metald?.destroy();
  });

  const ppsOf = async (tenant: string) => {
    const created = await postJson(`${metald.url}/vmprovisioner.v1.VmService/CreateVm`, {
      config: {
        tenant_id: tenant,
        network: [
          {
            id: "eth0",
            ipv6: {
              address: `2001:db8:${tenant === "customer-001" ? "c001" : "c002"}::${Math.floor(Math.random() * 65535).toString(16)}/64`,
            },
          },
        ],
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const vmId = (created.body as { vmId: string }).vmId;
    const sec = (await (await fetch(`${metald.url}/api/v1/vms/${vmId}/security`)).json()) as {
      ipv6_security: {
        rate_limits: { max_pps_per_vm: number };
        ra_guard: { block_all_ra: boolean };
      };
    };
    return sec.ipv6_security;
  };

  it("creates the file's tenants with their VLAN, bridge and namespace", async () => {
    const body = (await (await fetch(`${metald.url}/api/v1/customers`)).json()) as {
      customers: { id: string; vlan_id: number; bridge: string; namespace: string }[];
    };
    expect(body.customers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: "customer-001",
          vlan_id: 1001,
          bridge: "br-cust-001",
          namespace: "customer-001",
        }),
        expect.objectContaining({ id: "customer-002", vlan_id: 1002, bridge: "br-cust-002" }),
      ]),
    );
  });

  it("puts the tenant's settings between the profile and the request", async () => {
    expect(await ppsOf("customer-001")).toMatchObject({ rate_limits: { max_pps_per_vm: 5000 } });
    expect(await ppsOf("customer-002")).toMatchObject({
      rate_limits: { max_pps_per_vm: 15000 },
      ra_guard: { block_all_ra: true },
    });
  });

  /** Sends SIGHUP, waits for the server to log the reload's outcome, and returns that line. */
  const reload = async () => {
    const from = metald.log.length;
    metald.signal("SIGHUP");
    return waitUntil(
      "a configuration reload outcome in the log after SIGHUP",
      () => metald.log.slice(from).find((line) => line.includes("configuration reload")),
      { timeoutMs: 10_000 },
    );
  };

  it("reloads on SIGHUP, and keeps the running configuration when the new file is bad", async () => {
    writeFileSync(
      file,
      readFileSync(TEMPLATE, "utf8").replace("max_pps_per_vm: 15000", "max_pps_per_vm: 12000"),
    );
    expect(await reload()).toContain("configuration reloaded");
    expect(await ppsOf("customer-002")).toMatchObject({ rate_limits: { max_pps_per_vm: 12000 } });
    writeFileSync(
      file,
      readFileSync(TEMPLATE, "utf8").replace("max_pps_per_vm: 15000", "max_pps_per_vm: -1"),
    );
    expect(await reload()).toContain("configuration reload refused");
    expect(await ppsOf("customer-002")).toMatchObject({ rate_limits: { max_pps_per_vm: 12000 } });
    expect((await fetch(`${metald.url}/health`)).status).toBe(200);
  });
});

// The architecture guide's deploy-enterprise-multi-tenant.sh, as written, in development mode
// (its `Authorization: Bearer dev_customer_<id>` convention): one VM per customer, each in
// its own tenant with the VLAN, bridge, namespace and tier-dependent limits the script asks
// for. Only the server address changes.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";

const SCRIPT = fileURLToPath(
  new URL("./fixtures/seed-scripts/deploy-enterprise-multi-tenant.sh", import.meta.url),
);

describe("the guide's enterprise multi-tenant deployment script", () => {
  let metald: MetaldProcess;

  beforeAll(async () => {
    metald = await startMetald("pglite", { env: { METALD_AUTH: "development" } });
  }, 60_000);

  afterAll(async () => {
    await metald?.destroy();
  });

  it("creates a VM for each of its three customers with their VLANs and limits", async () => {
    const text = readFileSync(SCRIPT, "utf8").replaceAll("http://localhost:8080", metald.url);
    const child = spawn("bash", ["-c", text], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      out += c.toString();
    });
    const status = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(status, out).toBe(0);
    expect(out).toContain("✅ Multi-tenant deployment completed");
    expect(out).not.toContain('"code"');
    const want = {
      "customer-001": {
        vlan: 1001,
        pps: 20000,
        bandwidth: 2147483648,
        address: "2001:db8:c001::10/64",
      },
      "customer-002": {
        vlan: 1002,
        pps: 10000,
        bandwidth: 1073741824,
        address: "2001:db8:c002::10/64",
      },
      "customer-003": {
        vlan: 1003,
        pps: 10000,
        bandwidth: 1073741824,
        address: "2001:db8:c003::10/64",
      },
    };
    for (const [customer, w] of Object.entries(want)) {
      const list = (await (
        await fetch(`${metald.url}/api/v1/vms?customer_id=${customer}`)
      ).json()) as {
        vms: {
          customer_id: string;
          addresses: { address: string }[];
          ipv6_security: {
            profile: string;
            isolation: {
              customer_vlan: number;
              bridge_interface: string;
              network_namespace: string;
            };
            rate_limits: { max_pps_per_vm: number; max_bandwidth_per_vm: string | number };
          };
        }[];
      };
      expect(list.vms).toHaveLength(1);
      const vm = list.vms[0];
      expect(vm?.addresses.map((a) => a.address)).toEqual([w.address]);
      expect(vm?.ipv6_security.profile).toBe("SECURITY_PROFILE_HIGH");
      expect(vm?.ipv6_security.isolation).toMatchObject({
        customer_vlan: w.vlan,
        bridge_interface: `br-${customer}`,
        network_namespace: customer,
      });
      expect(vm?.ipv6_security.rate_limits.max_pps_per_vm).toBe(w.pps);
      expect(Number(vm?.ipv6_security.rate_limits.max_bandwidth_per_vm)).toBe(w.bandwidth);
    }
  });
});

// What the CreateVm benchmarks share: one Connect JSON call, closed-loop clients timing every
// answer, the percentiles they report, and the HIGH-profile VM the scale benchmarks fill a host
// with.
import { Pool } from "undici";

/** Calls a VmService method with a JSON body; anything but 200 throws with the answer. */
export async function callVmService(
  pool: Pool,
  method: string,
  body: string,
): Promise<Record<string, unknown>> {
  const res = await pool.request({
    path: `/vmprovisioner.v1.VmService/${method}`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${method} answered ${res.statusCode}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * `clients` clients each sending CreateVm to `url` (a new body each time) as soon as the last
 * one answered, until `end`; the latency of every answer in milliseconds.
 */
export async function createVmLoad(
  url: string,
  clients: number,
  end: number,
  body: () => string,
): Promise<number[]> {
  const pool = new Pool(url, { connections: clients, pipelining: 1 });
  const latencies: number[] = [];
  const client = async () => {
    while (Date.now() < end) {
      const started = process.hrtime.bigint();
      await callVmService(pool, "CreateVm", body());
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  };
  try {
    await Promise.all(Array.from({ length: clients }, client));
  } finally {
    await pool.close();
  }
  return latencies;
}

/** The sample below which p % of the sorted samples lie (NaN for none). */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/**
 * The n-th VM a scale benchmark creates: HIGH profile, its own /64, on bridge
 * `br-scale<n / perBridge>` (a Linux bridge holds at most 1,024 ports).
 */
export function scaleVmBody(n: number, perBridge: number): string {
  return JSON.stringify({
    config: {
      cpu: { vcpu_count: 1 },
      memory: { size_bytes: 268435456 },
      ipv6_config: {
        enabled: true,
        addresses: [`fd00:5c:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}::1/64`],
        security: {
          profile: "SECURITY_PROFILE_HIGH",
          isolation: {
            bridge_interface: `br-scale${Math.floor(n / perBridge)}`,
            inter_tenant_policy: "INTER_TENANT_POLICY_BLOCK_ALL",
          },
        },
      },
    },
  });
}

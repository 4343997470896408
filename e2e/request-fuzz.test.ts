// Random CreateVm bodies (JSON shaped with the API's own field names, so decoding, validation
// and the rule-language parser all see deep input) against the real server: every answer is
// 200 or a 4xx with {code, message}, the server stays up, and what was refused stored nothing.

import type { DescMessage } from "@bufbuild/protobuf";
import { VmService } from "@metald/proto";
import * as fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";

const RUNS = 10_000;
const PARALLEL = 8;

/** Every field name of every message CreateVm reaches, in both spellings. */
function fieldNames(root: DescMessage): string[] {
  const names = new Set<string>();
  const seen = new Set<string>();
  const walk = (m: DescMessage) => {
    if (seen.has(m.typeName)) return;
    seen.add(m.typeName);
    for (const f of m.fields) {
      names.add(f.name);
      names.add(f.jsonName);
      if (f.message) walk(f.message);
    }
  };
  walk(root);
  return [...names];
}

const RULE_WORDS = [
  "allow",
  "deny",
  "tcp",
  "udp",
  "icmpv6",
  "all",
  "from",
  "to",
  "any",
  "port",
  "type",
  "80",
  "443,8443",
  "1-65535",
  "65536",
  "0",
  "-1",
  "2001:db8::/32",
  "2001:db8::1",
  "fe80::1",
  "::/0",
  "2001:db8::/129",
  "echo-request",
  "destination-unreachable,packet-too-big",
  ",",
  "/",
  "\u0000",
  "é",
  "😀",
  "\t",
  "'",
  '"',
];

describe("fuzzing CreateVm", () => {
  let metald: MetaldProcess;
  beforeAll(async () => {
    metald = await startMetald("pglite", { logLevel: "warn" });
  });
  afterAll(async () => {
    await metald?.destroy();
  });

  async function post(method: string, body: string) {
    const res = await fetch(`${metald.url}/vmprovisioner.v1.VmService/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    return { status: res.status, text: await res.text() };
  }

  /** Sends every body; returns how many were accepted. Fails on a 5xx or an unshaped error. */
  async function sendAll(bodies: string[]): Promise<number> {
    let accepted = 0;
    let next = 0;
    const worker = async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as string;
        const r = await post("CreateVm", body);
        if (r.status === 200) {
          accepted++;
          continue;
        }
        expect(r.status, `${body}\n→ ${r.text}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${body}\n→ ${r.text}`).toBeLessThan(500);
        const error = JSON.parse(r.text) as { code?: unknown; message?: unknown };
        expect(typeof error.code, r.text).toBe("string");
        expect(typeof error.message, r.text).toBe("string");
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    return accepted;
  }

  const stored = async () =>
    (JSON.parse((await post("ListVms", "{}")).text) as { totalCount: number }).totalCount;

  it(`answers ${RUNS} random CreateVm bodies with 200 or a clean 4xx, storing only what it accepted`, async () => {
    const names = fieldNames(VmService.method.createVm.input);
    const leaf = fc.oneof(
      fc.string(),
      fc.string({ unit: "grapheme", maxLength: 40 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom("SECURITY_PROFILE_HIGH", "2001:db8::1/64", "fe80::1", "-1", "1e400", ""),
    );
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leaf,
        fc.array(tie("tree"), { maxLength: 4 }),
        fc.dictionary(fc.constantFrom(...names), tie("tree"), { maxKeys: 5 }),
      ),
    }));
    const body = fc.oneof(
      fc.record({ config: tree }).map((b) => JSON.stringify(b)),
      fc.json(),
      fc.string().map((s) => `{"config":${s}}`),
    );
    const bodies = fc.sample(body, { numRuns: RUNS, seed: 20261130 });
    const before = await stored();
    const accepted = await sendAll(bodies);
    expect(await stored()).toBe(before + accepted);
    expect((await fetch(`${metald.url}/health`)).status).toBe(200);
  }, 300_000);

  it(`parses ${RUNS} random rules without a 5xx, storing only what it accepted`, async () => {
    const rule = fc.oneof(
      fc
        .array(fc.constantFrom(...RULE_WORDS), { minLength: 1, maxLength: 12 })
        .map((w) => w.join(" ")),
      fc.string({ maxLength: 80 }),
    );
    let n = 0;
    const body = fc
      .record({
        ingress: fc.array(rule, { maxLength: 3 }),
        egress: fc.array(rule, { maxLength: 3 }),
      })
      .map(({ ingress, egress }) => {
        n++;
        return JSON.stringify({
          config: {
            network: [
              {
                id: "eth0",
                ipv6: { address: `2001:db8:f2::${n.toString(16)}/64` },
                security_policy: { ingress_rules: ingress, egress_rules: egress },
              },
            ],
          },
        });
      });
    const bodies = fc.sample(body, { numRuns: RUNS, seed: 1130 });
    const before = await stored();
    const accepted = await sendAll(bodies);
    expect(accepted).toBeGreaterThan(0);
    expect(await stored()).toBe(before + accepted);
    expect((await fetch(`${metald.url}/health`)).status).toBe(200);
  }, 300_000);
});

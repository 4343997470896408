// deploy/grafana's dashboard: the shape Grafana imports, PromQL that promtool parses, and every
// metric it queries exported by a running metald (so a renamed metric breaks this test, not the
// operator's dashboard).
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";

const FILE = fileURLToPath(new URL("../deploy/grafana/metald-ipv6-security.json", import.meta.url));

interface Target {
  refId: string;
  expr: string;
  legendFormat: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource: { type: string; uid: string };
  targets: Target[];
}
interface Dashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  templating: { list: { name: string; type: string }[] };
  panels: Panel[];
}

const dashboard = JSON.parse(readFileSync(FILE, "utf8")) as Dashboard;
const targets = dashboard.panels.flatMap((panel) => panel.targets);

/** Grafana's template variables replaced as Grafana would, so promtool sees plain PromQL. */
function plainPromql(expr: string): string {
  return expr.replaceAll("$__rate_interval", "5m").replaceAll("$customer", ".*");
}

describe("deploy/grafana/metald-ipv6-security.json", () => {
  it("has the shape Grafana imports: unique uid, ids and refIds, a grid position and a datasource variable", () => {
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list.map((v) => v.name)).toContain("datasource");
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.title, `panel ${panel.id}`).not.toBe("");
      expect(["timeseries", "stat", "bargauge", "gauge", "table"]).toContain(panel.type);
      expect(panel.datasource.uid).toMatch(/^\$\{datasource\}$/);
      expect(panel.gridPos.w + panel.gridPos.x).toBeLessThanOrEqual(24);
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      const refIds = panel.targets.map((t) => t.refId);
      expect(new Set(refIds).size, panel.title).toBe(refIds.length);
    }
  });

  it("holds PromQL that promtool parses", async () => {
    // promtool has no bare expression check; a rules file of the queries is checked instead.
    const dir = await mkdtemp(join(tmpdir(), "metald-grafana-"));
    const rules = targets.map(
      (t, i) =>
        `      - record: metald:dashboard_query_${i}\n        expr: ${JSON.stringify(plainPromql(t.expr))}`,
    );
    const file = join(dir, "queries.yml");
    writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join("\n")}\n`);
    const result = spawnSync("promtool", ["check", "rules", file], { encoding: "utf8" });
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  describe("against a running metald", () => {
    let metald: MetaldProcess;
    beforeAll(async () => {
      metald = await startMetald("pglite");
    });
    afterAll(async () => {
      await metald?.stop();
    });

    it("queries only metrics metald exports", async () => {
      const text = await (await fetch(metald.metricsUrl)).text();
      const exported = new Map(
        [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1] as string, m[2] as string]),
      );
      const queried = new Set(targets.flatMap((t) => t.expr.match(/\bmetald_[a-z0-9_]+/g) ?? []));
      const missing = [...queried].filter((name) => {
        const histogram = name.match(/^(.*)_(bucket|sum|count)$/)?.[1];
        return !(exported.has(name) || (histogram && exported.get(histogram) === "histogram"));
      });
      expect(missing).toEqual([]);
      expect(queried.size).toBeGreaterThan(15);
    });
  });
});

// The shipped alerting rules and scrape configuration pass promtool (Debian package prometheus).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const DIR = fileURLToPath(new URL("../deploy/prometheus/", import.meta.url));

function promtool(...args: string[]) {
  const result = spawnSync("promtool", args, { cwd: DIR });
  return { status: result.status, output: result.stdout.toString() + result.stderr.toString() };
}

describe("deploy/prometheus", () => {
  it.each([
    ["check rules", ["check", "rules", "metald-alerts.yml"]],
    ["unit tests of the rules", ["test", "rules", "metald-alerts.test.yml"]],
    ["check config", ["check", "config", "scrape-config.yml"]],
  ])("promtool %s succeeds", (_name, args) => {
    const { status, output } = promtool(...args);
    expect(status, output).toBe(0);
  });
});

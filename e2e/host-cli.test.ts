// The host commands: `--validate-config` on the guide's two templates and on broken files;
// `metald harden` in a throwaway network namespace (never the host's own), drift reported by
// `harden --check` and `precheck`, fixed once, then a no-op.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { kernelTestsCanRun } from "@metald/core/testing";
import { afterAll, describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../apps/metald/dist/main.js", import.meta.url));
const TEMPLATES = fileURLToPath(new URL("../apps/metald/test/config/", import.meta.url));
const metald = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [MAIN, ...args], {
    env: { ...process.env, ...env },
    encoding: "utf8",
  });

describe("metald --validate-config", () => {
  it.each(["production.yaml", "multi-tenant.yaml"])("accepts the guide's %s template", (file) => {
    const r = metald(["--config", join(TEMPLATES, file), "--validate-config"], {
      SIEM_AUTH_TOKEN: "token-from-the-environment",
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("valid");
  });

  it("refuses a broken file with the YAML path and line of each problem, and exits 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "metald-config-"));
    const file = join(dir, "config.yaml");
    writeFileSync(
      file,
      [
        "metald:",
        "  network:",
        "    ipv6:",
        "      enabled: true",
        "      security_profile: high",
        "      customer_configs:",
        "        acme:",
        "          isolation:",
        "            customer_vlan: 5000",
        "",
      ].join("\n"),
    );
    const r = metald(["--config", file, "--validate-config"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `${file}:9: metald.network.ipv6.customer_configs.acme.isolation.customer_vlan`,
    );
    const missing = metald(["--config", join(dir, "nope.yaml"), "--validate-config"]);
    expect(missing.status).toBe(1);
  });
});

describe.runIf(kernelTestsCanRun("metald harden", ["root", "ip"]))("metald harden", () => {
  const ns = `mhrd-${randomBytes(3).toString("hex")}`;
  const conf = join(mkdtempSync(join(tmpdir(), "metald-harden-")), "99-metald-ipv6-security.conf");
  afterAll(() => {
    spawnSync("ip", ["netns", "delete", ns]);
  });

  it("reports drift, writes and applies the guide's settings once, then changes nothing", () => {
    execFileSync("ip", ["netns", "add", ns]);
    execFileSync("ip", [
      "netns",
      "exec",
      ns,
      "sysctl",
      "-q",
      "-w",
      "net.ipv6.conf.all.accept_ra=1",
    ]);
    const before = metald(["harden", "--check", "--conf", conf, "--namespace", ns]);
    expect(before.status).toBe(1);
    expect(before.stdout).toContain("net.ipv6.conf.all.accept_ra: want 0, kernel 1");
    const first = metald(["harden", "--conf", conf, "--namespace", ns]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain(`${conf}: written`);
    expect(first.stdout).toContain("net.ipv6.conf.all.accept_ra: 1 -> 0");
    const second = metald(["harden", "--conf", conf, "--namespace", ns]);
    expect(second.stdout).toContain(`${conf}: unchanged`);
    expect(second.stdout).toContain("kernel values already in force");
    expect(metald(["harden", "--check", "--conf", conf, "--namespace", ns]).status).toBe(0);
    const value = execFileSync("ip", [
      "netns",
      "exec",
      ns,
      "sysctl",
      "-n",
      "net.ipv6.conf.all.accept_ra",
    ]);
    expect(value.toString().trim()).toBe("0");
  });
});

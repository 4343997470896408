// The host commands: `--validate-config` on the guide's two templates and on broken files;
// `metald harden` in a throwaway network namespace (never the host's own), drift reported by
// `harden --check` and `precheck`, fixed once, then a no-op; `metald vm-exec` in a guest namespace.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { guestNamespaceName } from "@metald/core";
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

describe.runIf(kernelTestsCanRun("metald vm-exec", ["root", "ip"]))("metald vm-exec", () => {
  // The namespace the netns runtime gives this VM id: made here, as booting would make it.
  const vmId = `vm-exec-${randomBytes(4).toString("hex")}`;
  const ns = guestNamespaceName(vmId);
  afterAll(() => {
    spawnSync("ip", ["netns", "delete", ns]);
  });

  it("runs the guides' commands as written inside the VM's guest namespace and passes on the exit code", () => {
    execFileSync("ip", ["netns", "add", ns]);
    execFileSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
    execFileSync("ip", ["-n", ns, "-6", "addr", "add", "2001:db8:e0::7/128", "dev", "lo"]);
    // Exactly the seed's form: the guest command's options follow the VM id, no `--`.
    const shown = metald(["vm-exec", vmId, "ip", "-6", "addr", "show"]);
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toContain("2001:db8:e0::7/128");
    const separated = metald(["vm-exec", vmId, "--", "sh", "-c", "exit 3"]);
    expect(separated.status).toBe(3);
  });

  it("refuses a VM without a guest namespace on this host, naming it", () => {
    const r = metald(["vm-exec", "vm-not-here", "ip", "-6", "addr", "show"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('VM "vm-not-here" has no guest namespace');
    expect(metald(["vm-exec"]).status).toBe(2);
  });
});

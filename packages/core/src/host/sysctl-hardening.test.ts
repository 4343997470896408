import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CommandRunner } from "./command-runner.js";
import {
  type ConfFs,
  createNodeConfFs,
  createSysctlHardening,
  DEFAULT_SYSCTL_CONF_PATH,
  HARDENING_SYSCTLS,
  parseSysctlConf,
  renderHardeningConf,
  SysctlConfError,
  SysctlHardeningError,
} from "./sysctl-hardening.js";

// The host hardening block of the design document, without its `sysctl -p` line.
const DOCUMENTED = `
# Disable IPv6 router advertisements acceptance
net.ipv6.conf.all.accept_ra = 0
net.ipv6.conf.default.accept_ra = 0

# Disable IPv6 redirects
net.ipv6.conf.all.accept_redirects = 0
net.ipv6.conf.default.accept_redirects = 0

# Enable IPv6 source route filtering
net.ipv6.conf.all.accept_source_route = 0
net.ipv6.conf.default.accept_source_route = 0

# Enable IPv6 privacy extensions for temporary addresses
net.ipv6.conf.all.use_tempaddr = 2
net.ipv6.conf.default.use_tempaddr = 2

# Increase IPv6 neighbor cache size for performance
net.ipv6.neigh.default.gc_thresh1 = 1024
net.ipv6.neigh.default.gc_thresh2 = 2048
net.ipv6.neigh.default.gc_thresh3 = 4096
`;

const CONF = "/etc/sysctl.d/99-metald-ipv6-security.conf";

// What a fresh kernel has for the hardened keys.
const KERNEL_DEFAULTS: Record<string, string> = {
  "net.ipv6.conf.all.accept_ra": "1",
  "net.ipv6.conf.default.accept_ra": "1",
  "net.ipv6.conf.all.accept_redirects": "1",
  "net.ipv6.conf.default.accept_redirects": "1",
  "net.ipv6.conf.all.accept_source_route": "0",
  "net.ipv6.conf.default.accept_source_route": "0",
  "net.ipv6.conf.all.use_tempaddr": "0",
  "net.ipv6.conf.default.use_tempaddr": "0",
  "net.ipv6.neigh.default.gc_thresh1": "128",
  "net.ipv6.neigh.default.gc_thresh2": "512",
  "net.ipv6.neigh.default.gc_thresh3": "1024",
};

function memoryFs() {
  const files = new Map<string, string>();
  const writes: string[] = [];
  const dirs = new Set<string>();
  const fs: ConfFs = {
    async readFile(path) {
      return files.get(path);
    },
    async writeFile(path, content) {
      if (!dirs.has(dirname(path))) throw new Error(`ENOENT: ${dirname(path)}`);
      writes.push(path);
      files.set(path, content);
    },
    async mkdir(path) {
      dirs.add(path);
    },
  };
  return { fs, files, writes };
}

describe("renderHardeningConf", () => {
  it("renders the documented settings and comments, after a header, ending in a newline", () => {
    const text = renderHardeningConf();
    expect(
      text,
    ).toBe(`# metald IPv6 host hardening. Managed by metald: local changes are overwritten.
${DOCUMENTED}`);
    expect(text.endsWith("4096\n")).toBe(true);
  });

  it("parses back to exactly HARDENING_SYSCTLS, in order", () => {
    const parsed = parseSysctlConf(renderHardeningConf());
    expect(parsed.map(({ key, value }) => ({ key, value }))).toEqual(
      HARDENING_SYSCTLS.map(({ key, value }) => ({ key, value })),
    );
    expect(new Set(parsed.map((e) => e.key)).size).toBe(11);
  });

  it("marks only the neighbour cache thresholds as host-wide", () => {
    const host = HARDENING_SYSCTLS.filter((s) => s.scope === "host").map((s) => s.key);
    expect(host).toEqual([1, 2, 3].map((n) => `net.ipv6.neigh.default.gc_thresh${n}`));
  });
});

describe("parseSysctlConf", () => {
  it("reads key = value lines, skipping comments and blank lines", () => {
    const text = "# c\n; c\n\n  a.b = 1 \nc.d=2\n-e.f = x\ty  z\ng.h =\n";
    expect(parseSysctlConf(text)).toEqual([
      { key: "a.b", value: "1", line: 4 },
      { key: "c.d", value: "2", line: 5 },
      { key: "e.f", value: "x y z", line: 6 },
      { key: "g.h", value: "", line: 7 },
    ]);
  });

  it("reads `sysctl` output and CRLF files", () => {
    expect(parseSysctlConf("net.a = 1\r\nnet.b = 4096\t6291456\r\n")).toEqual([
      { key: "net.a", value: "1", line: 1 },
      { key: "net.b", value: "4096 6291456", line: 2 },
    ]);
  });

  it("rejects a line that is not key = value, naming the line", () => {
    expect(() => parseSysctlConf("a = 1\nnonsense\n")).toThrow(SysctlConfError);
    expect(() => parseSysctlConf("a = 1\nnonsense\n")).toThrow(/line 2/);
    expect(() => parseSysctlConf(" = 1")).toThrow(/line 1/);
  });
});

describe("createSysctlHardening on a fake /proc/sys", () => {
  let dir: string;
  let procRoot: string;
  const proc = (key: string) => join(procRoot, ...key.split("."));
  const readProc = (key: string) => readFileSync(proc(key), "utf8").trim();
  const setProc = (key: string, value: string) => writeFileSync(proc(key), `${value}\n`);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "metald-sysctl-"));
    procRoot = join(dir, "proc-sys");
    for (const [key, value] of Object.entries(KERNEL_DEFAULTS)) {
      mkdirSync(dirname(proc(key)), { recursive: true });
      setProc(key, value);
    }
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("defaults to metald's file under /etc/sysctl.d", () => {
    expect(DEFAULT_SYSCTL_CONF_PATH).toBe(CONF);
    expect(createSysctlHardening({ procRoot }).confPath).toBe(CONF);
  });

  it("writes the file and the differing values, then a second run changes nothing", async () => {
    const { fs, files, writes } = memoryFs();
    const hardening = createSysctlHardening({ confPath: CONF, procRoot, fs });
    const first = await hardening.harden();
    expect(first.fileChanged).toBe(true);
    expect(first.skipped).toEqual([]);
    expect(files.get(CONF)).toBe(renderHardeningConf());
    expect(first.applied).toEqual([
      { key: "net.ipv6.conf.all.accept_ra", from: "1", to: "0" },
      { key: "net.ipv6.conf.default.accept_ra", from: "1", to: "0" },
      { key: "net.ipv6.conf.all.accept_redirects", from: "1", to: "0" },
      { key: "net.ipv6.conf.default.accept_redirects", from: "1", to: "0" },
      { key: "net.ipv6.conf.all.use_tempaddr", from: "0", to: "2" },
      { key: "net.ipv6.conf.default.use_tempaddr", from: "0", to: "2" },
      { key: "net.ipv6.neigh.default.gc_thresh1", from: "128", to: "1024" },
      { key: "net.ipv6.neigh.default.gc_thresh2", from: "512", to: "2048" },
      { key: "net.ipv6.neigh.default.gc_thresh3", from: "1024", to: "4096" },
    ]);
    for (const { key, value } of HARDENING_SYSCTLS) expect(readProc(key)).toBe(value);

    expect(await hardening.harden()).toEqual({ fileChanged: false, applied: [], skipped: [] });
    expect(writes).toEqual([CONF]);
    expect(await hardening.verify()).toEqual([]);
  });

  it("reports every setting as drift before the first run", async () => {
    const { fs } = memoryFs();
    const drift = await createSysctlHardening({ confPath: CONF, procRoot, fs }).verify();
    expect(drift.map((d) => d.key)).toEqual(HARDENING_SYSCTLS.map((s) => s.key));
    expect(drift.every((d) => !d.inFile)).toBe(true);
    expect(drift[0]).toEqual({
      key: "net.ipv6.conf.all.accept_ra",
      expected: "0",
      actual: "1",
      inFile: false,
    });
    expect(drift.find((d) => d.key.endsWith("all.accept_source_route"))?.actual).toBe("0");
  });

  it("reports a kernel value changed behind its back, and harden puts it back", async () => {
    const { fs } = memoryFs();
    const hardening = createSysctlHardening({ confPath: CONF, procRoot, fs });
    await hardening.harden();
    setProc("net.ipv6.conf.all.accept_ra", "1");
    setProc("net.ipv6.neigh.default.gc_thresh3", "1024");
    expect(await hardening.verify()).toEqual([
      { key: "net.ipv6.conf.all.accept_ra", expected: "0", actual: "1", inFile: true },
      { key: "net.ipv6.neigh.default.gc_thresh3", expected: "4096", actual: "1024", inFile: true },
    ]);
    const again = await hardening.harden();
    expect(again.fileChanged).toBe(false);
    expect(again.applied.map((c) => c.key)).toEqual([
      "net.ipv6.conf.all.accept_ra",
      "net.ipv6.neigh.default.gc_thresh3",
    ]);
    expect(await hardening.verify()).toEqual([]);
  });

  it("reports an edited, foreign or missing conf file, and harden rewrites it", async () => {
    const { fs, files } = memoryFs();
    const hardening = createSysctlHardening({ confPath: CONF, procRoot, fs });
    await hardening.harden();
    files.set(
      CONF,
      `${renderHardeningConf().replace("default.use_tempaddr = 2", "default.use_tempaddr = 0")}net.ipv6.conf.all.forwarding = 1\n`,
    );
    expect(await hardening.verify()).toEqual([
      { key: "net.ipv6.conf.default.use_tempaddr", expected: "2", actual: "2", inFile: false },
      { key: "net.ipv6.conf.all.forwarding", expected: null, actual: null, inFile: true },
    ]);
    expect((await hardening.harden()).fileChanged).toBe(true);
    expect(files.get(CONF)).toBe(renderHardeningConf());

    files.set(CONF, "this is not a sysctl file\n");
    expect((await hardening.verify()).every((d) => !d.inFile)).toBe(true);
    files.delete(CONF);
    expect(await hardening.verify()).toHaveLength(HARDENING_SYSCTLS.length);
    expect(await hardening.harden()).toEqual({ fileChanged: true, applied: [], skipped: [] });
  });

  it("rewrites a file whose values are right but whose text is not", async () => {
    const { fs, files } = memoryFs();
    const hardening = createSysctlHardening({ confPath: CONF, procRoot, fs });
    await hardening.harden();
    files.set(CONF, renderHardeningConf().replaceAll(" = ", "="));
    expect(await hardening.verify()).toEqual([]);
    expect((await hardening.harden()).fileChanged).toBe(true);
    expect(files.get(CONF)).toBe(renderHardeningConf());
  });

  it("sets the other keys when one does not exist, then fails naming it; verify says null", async () => {
    const { fs } = memoryFs();
    rmSync(proc("net.ipv6.conf.default.use_tempaddr"));
    const hardening = createSysctlHardening({ confPath: CONF, procRoot, fs });
    const error = await hardening.harden().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SysctlHardeningError);
    expect(String(error)).toMatch(
      /could not set: net\.ipv6\.conf\.default\.use_tempaddr=2 \(the key does not exist\)$/,
    );
    // The other keys were still set.
    const { result, failures } = error as SysctlHardeningError;
    expect(result.fileChanged).toBe(true);
    expect(result.applied).toHaveLength(8);
    expect(failures.map((f) => [f.key, f.missing])).toEqual([
      ["net.ipv6.conf.default.use_tempaddr", true],
    ]);
    // Never creates a sysctl that is not there.
    expect(() => readProc("net.ipv6.conf.default.use_tempaddr")).toThrow(/ENOENT/);
    const drift = await hardening.verify();
    expect(drift).toEqual([
      { key: "net.ipv6.conf.default.use_tempaddr", expected: "2", actual: null, inFile: true },
    ]);
  });

  it("writes the real file atomically with node:fs, creating the directory", async () => {
    const confPath = join(dir, "etc", "sysctl.d", "99-metald-ipv6-security.conf");
    const hardening = createSysctlHardening({ confPath, procRoot });
    expect((await hardening.harden()).fileChanged).toBe(true);
    expect(readFileSync(confPath, "utf8")).toBe(renderHardeningConf());
    expect((await hardening.harden()).fileChanged).toBe(false);
    expect(await hardening.verify()).toEqual([]);
    expect(await createNodeConfFs().readFile(join(dir, "missing"))).toBeUndefined();
    // No temp file left behind.
    expect(readdirSync(dirname(confPath))).toEqual(["99-metald-ipv6-security.conf"]);
  });
});

describe("createSysctlHardening in a namespace", () => {
  // A runner that answers `sysctl -e` from a table of the namespace's values.
  function namespaceRunner(values: Record<string, string>) {
    const calls: string[][] = [];
    const runner: CommandRunner = {
      async run(command, args) {
        calls.push([command, ...args]);
        const sysctl = args.slice(4);
        if (sysctl[0] === "-e") {
          return sysctl
            .slice(1)
            .filter((key) => key in values)
            .map((key) => `${key} = ${values[key]}\n`)
            .join("");
        }
        const [key, value] = (sysctl[2] ?? "").split("=");
        if (key !== undefined && value !== undefined) values[key] = value;
        return "";
      },
    };
    return { runner, calls };
  }

  // What a new namespace shows: no neighbour table settings, they are host-wide.
  const namespaceDefaults = () =>
    Object.fromEntries(Object.entries(KERNEL_DEFAULTS).filter(([k]) => !k.includes("neigh")));

  it("applies through `ip netns exec NS sysctl` as argument arrays, skipping host-wide keys", async () => {
    const values = namespaceDefaults();
    const { runner, calls } = namespaceRunner(values);
    const { fs } = memoryFs();
    const hardening = createSysctlHardening({
      confPath: CONF,
      fs,
      runner,
      namespace: "mthrd-ab12",
    });
    expect(hardening.namespace).toBe("mthrd-ab12");
    const result = await hardening.harden();
    expect(result.skipped).toEqual([1, 2, 3].map((n) => `net.ipv6.neigh.default.gc_thresh${n}`));
    expect(result.applied).toHaveLength(6);
    expect(calls[0]).toEqual([
      "ip",
      "netns",
      "exec",
      "mthrd-ab12",
      "sysctl",
      "-e",
      ...HARDENING_SYSCTLS.filter((s) => s.scope === "netns").map((s) => s.key),
    ]);
    expect(calls[1]).toEqual([
      "ip",
      "netns",
      "exec",
      "mthrd-ab12",
      "sysctl",
      "-q",
      "-w",
      "net.ipv6.conf.all.accept_ra=0",
    ]);
    expect(calls.every((c) => c[0] === "ip" && c[3] === "mthrd-ab12")).toBe(true);
    expect(await hardening.verify()).toEqual([]);
    expect((await hardening.harden()).applied).toEqual([]);
  });

  it("reports a host-wide key only when the file lacks it", async () => {
    const { runner } = namespaceRunner(namespaceDefaults());
    const { fs } = memoryFs();
    const hardening = createSysctlHardening({ confPath: CONF, fs, runner, namespace: "ns1" });
    const drift = await hardening.verify();
    expect(drift.find((d) => d.key.endsWith("gc_thresh1"))).toEqual({
      key: "net.ipv6.neigh.default.gc_thresh1",
      expected: "1024",
      actual: null,
      inFile: false,
    });
  });

  it("rejects a namespace name that must not reach the command line", () => {
    const { runner } = namespaceRunner({});
    for (const namespace of ["-n evil", "", "a/b", "a".repeat(16), ".."]) {
      expect(() => createSysctlHardening({ runner, namespace })).toThrow(/namespace name/);
    }
  });
});

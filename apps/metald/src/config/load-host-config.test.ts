import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  type ConfigError,
  formatConfigErrors,
  formatPath,
  type HostConfigResult,
  loadHostConfigFile,
  parseHostConfig,
} from "./load-host-config.js";

const fixturePath = (name: string) =>
  fileURLToPath(new URL(`../../test/config/${name}`, import.meta.url));
const PRODUCTION = readFileSync(fixturePath("production.yaml"), "utf8");
const MULTI_TENANT = readFileSync(fixturePath("multi-tenant.yaml"), "utf8");
const ENV = { SIEM_AUTH_TOKEN: "tok-8f3a9c1e5b7d" };
const IPV6 = "metald.network.ipv6";

/** The fixture with one exact piece of text replaced; fails loudly if the text is not there. */
function edit(text: string, from: string, to: string): string {
  expect(text.split(from)).toHaveLength(2);
  return text.replace(from, to);
}

function errorsOf(result: HostConfigResult): ConfigError[] {
  if (!("errors" in result)) throw new Error("expected the configuration to be rejected");
  return result.errors;
}

const minimal = (ipv6Lines: string) =>
  `metald:\n  network:\n    ipv6:\n      enabled: true\n      security_profile: "high"\n${ipv6Lines}`;

describe("the guide's host configuration templates", () => {
  it("accept the single-tenant production template as written", () => {
    const result = parseHostConfig(PRODUCTION, ENV);
    expect(result).not.toHaveProperty("errors");
    if (!("config" in result)) return;
    const ipv6 = result.config.metald.network.ipv6;
    expect(ipv6.security_profile).toBe("high");
    expect(ipv6.isolation?.bridge_interface).toBe("br-customer");
    expect(ipv6.monitoring?.siem_config?.auth_token).toBe(ENV.SIEM_AUTH_TOKEN);
    expect(ipv6.compliance?.frameworks).toEqual(["SOC2", "PCI_DSS"]);
  });

  it("accept the multi-tenant template as written and keep its customer configs", () => {
    const result = parseHostConfig(MULTI_TENANT, {});
    if (!("config" in result)) throw new Error(JSON.stringify(result.errors));
    const customers = result.config.metald.network.ipv6.customer_configs ?? {};
    expect(Object.keys(customers)).toEqual(["customer-001", "customer-002"]);
    expect(customers["customer-002"]?.rate_limits?.max_bandwidth_per_vm).toBe(2147483648);
    expect(result.config.metald.network.ipv6.default_security?.monitoring?.security_log_level).toBe(
      "WARN",
    );
  });
});

describe("VM files and host bridges in the host configuration", () => {
  it("are read from vm_files and a customer's host_bridges", () => {
    const text = `${minimal(
      "      customer_configs:\n        acme:\n          host_bridges: [br-uplink]\n",
    )}  vm_files:\n    image_dirs: [/srv/images]\n    volume_dirs: ["/srv/volumes/{tenant}"]\n`;
    const result = parseHostConfig(text, {});
    if (!("config" in result)) throw new Error(JSON.stringify(result.errors));
    expect(result.config.metald.vm_files).toEqual({
      image_dirs: ["/srv/images"],
      volume_dirs: ["/srv/volumes/{tenant}"],
    });
    expect(result.config.metald.network.ipv6.customer_configs?.acme?.host_bridges).toEqual([
      "br-uplink",
    ]);
  });
});

describe("a broken host configuration", () => {
  const cases: { name: string; text: string; path: string; line: number; message: RegExp }[] = [
    {
      name: "bad indentation",
      text: edit(PRODUCTION, '      security_profile: "high"', '     security_profile: "high"'),
      ...{ path: "", line: 6, message: /same column/ },
    },
    {
      name: "a tab used as indentation",
      text: edit(MULTI_TENANT, "            max_ra_rate: 5", "\t\t\tmax_ra_rate: 5"),
      ...{ path: "", line: 15, message: /Tabs are not allowed/ },
    },
    {
      name: "a duplicated key",
      text: edit(
        PRODUCTION,
        "        max_ra_rate: 0\n",
        "        max_ra_rate: 0\n        enabled: false\n",
      ),
      ...{ path: "", line: 13, message: /unique/ },
    },
    {
      name: "an unknown key (a typo)",
      text: edit(PRODUCTION, "        block_all_ra: true", "        blok_all_ra: true"),
      path: `${IPV6}.ra_guard.blok_all_ra`,
      ...{ line: 11, message: /unknown key "blok_all_ra"; did you mean "block_all_ra"\?/ },
    },
    {
      name: "an unknown top-level section",
      text: `${minimal("")}  storage: {}\n`,
      path: "metald.storage",
      ...{ line: 6, message: /unknown key "storage" \(allowed: network, vm_files\)/ },
    },
    {
      name: "an enum in the wrong case",
      text: edit(PRODUCTION, 'mode: "SELECTIVE"', 'mode: "selective"'),
      path: `${IPV6}.extension_headers.mode`,
      ...{ line: 32, message: /must be one of .*"SELECTIVE" \(got "selective"\); did you mean/ },
    },
    {
      name: "an unknown security profile",
      text: edit(PRODUCTION, 'security_profile: "high"', 'security_profile: "paranoid"'),
      path: `${IPV6}.security_profile`,
      ...{ line: 6, message: /must be one of "high", "medium", "low", "custom"/ },
    },
    {
      name: "a VLAN id out of range",
      text: edit(MULTI_TENANT, "customer_vlan: 1002", "customer_vlan: 5000"),
      path: `${IPV6}.customer_configs.customer-002.isolation.customer_vlan`,
      ...{ line: 29, message: /^must be 1–4094 \(got 5000\)$/ },
    },
    {
      name: "a VLAN shared by two tenants",
      text: edit(MULTI_TENANT, "customer_vlan: 1002", "customer_vlan: 1001"),
      path: `${IPV6}.customer_configs.customer-002.isolation.customer_vlan`,
      ...{ line: 29, message: /1001 is already used by customer "customer-001"/ },
    },
    {
      name: "a prefix with host bits set",
      text: edit(PRODUCTION, '"2001:db8:1000::/48"', '"2001:db8:1000::1/48"'),
      path: `${IPV6}.source_validation.allowed_ingress_prefixes[0]`,
      ...{ line: 24, message: /has host bits set; the prefix is 2001:db8:1000::\/48/ },
    },
    {
      name: "a prefix that is not IPv6",
      text: edit(PRODUCTION, '"2001:db8::/32"', '"10.0.0.0/8"'),
      path: `${IPV6}.source_validation.allowed_egress_prefixes[0]`,
      ...{ line: 26, message: /is not an IPv6 prefix/ },
    },
    {
      name: "a bridge name longer than Linux allows",
      text: edit(MULTI_TENANT, '"br-cust-001"', '"br-customer-001-prod"'),
      path: `${IPV6}.customer_configs.customer-001.isolation.bridge_interface`,
      ...{ line: 19, message: /is 20 characters; Linux names are at most 15/ },
    },
    {
      name: "a negative rate limit",
      text: edit(PRODUCTION, "max_pps_per_vm: 10000", "max_pps_per_vm: -1"),
      path: `${IPV6}.rate_limits.max_pps_per_vm`,
      ...{ line: 46, message: /^must be 0–100000000 packets\/s \(got -1\)$/ },
    },
    {
      name: "a missing required section",
      text: "metald:\n  network: {}\n",
      ...{ path: IPV6, line: 2, message: /^is required$/ },
    },
    {
      name: "a missing required key",
      text: edit(MULTI_TENANT, '      security_profile: "high"\n', ""),
      ...{ path: `${IPV6}.security_profile`, line: 4, message: /^is required$/ },
    },
    {
      name: `an unset \${ENV} reference`,
      text: PRODUCTION,
      path: `${IPV6}.monitoring.siem_config.auth_token`,
      ...{ line: 64, message: /^environment variable SIEM_AUTH_TOKEN is not set$/ },
    },
    {
      name: "a string where a number belongs",
      text: edit(PRODUCTION, "max_connections_per_vm: 10000", 'max_connections_per_vm: "many"'),
      path: `${IPV6}.rate_limits.max_connections_per_vm`,
      ...{ line: 48, message: /must be a whole number 0–10000000 connections \(got "many"\)/ },
    },
    {
      name: "a string where true/false belongs",
      text: edit(PRODUCTION, "        strict_ingress: true", '        strict_ingress: "yes"'),
      path: `${IPV6}.source_validation.strict_ingress`,
      ...{ line: 21, message: /^must be true or false, got "yes"$/ },
    },
    {
      name: "allowed routers while all RAs are blocked",
      text: edit(MULTI_TENANT, "block_all_ra: false", "block_all_ra: true"),
      path: `${IPV6}.customer_configs.customer-001.ra_guard.allowed_routers`,
      ...{ line: 14, message: /block_all_ra is true/ },
    },
    {
      name: "an empty file",
      text: "",
      ...{ path: "", line: 1, message: /is empty/ },
    },
    {
      name: "the root directory as an image directory",
      text: `${minimal("")}  vm_files:\n    image_dirs: ["/"]\n`,
      path: "metald.vm_files.image_dirs[0]",
      ...{ line: 7, message: /is the root directory/ },
    },
    {
      name: "a per-tenant image directory",
      text: `${minimal("")}  vm_files:\n    image_dirs: ["/srv/{tenant}"]\n`,
      path: "metald.vm_files.image_dirs[0]",
      ...{ line: 7, message: /only volume_dirs are per tenant/ },
    },
    {
      name: "a host bridge listed for two customers",
      text: minimal(
        "      customer_configs:\n        a:\n          host_bridges: [br-up]\n        b:\n          host_bridges: [br-up]\n",
      ),
      path: `${IPV6}.customer_configs.b.host_bridges[0]`,
      ...{ line: 10, message: /"br-up" is already used by customer "a"/ },
    },
  ];

  it.each(cases)("is rejected for $name, at its path and line", ({ text, path, line, message }) => {
    const errors = errorsOf(parseHostConfig(text, text === PRODUCTION ? {} : ENV));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ path, line });
    expect(errors[0]?.message).toMatch(message);
  });

  it("reports every problem, in line order", () => {
    const text = edit(
      edit(MULTI_TENANT, "customer_vlan: 1002", "customer_vlan: 0"),
      "max_ra_rate: 5",
      "max_ra_rate: 601",
    );
    const errors = errorsOf(parseHostConfig(text, {}));
    expect(errors.map((e) => [e.line, e.path])).toEqual([
      [15, `${IPV6}.customer_configs.customer-001.ra_guard.max_ra_rate`],
      [29, `${IPV6}.customer_configs.customer-002.isolation.customer_vlan`],
    ]);
  });
});

describe(`\${ENV} references`, () => {
  const siem = (lines: string) => minimal(`      monitoring:\n        siem_config:\n${lines}`);

  it("are filled in anywhere in a string value, and $${ stays a literal ${", () => {
    const text = siem(
      `          endpoint: "https://\${SIEM_HOST}/api/logs"\n          auth_token: "$\${raw}"\n`,
    );
    const result = parseHostConfig(text, { SIEM_HOST: "siem.example.com" });
    if (!("config" in result)) throw new Error(JSON.stringify(result.errors));
    const config = result.config.metald.network.ipv6.monitoring?.siem_config;
    expect(config?.endpoint).toBe("https://siem.example.com/api/logs");
    expect(config?.auth_token).toBe(`\${raw}`);
  });

  it("with a name that is not a variable name are rejected", () => {
    const errors = errorsOf(parseHostConfig(siem(`          auth_token: "\${siem-token}"\n`), {}));
    expect(errors).toEqual([
      {
        path: `${IPV6}.monitoring.siem_config.auth_token`,
        line: 8,
        message: expect.stringMatching(/is not a variable reference/),
      },
    ]);
  });
});

describe("secrets", () => {
  const SECRET = "sk_live_4f9a2b7c1d8e3f6a";

  it.each([
    ["an unrelated error", edit(PRODUCTION, "max_ra_rate: 0", "max_ra_rate: -1")],
    [
      "the token put in a URL field",
      edit(PRODUCTION, '"https://siem.company.com/api/logs"', `"\${SIEM_AUTH_TOKEN}"`),
    ],
    [
      "the token inside a longer value",
      edit(PRODUCTION, 'log_format: "JSON"', `log_format: "Bearer \${SIEM_AUTH_TOKEN}"`),
    ],
    [
      "a token longer than an error shows",
      edit(PRODUCTION, 'log_format: "JSON"', `log_format: "\${SIEM_AUTH_TOKEN}"`),
    ],
  ])("never appear in error text: %s", (_, text) => {
    const long = SECRET.repeat(5);
    for (const token of [SECRET, long]) {
      const errors = errorsOf(parseHostConfig(text, { SIEM_AUTH_TOKEN: token }));
      const printed = formatConfigErrors("/etc/metald/config.yaml", errors).join("\n");
      expect(printed).not.toContain(token.slice(0, 12));
    }
  });

  it("are shown as the reference that was written", () => {
    const text = edit(PRODUCTION, '"https://siem.company.com/api/logs"', `"\${SIEM_AUTH_TOKEN}"`);
    const errors = errorsOf(parseHostConfig(text, { SIEM_AUTH_TOKEN: SECRET }));
    expect(errors[0]?.message).toBe(
      `must be an http:// or https:// URL (got "\${SIEM_AUTH_TOKEN}")`,
    );
  });

  it("written into the file are not quoted back by YAML syntax errors", () => {
    const text = edit(PRODUCTION, `"\${SIEM_AUTH_TOKEN}"`, `"${SECRET}`);
    const printed = formatConfigErrors("f", errorsOf(parseHostConfig(text, {}))).join("\n");
    expect(printed).not.toContain(SECRET);
  });
});

describe("reading and printing", () => {
  it("loads a file from disk", async () => {
    const result = await loadHostConfigFile(fixturePath("multi-tenant.yaml"), {});
    expect(result).toHaveProperty("config");
  });

  it("turns a missing file into one clear error", async () => {
    const file = fixturePath("no-such-config.yaml");
    const result = await loadHostConfigFile(file, {});
    expect(formatConfigErrors(file, errorsOf(result))).toEqual([
      `${file}: cannot read the configuration: no such file`,
    ]);
  });

  it("prints file:line: path: message", () => {
    const text = edit(MULTI_TENANT, "customer_vlan: 1002", "customer_vlan: 5000");
    expect(
      formatConfigErrors("/etc/metald/config.yaml", errorsOf(parseHostConfig(text, {}))),
    ).toEqual([
      "/etc/metald/config.yaml:29: metald.network.ipv6.customer_configs.customer-002.isolation.customer_vlan: must be 1–4094 (got 5000)",
    ]);
  });

  it("quotes path keys that are not plain words", () => {
    expect(formatPath(["a", "acme.eu", "list", 2])).toBe('a["acme.eu"].list[2]');
  });
});

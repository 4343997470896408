// Schema of the host configuration file: the `metald:` document of the guide's YAML templates.
import {
  checkPrefix,
  checkUnicastAddress,
  FieldError,
  LIMITS,
  linuxNameProblem,
} from "@metald/core";
import { z } from "zod";
import { showValue } from "./show-value.js";
import { SiemIntegrationSchema } from "./siem-integration-schema.js";

// A host file must not set what the API would refuse for a single VM: the API's own bounds.
const BOUNDS = LIMITS;

function integer(min: number, max: number, unit = "") {
  const range = `${min}–${max}${unit && ` ${unit}`}`;
  return z
    .number({
      error: (iss) => {
        if (iss.input === undefined) return "is required";
        const whole = typeof iss.input === "number" && Number.isInteger(iss.input);
        return `must be ${whole ? "" : "a whole number "}${range} (got ${showValue(iss.input)})`;
      },
    })
    .int()
    .min(min)
    .max(max);
}

const flag = z.boolean();
const list = <T extends z.ZodType>(item: T) => z.array(item).max(BOUNDS.listEntries);

// Wraps a @metald/core field check so that its problem text becomes the zod message.
function checked(check: (text: string, path: string) => string) {
  return z.string().transform((text, ctx) => {
    try {
      return check(text, "");
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      ctx.addIssue({ code: "custom", message: error.problem, input: text });
      return z.NEVER;
    }
  });
}

const prefix = checked(checkPrefix);
const routerAddress = checked(checkUnicastAddress);
const vlan = integer(1, 4094);
const linuxName = z.string().superRefine((name, ctx) => {
  const problem = linuxNameProblem(name);
  if (problem) ctx.addIssue({ code: "custom", message: `${showValue(name)} ${problem}` });
});

const RaGuardSchema = z
  .strictObject({
    enabled: flag.optional(),
    block_all_ra: flag.optional(),
    allowed_routers: list(routerAddress).optional(),
    max_ra_rate: integer(0, BOUNDS.raPerMinute, "RAs/minute").optional(),
    block_config: z
      .strictObject({
        block_prefix_info: flag.optional(),
        block_mtu_options: flag.optional(),
        block_route_info: flag.optional(),
        block_rdnss: flag.optional(),
      })
      .optional(),
  })
  .superRefine((ra, ctx) => {
    if (ra.block_all_ra === true && (ra.allowed_routers?.length ?? 0) > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["allowed_routers"],
        message: "lists routers while block_all_ra is true; set block_all_ra to false",
      });
    }
  });

const SourceValidationSchema = z.strictObject({
  strict_ingress: flag.optional(),
  strict_egress: flag.optional(),
  allowed_ingress_prefixes: list(prefix).optional(),
  allowed_egress_prefixes: list(prefix).optional(),
  block_private_addresses: flag.optional(),
  reverse_path_filtering: flag.optional(),
  source_guard: flag.optional(),
  allowed_destinations: list(prefix).optional(),
});

const ExtensionHeadersSchema = z
  .strictObject({
    mode: z.enum(["ALLOW_ALL", "BLOCK_ALL", "SELECTIVE"]).optional(),
    allowed_types: z.array(integer(0, 255)).max(256).optional(),
    max_chain_length: integer(0, BOUNDS.maxChainLength, "headers").optional(),
    fragment_policy: z.enum(["ALLOW", "BLOCK", "REASSEMBLE"]).optional(),
  })
  .superRefine((eh, ctx) => {
    const types = eh.allowed_types ?? [];
    if (types.length > 0 && eh.mode !== undefined && eh.mode !== "SELECTIVE") {
      const message = `applies only with mode "SELECTIVE" (mode is "${eh.mode}")`;
      ctx.addIssue({ code: "custom", path: ["allowed_types"], message });
    }
    types.forEach((t, i) => {
      if (types.indexOf(t) !== i)
        ctx.addIssue({
          code: "custom",
          path: ["allowed_types", i],
          message: `${t} is listed twice`,
        });
    });
  });

const IsolationSchema = z.strictObject({
  customer_vlan: vlan.optional(),
  additional_vlans: z.array(vlan).max(4094).optional(),
  network_namespace: linuxName.optional(),
  bridge_interface: linuxName.optional(),
  inter_tenant_policy: z.enum(["BLOCK_ALL", "ALLOW_ALL", "SELECTIVE"]).optional(),
  enable_mld_snooping: flag.optional(),
});

const RateLimitsSchema = z.strictObject({
  max_pps_per_vm: integer(0, BOUNDS.ppsPerVm, "packets/s").optional(),
  max_bandwidth_per_vm: integer(0, BOUNDS.bandwidthBytesPerSecond, "bytes/s").optional(),
  max_connections_per_vm: integer(0, BOUNDS.connectionsPerVm, "connections").optional(),
  method: z.enum(["TOKEN_BUCKET", "LEAKY_BUCKET", "SLIDING_WINDOW"]).optional(),
  burst_config: z
    .strictObject({
      burst_packets: integer(0, BOUNDS.burstPackets, "packets").optional(),
      burst_duration_ms: integer(0, BOUNDS.burstDurationMs, "ms").optional(),
      recovery_time_s: integer(0, BOUNDS.recoveryS, "s").optional(),
    })
    .optional(),
});

const SiemSchema = z
  .strictObject({
    enabled: flag.optional(),
    endpoint: z
      .url({
        protocol: /^https?$/,
        error: (iss) => `must be an http:// or https:// URL (got ${showValue(iss.input)})`,
      })
      .optional(),
    // A secret: its messages never show the value.
    auth_token: z
      .string({ error: (iss) => (iss.input === undefined ? "is required" : "must be a string") })
      .min(1, "must not be empty")
      .optional(),
    log_format: z.enum(["JSON", "CEF", "LEEF"]).optional(),
  })
  .superRefine((siem, ctx) => {
    if (siem.enabled === true && siem.endpoint === undefined)
      ctx.addIssue({ code: "custom", path: ["endpoint"], message: "is required when enabled" });
  });

const MonitoringSchema = z.strictObject({
  enable_security_logging: flag.optional(),
  security_log_level: z.enum(["DEBUG", "INFO", "WARN", "ERROR", "CRITICAL"]).optional(),
  enable_metrics: flag.optional(),
  metrics_interval_s: integer(1, BOUNDS.metricsIntervalS, "s").optional(),
  siem_config: SiemSchema.optional(),
});

const ComplianceSchema = z.strictObject({
  frameworks: z.array(z.enum(["SOC2", "PCI_DSS", "GDPR", "HIPAA", "ISO27001"])).optional(),
  data_retention_days: integer(1, BOUNDS.dataRetentionDays, "days").optional(),
  audit_config: z
    .strictObject({
      enabled: flag.optional(),
      log_destination: z
        .string()
        .refine(
          (p) => p.startsWith("/") && !p.includes("\0") && !p.split("/").includes(".."),
          "must be an absolute path without '..'",
        )
        .optional(),
      include_performance_data: flag.optional(),
      encrypt_logs: flag.optional(),
    })
    .optional(),
  encryption: z
    .strictObject({
      require_tls: flag.optional(),
      min_tls_version: z.enum(["1.2", "1.3"]).optional(),
      require_encryption_at_rest: flag.optional(),
      allowed_ciphers: list(
        z.string().regex(/^TLS_[A-Z0-9_]{4,60}$/, "is not a TLS cipher suite name"),
      ).optional(),
    })
    .optional(),
});

// The sections of the API's IPv6SecurityConfig, spelled as the guide's YAML spells them.
const securitySections = {
  ra_guard: RaGuardSchema.optional(),
  source_validation: SourceValidationSchema.optional(),
  extension_headers: ExtensionHeadersSchema.optional(),
  isolation: IsolationSchema.optional(),
  rate_limits: RateLimitsSchema.optional(),
  monitoring: MonitoringSchema.optional(),
  compliance: ComplianceSchema.optional(),
};
const SecuritySectionsSchema = z.strictObject(securitySections);

const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

// tier and prefix are the per-customer values of the guide's enterprise deployment script;
// host_bridges are bridges metald did not create (an uplink, a bridge made by the host's network
// configuration) that this customer's VMs may be attached to.
const CustomerConfigSchema = z.strictObject({
  tier: z.enum(["premium", "standard", "basic"]).optional(),
  prefix: prefix.optional(),
  host_bridges: list(linuxName).optional(),
  ...securitySections,
});

const Ipv6Schema = z
  .strictObject({
    enabled: flag,
    security_profile: z.enum(["high", "medium", "low", "custom"]),
    ...securitySections,
    customer_configs: z
      .record(
        z.string().regex(TENANT_ID, "is not a tenant id: use 1–63 letters, digits, '.', '_', '-'"),
        CustomerConfigSchema,
      )
      .optional(),
    default_security: SecuritySectionsSchema.optional(),
  })
  .superRefine((ipv6, ctx) => {
    // Two tenants on one VLAN, bridge or namespace would share a broadcast domain.
    for (const field of ["customer_vlan", "bridge_interface", "network_namespace"] as const) {
      const owner = new Map<number | string, string>();
      for (const [id, customer] of Object.entries(ipv6.customer_configs ?? {})) {
        const value = customer.isolation?.[field];
        if (value === undefined) continue;
        const first = owner.get(value);
        if (first === undefined) owner.set(value, id);
        else
          ctx.addIssue({
            code: "custom",
            path: ["customer_configs", id, "isolation", field],
            message: `${showValue(value)} is already used by customer "${first}"`,
          });
      }
    }
    const bridgeOwner = new Map<string, string>();
    for (const [id, customer] of Object.entries(ipv6.customer_configs ?? {})) {
      const own = customer.isolation?.bridge_interface;
      if (own !== undefined && !bridgeOwner.has(own)) bridgeOwner.set(own, id);
    }
    for (const [id, customer] of Object.entries(ipv6.customer_configs ?? {})) {
      for (const [i, bridge] of (customer.host_bridges ?? []).entries()) {
        const first = bridgeOwner.get(bridge);
        if (first === undefined) bridgeOwner.set(bridge, id);
        else if (first !== id)
          ctx.addIssue({
            code: "custom",
            path: ["customer_configs", id, "host_bridges", i],
            message: `${showValue(bridge)} is already used by customer "${first}"`,
          });
      }
    }
  });

// A directory VM files may be taken from: absolute, normalized, never the root itself.
const vmFileDirectory = (perTenant: boolean) =>
  z.string().superRefine((dir, ctx) => {
    const problem = !dir.startsWith("/")
      ? "is not an absolute path"
      : dir.includes("\0") || dir.split("/").includes("..") || dir.split("/").includes(".")
        ? "must not contain '.', '..' or NUL"
        : dir.replace(/\/+$/, "") === ""
          ? "is the root directory: name the directory that holds the VM files"
          : !perTenant && dir.includes("{tenant}")
            ? "contains {tenant}: only volume_dirs are per tenant"
            : undefined;
    if (problem) ctx.addIssue({ code: "custom", message: `${showValue(dir)} ${problem}` });
  });

// Where a VM's kernel, initrd and disks may come from (see docs/access-and-tenancy.md).
const VmFilesSchema = z.strictObject({
  image_dirs: list(vmFileDirectory(false)).optional(),
  volume_dirs: list(vmFileDirectory(true)).optional(),
});

export const HostConfigSchema = z.strictObject({
  metald: z.strictObject({
    network: z.strictObject({ ipv6: Ipv6Schema }),
    vm_files: VmFilesSchema.optional(),
  }),
  // Beside metald:, where the guide writes it (docs/security-events.md).
  siem_integration: SiemIntegrationSchema.optional(),
});

export type HostConfig = z.output<typeof HostConfigSchema>;
export type Ipv6HostConfig = HostConfig["metald"]["network"]["ipv6"];
export type SecuritySections = z.output<typeof SecuritySectionsSchema>;
export type CustomerConfig = z.output<typeof CustomerConfigSchema>;
export type VmFilesConfig = z.output<typeof VmFilesSchema>;
export type TenantTier = NonNullable<CustomerConfig["tier"]>;

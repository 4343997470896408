// The only module that reads process.env: settings for the server, validated, and the start
// decisions that follow from them (listen address, host driver), which fail closed.
import { isIPv4 } from "node:net";
import { hostname } from "node:os";
import { z } from "zod";

const unsetIfEmpty = z.literal("").transform(() => undefined);

// Colon-separated absolute directories, like PATH.
const vmFileDirectoryList = z
  .string()
  .min(1)
  .transform((list) => list.split(":").filter((dir) => dir !== ""))
  .pipe(
    z
      .array(
        z
          .string()
          .refine(
            (dir) => dir.startsWith("/") && dir !== "/" && !dir.split("/").includes(".."),
            "each directory must be absolute, not /, without '..'",
          ),
      )
      .min(1),
  );

const EnvFields = z.object({
  // Unset: 0.0.0.0, or loopback in development mode (resolveServeSettings).
  METALD_HTTP_HOST: z.string().min(1).optional().or(unsetIfEmpty),
  METALD_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  METALD_METRICS_HOST: z.string().default("0.0.0.0"),
  METALD_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  METALD_EVENT_POLL_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  METALD_DATA_DIR: z.string().min(1).default("/var/lib/metald"),
  // The pool "default" (created at start if missing): CreateVm without addresses draws from it
  // when the tenant has no pool of its own.
  METALD_DEFAULT_POOL_PREFIX: z.string().optional(),
  // Events of VMs without data_retention_days, and host events, are kept this long.
  METALD_EVENT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(90),
  METALD_FEED_MAX_CONCURRENT: z.coerce.number().int().min(1).max(1_000).default(8),
  // SIEM push: override the host configuration's siem_integration block when set (unset: the
  // file's value, else the guide's default; config/siem-settings.ts). Off without an endpoint.
  METALD_SIEM_ENDPOINT: z
    .string()
    .url()
    .refine(
      (u) => /^(https?|udp|tcp|tls):\/\//i.test(u),
      "must be http(s)://, udp://, tcp:// or tls://",
    )
    .optional()
    .or(z.literal("").transform(() => undefined)),
  METALD_SIEM_TOKEN_FILE: z.string().optional(),
  METALD_SIEM_FORMATS: z
    .string()
    .transform((s) => s.split(",").map((f) => f.trim().toLowerCase()))
    .pipe(z.array(z.enum(["json", "cef", "leef"])).min(1))
    .optional(),
  METALD_SIEM_FLUSH_INTERVAL_MS: z.coerce.number().int().min(10).optional(),
  METALD_SIEM_MAX_RETRIES: z.coerce.number().int().min(0).max(100).optional(),
  METALD_SIEM_RETRY_DELAY_MS: z.coerce.number().int().min(1).optional(),
  METALD_SIEM_BACKOFF_MULTIPLIER: z.coerce.number().min(1).max(10).optional(),
  METALD_SIEM_MAX_RETRY_DELAY_MS: z.coerce.number().int().min(1).optional(),
  METALD_SIEM_MAX_BUFFER: z.coerce.number().int().min(1).optional(),
  // The audit trail's keys (docs/compliance.md): the AES-256-GCM keyring that
  // audit_config.encrypt_logs needs, and the HMAC-SHA256 key that signs checkpoints.
  METALD_AUDIT_KEYRING: z.string().min(1).optional().or(unsetIfEmpty),
  METALD_AUDIT_CHECKPOINT_KEY: z.string().min(1).optional().or(unsetIfEmpty),
  METALD_AUDIT_CHECKPOINT_EVERY: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  METALD_DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  // Unset: sandbox as root; refused otherwise (resolveServeSettings). dry-run enforces nothing
  // (plans are recorded), so it runs only when named.
  METALD_DRIVER: z.enum(["dry-run", "sandbox", "linux"]).optional().or(unsetIfEmpty),
  // netns: the guest is the VM's namespace (sandbox driver); firecracker: one firecracker
  // process per VM on its tap (linux driver).
  METALD_RUNTIME: z.enum(["netns", "firecracker"]).optional(),
  METALD_FIRECRACKER_BINARY: z.string().default("firecracker"),
  METALD_FIRECRACKER_SOCKET_DIR: z.string().default("/run/metald/firecracker"),
  // The jailer runs each VM's firecracker when found (auto); required: no start without it.
  METALD_JAILER: z.enum(["auto", "required"]).default("auto"),
  METALD_JAILER_BINARY: z.string().min(1).default("jailer"),
  METALD_JAILER_UID: z.coerce.number().int().min(1).max(4_294_967_294).default(65534),
  METALD_JAILER_GID: z.coerce.number().int().min(1).max(4_294_967_294).default(65534),
  METALD_JAILER_CHROOT_BASE: z.string().startsWith("/").default("/srv/jailer"),
  // Where VM kernels, initrds and disks may come from, over the host configuration's vm_files
  // (see config/vm-file-directories.ts).
  METALD_IMAGE_DIRS: vmFileDirectoryList.optional().or(z.literal("").transform(() => undefined)),
  METALD_VOLUME_DIRS: vmFileDirectoryList.optional().or(z.literal("").transform(() => undefined)),
  // Searched for the jailer and firecracker binaries.
  PATH: z.string().default("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
  METALD_SANDBOX_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,14}$/)
    .default("metald-sbx"),
  // required: bearer tokens. development: the guides' convention (no header = operator,
  // "Bearer dev_customer_<id>" = tenant <id>); refused when METALD_ENV is production.
  METALD_AUTH: z.enum(["required", "development"]).default("required"),
  METALD_ENV: z.string().default(""),
  // The API over TLS (HTTP/2 and HTTP/1.1 by ALPN): PEM files, both or neither.
  METALD_TLS_CERT: z.string().min(1).optional().or(unsetIfEmpty),
  METALD_TLS_KEY: z.string().min(1).optional().or(unsetIfEmpty),
  // The guide's min_tls_version values.
  METALD_TLS_MIN_VERSION: z.enum(["1.2", "1.3"]).default("1.2"),
  METALD_LOG_LEVEL: z
    .enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"])
    .default("info"),
  METALD_HOST_ID: z.string().min(1).default(hostname()),
  // The fleet's registry (docs/fleet.md): this host's heartbeat; 3 missed ones mark it stale.
  METALD_HEARTBEAT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  METALD_DEFAULT_PROFILE: z
    .enum(["high", "medium", "low", "custom"])
    .default("high")
    .transform((p) => p.toUpperCase() as "HIGH" | "MEDIUM" | "LOW" | "CUSTOM"),
});

const EnvSchema = EnvFields.superRefine((env, ctx) => {
  if ((env.METALD_TLS_CERT === undefined) !== (env.METALD_TLS_KEY === undefined))
    ctx.addIssue({
      code: "custom",
      path: [env.METALD_TLS_CERT === undefined ? "METALD_TLS_CERT" : "METALD_TLS_KEY"],
      message: "TLS needs both a certificate (--tls-cert) and its key (--tls-key)",
    });
});

export type Env = z.infer<typeof EnvSchema>;

export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid environment:\n  ${lines.join("\n  ")}`);
  }
  return parsed.data;
}

export type DriverName = "dry-run" | "sandbox" | "linux";

export interface ServeSettings {
  host: string;
  driver: DriverName;
  /** Said in the log at start: allowed, but worth an operator's attention. */
  warnings: string[];
}

/** 127.0.0.0/8, ::1, localhost (and IPv4-mapped loopback). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^::ffff:/, "");
  return h === "localhost" || h === "::1" || (isIPv4(h) && h.startsWith("127."));
}

/**
 * What `metald serve` starts with, or why it refuses to start. Fails closed: development
 * authentication (no token = operator) listens on loopback unless an address is named, and
 * never runs with METALD_ENV=production; without root no driver can program the host, and
 * dry-run (which enforces nothing) runs only when named.
 */
export function resolveServeSettings(
  env: Env,
  isRoot: boolean,
): ServeSettings | { refused: string } {
  const development = env.METALD_AUTH === "development";
  if (development && env.METALD_ENV === "production")
    return {
      refused:
        "METALD_AUTH=development (dev_customer_<id> tokens, no token = operator) is refused with METALD_ENV=production",
    };
  const driver = env.METALD_DRIVER ?? (isRoot ? "sandbox" : undefined);
  if (driver === undefined)
    return {
      refused:
        "metald is not running as root, so no driver can program this host's firewall and nothing would be enforced. " +
        "Start it as root (the default driver is then sandbox), or set METALD_DRIVER=dry-run to record plans without enforcing them.",
    };
  const host = env.METALD_HTTP_HOST ?? (development ? "127.0.0.1" : "0.0.0.0");
  const warnings: string[] = [];
  if (development && !isLoopbackHost(host))
    warnings.push(
      `METALD_AUTH=development on ${host}: every client that reaches this address without a token is an operator`,
    );
  if (driver === "dry-run")
    warnings.push("METALD_DRIVER=dry-run: plans are recorded, nothing is enforced on this host");
  return { host, driver, warnings };
}

/**
 * The scope of guest namespace names for a sandbox namespace (guestNamespaceName): none for the
 * default sandbox, whose guests keep their names; a sandbox of its own name scopes its guests,
 * so that two sandboxes on one kernel (two hosts of a fleet under test) hold a guest each of a
 * VM that moves from one to the other.
 */
export function sandboxGuestScope(namespace: string | undefined): string | undefined {
  return namespace === undefined || namespace === "" || namespace === "metald-sbx"
    ? undefined
    : namespace;
}

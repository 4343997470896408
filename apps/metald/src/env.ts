// The only module that reads process.env: settings for the server, validated.
import { hostname } from "node:os";
import { z } from "zod";

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

const EnvSchema = z.object({
  METALD_HTTP_HOST: z.string().default("0.0.0.0"),
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
  // SIEM push (the guide's siem_integration block); off without an endpoint.
  METALD_SIEM_ENDPOINT: z
    .string()
    .url()
    .optional()
    .or(z.literal("").transform(() => undefined)),
  METALD_SIEM_TOKEN_FILE: z.string().optional(),
  METALD_SIEM_FORMATS: z
    .string()
    .default("json")
    .transform((s) => s.split(",").map((f) => f.trim().toLowerCase()))
    .pipe(z.array(z.enum(["json", "cef", "leef"])).min(1)),
  METALD_SIEM_FLUSH_INTERVAL_MS: z.coerce.number().int().min(10).default(30_000),
  METALD_SIEM_MAX_RETRIES: z.coerce.number().int().min(0).max(100).default(3),
  METALD_SIEM_RETRY_DELAY_MS: z.coerce.number().int().min(1).default(5_000),
  METALD_SIEM_BACKOFF_MULTIPLIER: z.coerce.number().min(1).max(10).default(2),
  METALD_SIEM_MAX_RETRY_DELAY_MS: z.coerce.number().int().min(1).default(60_000),
  METALD_SIEM_MAX_BUFFER: z.coerce.number().int().min(1).default(10_000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  METALD_DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  // The sandbox driver needs root; without it nothing can be programmed, so plans are recorded.
  METALD_DRIVER: z
    .enum(["dry-run", "sandbox", "linux"])
    .default(process.getuid?.() === 0 ? "sandbox" : "dry-run"),
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
  METALD_LOG_LEVEL: z
    .enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"])
    .default("info"),
  METALD_HOST_ID: z.string().min(1).default(hostname()),
  METALD_DEFAULT_PROFILE: z
    .enum(["high", "medium", "low", "custom"])
    .default("high")
    .transform((p) => p.toUpperCase() as "HIGH" | "MEDIUM" | "LOW" | "CUSTOM"),
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

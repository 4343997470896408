// The guide's `siem_integration:` block of the host configuration, as the guide writes it, plus
// what a syslog destination needs (tls files) and a per-route endpoint. Durations are the guide's
// strings ("5s", "500ms", "1m").
import { isSyslogUrl, parseSyslogEndpoint } from "@metald/core";
import { z } from "zod";
import { showValue } from "./show-value.js";

const flag = z.boolean();

const absolutePath = z
  .string()
  .refine(
    (p) => p.startsWith("/") && !p.includes("\0") && !p.split("/").includes(".."),
    "must be an absolute path without '..'",
  );

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** "5s", "250ms", "1m", "1h" → milliseconds. */
export const duration = (min: number, max: number) =>
  z.string().transform((text, ctx) => {
    const match = /^([0-9]+)(ms|s|m|h)$/.exec(text);
    const ms = match ? Number(match[1]) * (UNIT_MS[match[2] as string] as number) : Number.NaN;
    if (!(ms >= min && ms <= max)) {
      ctx.addIssue({
        code: "custom",
        message: `must be a duration such as "5s", "500ms" or "1m", from ${min} ms to ${max / 1_000} s (got ${showValue(text)})`,
        input: text,
      });
      return z.NEVER;
    }
    return ms;
  });

/** An HTTP(S) push URL or a syslog URL (udp://, tcp://, tls://host[:port]). */
const destinationUrl = z.string().superRefine((url, ctx) => {
  if (isSyslogUrl(url)) {
    const endpoint = parseSyslogEndpoint(url);
    if ("problem" in endpoint)
      ctx.addIssue({ code: "custom", message: `${showValue(url)} ${endpoint.problem}` });
    return;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:"))
    ctx.addIssue({
      code: "custom",
      message: `must be an http://, https://, udp://, tcp:// or tls:// URL (got ${showValue(url)})`,
    });
});

/** The destination each route has when event_routing does not name one (defaultSiemRoutes). */
const DEFAULT_DESTINATIONS = {
  critical_events: "security_operations",
  audit_events: "compliance_audit",
  performance_events: "performance_monitoring",
  security_events: "security_events",
} as const;

const RouteSchema = z.strictObject({
  enabled: flag.optional(),
  destination: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "must be 1–64 letters, digits, '.', '_', '-'")
    .optional(),
  endpoint: destinationUrl.optional(),
  real_time: flag.optional(),
  batch_size: z.number().int().min(1).max(10_000).optional(),
  formats: z
    .array(z.enum(["json", "cef", "leef"]))
    .min(1)
    .max(3)
    .optional(),
  sampling_rate: z.number().min(0).max(1).optional(),
});

export const SiemIntegrationSchema = z
  .strictObject({
    enabled: flag.optional(),
    endpoint: destinationUrl.optional(),
    authentication: z
      .strictObject({
        type: z.literal("bearer_token").optional(),
        token_file: absolutePath.optional(),
      })
      .optional(),
    // For tls:// destinations (RFC 5425): the receiver's CA, and a client certificate if it asks.
    tls: z
      .strictObject({
        ca_file: absolutePath.optional(),
        cert_file: absolutePath.optional(),
        key_file: absolutePath.optional(),
        server_name: z.string().min(1).optional(),
      })
      .optional(),
    event_routing: z
      .strictObject({
        critical_events: RouteSchema.optional(),
        audit_events: RouteSchema.optional(),
        performance_events: RouteSchema.optional(),
        security_events: RouteSchema.optional(),
      })
      .optional(),
    enrichment: z
      .strictObject({
        include_vm_metadata: flag.optional(),
        include_customer_context: flag.optional(),
        include_network_topology: flag.optional(),
        geoip_enrichment: flag.optional(),
      })
      .optional(),
    retry_policy: z
      .strictObject({
        max_retries: z.number().int().min(0).max(100).optional(),
        retry_delay: duration(1, 3_600_000).optional(),
        backoff_multiplier: z.number().min(1).max(10).optional(),
        max_retry_delay: duration(1, 3_600_000).optional(),
      })
      .optional(),
    buffer_config: z
      .strictObject({
        max_buffer_size: z.number().int().min(1).max(100_000_000).optional(),
        flush_interval: duration(10, 3_600_000).optional(),
        overflow_policy: z.literal("drop_oldest").optional(),
      })
      .optional(),
  })
  .superRefine((siem, ctx) => {
    if (siem.enabled === false) return;
    const routes = Object.values(siem.event_routing ?? {});
    const everyRouteHasEndpoint =
      routes.length === 4 && routes.every((r) => r.enabled === false || r.endpoint !== undefined);
    if (siem.endpoint === undefined && !everyRouteHasEndpoint)
      ctx.addIssue({
        code: "custom",
        path: ["endpoint"],
        message: "is required when enabled (unless every route of event_routing has its own)",
      });
    if (siem.enrichment?.geoip_enrichment === true)
      ctx.addIssue({
        code: "custom",
        path: ["enrichment", "geoip_enrichment"],
        message:
          "is not supported: metald makes no network lookups and reads no GeoIP database; set it to false",
      });
    // Names as the routes will have them, defaults included (siemRoutesFromConfig).
    const names = new Map<string, string>();
    for (const [key, fallback] of Object.entries(DEFAULT_DESTINATIONS)) {
      const route = siem.event_routing?.[key as keyof typeof DEFAULT_DESTINATIONS];
      if (route?.enabled === false) continue;
      const name = route?.destination ?? fallback;
      const first = names.get(name);
      if (first === undefined) names.set(name, key);
      else
        ctx.addIssue({
          code: "custom",
          path: ["event_routing", key, "destination"],
          message: `${showValue(name)} is already the destination of ${first}: each route keeps its own position under its name`,
        });
    }
  });

export type SiemIntegrationConfig = z.output<typeof SiemIntegrationSchema>;

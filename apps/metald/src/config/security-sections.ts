// The host file's security sections (snake_case, enum values written short: SELECTIVE,
// TOKEN_BUCKET, WARN, SOC2) as the API's IPv6SecurityConfig, so that a tenant's settings go
// through the same checks and the same policy layer as a request's.

import type { DescMessage } from "@bufbuild/protobuf";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { type IPv6SecurityConfig, IPv6SecurityConfigSchema } from "@metald/proto";

/** Rewrites short enum values to their proto names (SELECTIVE → EXTENSION_HEADER_MODE_SELECTIVE). */
function protoNames(desc: DescMessage, value: JsonValue): JsonValue {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const out: Record<string, JsonValue> = {};
  for (const [key, item] of Object.entries(value)) {
    const field = desc.fields.find((f) => f.name === key || f.jsonName === key);
    if (!field || item === null) {
      out[key] = item as JsonValue;
      continue;
    }
    const enumOf =
      field.fieldKind === "enum"
        ? field.enum
        : field.fieldKind === "list" && field.listKind === "enum"
          ? field.enum
          : undefined;
    const messageOf =
      field.fieldKind === "message"
        ? field.message
        : field.fieldKind === "list" && field.listKind === "message"
          ? field.message
          : undefined;
    const convert = (v: JsonValue): JsonValue => {
      if (enumOf && typeof v === "string") {
        const match = enumOf.values.find(
          (e) => e.name === v || e.name.endsWith(`_${v.toUpperCase()}`),
        );
        return match ? match.name : v;
      }
      if (messageOf) return protoNames(messageOf, v);
      return v;
    };
    out[key] = Array.isArray(item) ? item.map(convert) : convert(item as JsonValue);
  }
  return out;
}

export function securitySectionsToProto(sections: Record<string, unknown>): IPv6SecurityConfig {
  return fromJson(
    IPv6SecurityConfigSchema,
    protoNames(IPv6SecurityConfigSchema, sections as JsonValue),
  );
}

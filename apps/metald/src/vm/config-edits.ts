// Edits of a stored VM config (protobuf JSON, proto field names) for the update RPCs and the
// REST PATCH: security patches, and interface or security-policy changes.
import type { JsonValue } from "@bufbuild/protobuf";
import { FieldError, mergeConfigJson } from "@metald/core";

type ConfigJson = { [key: string]: JsonValue };

function asObject(value: JsonValue | undefined): ConfigJson {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as ConfigJson)
    : {};
}

/**
 * An IPv6SecurityConfig patch: merged into (or, with `replace`, replacing) ipv6_config.security
 * for the single-interface form, and security_overrides for the network[] form.
 */
export function securityPatch(patch: JsonValue, replace: boolean) {
  return (stored: JsonValue): JsonValue => {
    const config = { ...asObject(stored) };
    if (config.ipv6_config !== undefined) {
      const ipv6 = { ...asObject(config.ipv6_config) };
      ipv6.security = replace ? patch : mergeConfigJson(ipv6.security ?? {}, patch);
      config.ipv6_config = ipv6;
    } else {
      config.security_overrides = replace
        ? patch
        : mergeConfigJson(config.security_overrides ?? {}, patch);
    }
    return config;
  };
}

/** Merges `ipv6` and `security_policy` into one interface of a network[]-form VM. */
export function interfacePatch(
  interfaceId: string,
  changes: { ipv6?: JsonValue; security_policy?: JsonValue },
) {
  return (stored: JsonValue): JsonValue => {
    const config = { ...asObject(stored) };
    const network = Array.isArray(config.network) ? [...config.network] : [];
    if (network.length === 0) {
      throw new FieldError(
        "interface_id",
        "this VM uses the ipv6_config form, which has no per-interface settings; use UpdateVmNetworkSecurity",
      );
    }
    const index =
      interfaceId === ""
        ? 0
        : network.findIndex((n, i) => (asObject(n).id ?? `eth${i}`) === interfaceId);
    if (index === -1)
      throw new FieldError(
        "interface_id",
        `${JSON.stringify(interfaceId)} is not an interface of this VM`,
        "not_found",
      );
    const nic = { ...asObject(network[index]) };
    if (changes.ipv6 !== undefined) nic.ipv6 = mergeConfigJson(nic.ipv6 ?? {}, changes.ipv6);
    if (changes.security_policy !== undefined) {
      nic.security_policy = mergeConfigJson(nic.security_policy ?? {}, changes.security_policy);
    }
    network[index] = nic;
    config.network = network;
    return config;
  };
}

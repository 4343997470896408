// Layers defaults <- profile <- tenant <- request into one effective policy, remembering
// which layer each value came from.
import type { ExtensionHeaderSwitches } from "./interface-security-layer.js";
import {
  ALL_EXTENSION_HEADER_TYPES,
  EXTENSION_HEADER_TYPES,
  type PolicyLayer,
  type SecurityPolicy,
  type SecurityProfileName,
} from "./security-policy.js";
import { DEFAULT_POLICY, profileLayer } from "./security-profiles.js";

export type PolicySource = "default" | "profile" | "tenant" | "request";

export interface ResolvedPolicy {
  policy: SecurityPolicy;
  /** Leaf path ("raGuard.blockAllRa") → the layer that set it. */
  sources: Record<string, PolicySource>;
}

export interface PolicyLayers {
  profile: SecurityProfileName;
  tenant?: PolicyLayer;
  request?: PolicyLayer;
  /** Interface-form block_* switches, applied as edits over the merged layers. */
  switches?: ExtensionHeaderSwitches;
}

export interface ResolveOptions {
  /** Record which layer set each value (default true); off on hot paths that store the policy only. */
  trackSources?: boolean;
}

export function resolvePolicy(layers: PolicyLayers, options: ResolveOptions = {}): ResolvedPolicy {
  const policy = JSON.parse(DEFAULT_POLICY_JSON) as Record<string, unknown>;
  const sources: Record<string, PolicySource> = {};
  if (options.trackSources !== false) recordLeaves(policy, "", "default", sources);
  const ordered: [PolicySource, PolicyLayer | undefined][] = [
    ["profile", profileLayer(layers.profile)],
    ["tenant", layers.tenant],
    ["request", layers.request],
  ];
  for (const [source, layer] of ordered) {
    if (layer) overlay(policy, layer as Record<string, unknown>, "", source, sources);
  }
  const resolved = policy as unknown as SecurityPolicy;
  if (layers.switches) applySwitches(resolved, layers.switches, sources);
  return { policy: resolved, sources };
}

const SWITCH_TYPES: [keyof ExtensionHeaderSwitches, number][] = [
  ["hopByHop", EXTENSION_HEADER_TYPES.hopByHop],
  ["routing", EXTENSION_HEADER_TYPES.routing],
  ["fragment", EXTENSION_HEADER_TYPES.fragment],
  ["destinationOptions", EXTENSION_HEADER_TYPES.destinationOptions],
];

// A block_* switch removes its header type from what the layers below allow (turning
// ALLOW_ALL into SELECTIVE over every known type); false puts it back.
function applySwitches(
  policy: SecurityPolicy,
  switches: ExtensionHeaderSwitches,
  sources: Record<string, PolicySource>,
): void {
  const eh = policy.extensionHeaders;
  if (SWITCH_TYPES.every(([key]) => switches[key] === undefined)) return;
  let allowed = new Set(
    eh.mode === "ALLOW_ALL"
      ? ALL_EXTENSION_HEADER_TYPES
      : eh.mode === "BLOCK_ALL"
        ? []
        : eh.allowedTypes,
  );
  for (const [key, type] of SWITCH_TYPES) {
    const block = switches[key];
    if (block === true) allowed.delete(type);
    if (block === false) allowed.add(type);
  }
  allowed = new Set([...allowed].sort((a, b) => a - b));
  eh.mode = "SELECTIVE";
  eh.allowedTypes = [...allowed];
  sources["extensionHeaders.mode"] = "request";
  sources["extensionHeaders.allowedTypes"] = "request";
  if (switches.fragment === true) {
    eh.fragmentPolicy = "BLOCK";
    sources["extensionHeaders.fragmentPolicy"] = "request";
  } else if (switches.fragment === false && eh.fragmentPolicy === "BLOCK") {
    eh.fragmentPolicy = "ALLOW";
    sources["extensionHeaders.fragmentPolicy"] = "request";
  }
}

const DEFAULT_POLICY_JSON = JSON.stringify(DEFAULT_POLICY);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function overlay(
  target: Record<string, unknown>,
  layer: Record<string, unknown>,
  prefix: string,
  source: PolicySource,
  sources: Record<string, PolicySource>,
): void {
  for (const [key, value] of Object.entries(layer)) {
    if (value === undefined) continue;
    const path = prefix + key;
    const current = target[key];
    if (isPlainObject(value) && isPlainObject(current)) {
      overlay(current, value, `${path}.`, source, sources);
    } else {
      target[key] = Array.isArray(value) ? [...value] : value;
      sources[path] = source;
    }
  }
}

function recordLeaves(
  node: Record<string, unknown>,
  prefix: string,
  source: PolicySource,
  sources: Record<string, PolicySource>,
): void {
  for (const [key, value] of Object.entries(node)) {
    if (isPlainObject(value)) recordLeaves(value, `${prefix}${key}.`, source, sources);
    else sources[prefix + key] = source;
  }
}

// The create form's fields as a CreateVmRequest (the architecture guide's ipv6_config form),
// and which field a server message's path is about.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type CreateVmRequestSchema, ExtensionHeaderMode, SecurityProfile } from "@metald/proto";

/** "default": the layers below (profile, tenant) decide. */
export type Switch = "default" | "on" | "off";

export interface CreateVmValues {
  tenantId: string;
  vmId: string;
  address: string;
  profile: "" | "HIGH" | "MEDIUM" | "LOW";
  vcpus: string;
  memoryMib: string;
  applicationTier: string;
  raGuard: Switch;
  sourceGuard: Switch;
  blockExtensionHeaders: Switch;
  securityLogging: Switch;
}

export type CreateVmField = keyof CreateVmValues;

export const EMPTY_VALUES: CreateVmValues = {
  tenantId: "",
  vmId: "",
  address: "",
  profile: "",
  vcpus: "1",
  memoryMib: "512",
  applicationTier: "",
  raGuard: "default",
  sourceGuard: "default",
  blockExtensionHeaders: "default",
  securityLogging: "default",
};

const onOff = (s: Switch) => (s === "default" ? undefined : s === "on");

/** A number as typed; not a number is sent as is for the server to name (NaN never is). */
function count(text: string): number | undefined {
  const t = text.trim();
  if (t === "") return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

export function toCreateVmRequest(
  v: CreateVmValues,
): MessageInitShape<typeof CreateVmRequestSchema> {
  const blockHeaders = onOff(v.blockExtensionHeaders);
  const memoryMib = count(v.memoryMib);
  const vcpus = count(v.vcpus);
  return {
    vmId: v.vmId.trim(),
    applicationTier: v.applicationTier.trim(),
    config: {
      tenantId: v.tenantId.trim(),
      ...(vcpus !== undefined && { cpu: { vcpuCount: vcpus } }),
      ...(memoryMib !== undefined && {
        memory: { sizeBytes: BigInt(Math.round(memoryMib)) * 1024n * 1024n },
      }),
      ipv6Config: {
        enabled: true,
        addresses: v.address.trim() === "" ? [] : [v.address.trim()],
        security: {
          profile: v.profile === "" ? SecurityProfile.UNSPECIFIED : SecurityProfile[v.profile],
          raGuard: { enabled: onOff(v.raGuard) },
          sourceValidation: { sourceGuard: onOff(v.sourceGuard) },
          extensionHeaders:
            blockHeaders === undefined
              ? undefined
              : {
                  mode: blockHeaders
                    ? ExtensionHeaderMode.BLOCK_ALL
                    : ExtensionHeaderMode.ALLOW_ALL,
                },
          monitoring: { enableSecurityLogging: onOff(v.securityLogging) },
        },
      },
    },
  };
}

/** Server paths (their leading part) and the form field that sets them, most specific first. */
const FIELD_OF_PATH: readonly [string, CreateVmField][] = [
  ["config.tenant_id", "tenantId"],
  ["vm_id", "vmId"],
  ["application_tier", "applicationTier"],
  ["config.ipv6_config.addresses", "address"],
  ["config.ipv6_config.security.profile", "profile"],
  ["config.ipv6_config.security.ra_guard", "raGuard"],
  ["config.ipv6_config.security.source_validation", "sourceGuard"],
  ["config.ipv6_config.security.extension_headers", "blockExtensionHeaders"],
  ["config.ipv6_config.security.monitoring", "securityLogging"],
  ["config.cpu", "vcpus"],
  ["config.memory", "memoryMib"],
];

export function fieldOfPath(path: string): CreateVmField | undefined {
  return FIELD_OF_PATH.find(
    ([prefix]) => path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`),
  )?.[1];
}

// @metald/core: policy normalization, validation and resolution; host plans and drivers.
export { createDryRunDriver, type DryRunDriver } from "./host/dry-run-driver.js";
export type { HostCapabilities, HostDriver } from "./host/host-driver.js";
export { formatIpv6, Ipv6SyntaxError, parseIpv6, parseIpv6Cidr } from "./ipam/ipv6-address.js";
export { isLinuxName, linuxNameProblem } from "./net/linux-name.js";
export { compileHostPlan, type PlannedInterface } from "./plan/compile-host-plan.js";
export { tapName, tenantBridgeName } from "./plan/device-names.js";
export type { HostPlan, LinkStep, SysctlStep } from "./plan/host-plan.js";
export { FieldError, type FieldErrorCode } from "./policy/field-error.js";
export {
  type NormalizedVm,
  type NormalizeOptions,
  normalizeCreateVm,
} from "./policy/normalize-create-vm.js";
export { profileToProto, toInterfaceView, toIPv6SecurityConfig } from "./policy/render-policy.js";
export { type PolicySource, type ResolvedPolicy, resolvePolicy } from "./policy/resolve-policy.js";
export type { PolicyLayer, SecurityPolicy, SecurityProfileName } from "./policy/security-policy.js";
export { DEFAULT_POLICY, profileLayer } from "./policy/security-profiles.js";
export type { InterfaceSpec, VmSpec } from "./policy/vm-spec.js";

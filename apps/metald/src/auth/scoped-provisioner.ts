// A tenant's view of the VMs: its own, and nothing else. Another tenant's VM looks exactly like
// one that does not exist, so every handler answers not_found for it without a check of its own.
import { create } from "@bufbuild/protobuf";
import { FieldError } from "@metald/core";
import { VmConfigSchema } from "@metald/proto";
import type { VmProvisioner } from "../vm/vm-provisioner.js";
import type { Principal } from "./principal.js";

const operatorOnly = (what: string) =>
  new FieldError(
    "vm_id",
    `${what} is for operators; a tenant token may not use it`,
    "permission_denied",
  );

export function scopeProvisioner(
  p: VmProvisioner,
  principal: Principal | undefined,
): VmProvisioner {
  if (principal?.kind !== "tenant") return p;
  const tenant = principal.tenantId;
  const own = async (vmId: string) => {
    const vm = await p.get(vmId);
    return vm && vm.record.tenantId === tenant ? vm : undefined;
  };
  const ifOwn =
    <A extends unknown[], R>(f: (vmId: string, ...rest: A) => Promise<R | undefined>) =>
    async (vmId: string, ...rest: A): Promise<R | undefined> =>
      (await own(vmId)) ? f(vmId, ...rest) : undefined;
  // Every method listed: one added to VmProvisioner does not reach tenants until scoped here.
  return {
    plan: p.plan,
    provenance: p.provenance,
    reconcile: () => Promise.reject(operatorOnly("reconcile")),
    async create(request, actor) {
      request.config ??= create(VmConfigSchema, {});
      const asked = request.config.tenantId;
      if (asked !== "" && asked !== tenant)
        throw new FieldError(
          "config.tenant_id",
          "a tenant token creates VMs of its own tenant only; leave tenant_id out",
        );
      request.config.tenantId = tenant;
      return p.create(request, actor, "tenant");
    },
    get: own,
    list: (filter) => p.list({ ...filter, tenantId: tenant }),
    count: (filter) => p.count({ ...filter, tenantId: tenant }),
    delete: ifOwn(p.delete),
    boot: ifOwn(p.boot),
    shutdown: ifOwn(p.shutdown),
    setIsolated: () => Promise.reject(operatorOnly("quarantine (IsolateVm, UnisolateVm)")),
    reconfigure: ifOwn((vmId, edit, actor, action) =>
      p.reconfigure(vmId, edit, actor, action, "tenant"),
    ),
    versionAt: ifOwn(p.versionAt),
  };
}

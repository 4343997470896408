// A tenant's view of the VMs: its own, and nothing else. Another tenant's VM looks exactly like
// one that does not exist, so every handler answers not_found for it without a check of its own.
import { create } from "@bufbuild/protobuf";
import { FieldError } from "@metald/core";
import { VmConfigSchema } from "@metald/proto";
import type { VmProvisioner } from "../vm/vm-provisioner.js";
import type { Principal } from "./principal.js";

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
  return {
    ...p,
    async create(request, actor) {
      request.config ??= create(VmConfigSchema, {});
      const asked = request.config.tenantId;
      if (asked !== "" && asked !== tenant)
        throw new FieldError(
          "config.tenant_id",
          "a tenant token creates VMs of its own tenant only; leave tenant_id out",
        );
      request.config.tenantId = tenant;
      return p.create(request, actor);
    },
    get: own,
    list: (filter) => p.list({ ...filter, tenantId: tenant }),
    count: (filter) => p.count({ ...filter, tenantId: tenant }),
    delete: ifOwn(p.delete),
    boot: ifOwn(p.boot),
    shutdown: ifOwn(p.shutdown),
    setIsolated: ifOwn(p.setIsolated),
    reconfigure: ifOwn(p.reconfigure),
    versionAt: ifOwn(p.versionAt),
  };
}

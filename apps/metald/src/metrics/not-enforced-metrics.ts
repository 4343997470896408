// metald_ipv6_security_not_enforced{field}: how many live VMs of this host hold a value of
// `field` that the host does not enforce (GetVmNetworkSecurity's not_enforced, counted once per
// VM however many of its interfaces hold it). Computed at scrape time from the in-memory live
// VMs: no database read and no command (the driver keeps each bridge's MLD snooping).
import { Gauge, type Registry } from "prom-client";
import type { NotEnforcedReport } from "../vm/not-enforced-report.js";
import type { VmView } from "../vm/vm-provisioner.js";

export function registerNotEnforcedMetrics(options: {
  registry: Registry;
  liveVms: () => Promise<VmView[]>;
  report: NotEnforcedReport;
}): void {
  new Gauge({
    name: "metald_ipv6_security_not_enforced",
    help: "Live VMs holding a value of this configuration field that this host does not enforce",
    labelNames: ["field"],
    registers: [options.registry],
    async collect() {
      const perVm = await options.report.ofMany(await options.liveVms());
      const counts = new Map<string, number>();
      for (const fields of perVm)
        for (const field of new Set(fields.map((f) => f.field)))
          counts.set(field, (counts.get(field) ?? 0) + 1);
      this.reset();
      for (const [field, count] of counts) this.set({ field }, count);
    },
  });
}

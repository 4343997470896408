// Wires the kernel's packet samples into the event pipeline: reads NFLOG, names the VM of
// each sample, and keeps enhanced monitoring (a tenant's drops sampled at the boosted rate
// until a deadline) applied to the tenant's current ports and addresses.
import type { NflogRecord, SampleAggregator } from "@metald/core";
import type { FastifyBaseLogger } from "fastify";
import { portNamesOf } from "../vm/counter-keys.js";
import type { VmView } from "../vm/vm-provisioner.js";
import { attributionOf, recordSample, type SampleAttribution } from "./nflog-sampler.js";

export interface SampleSource {
  /** Starts reading samples; resolves once the reader listens. */
  start(
    onRecord: (record: NflogRecord) => void,
    onError: (error: Error) => void,
  ): Promise<{
    stop(): Promise<void>;
  }>;
  portIndexes(): Promise<Map<number, string>>;
  setBoost(ports: string[], addresses: string[]): Promise<void>;
}

export interface Enhancement {
  tenantId: string;
  until: Date;
  logLevel: string;
}

export interface PacketSampling {
  /** VMs changed: read the VM list and port indexes again. */
  refresh(): Promise<void>;
  enhance(e: Enhancement): Promise<{ ports: number; addresses: number }>;
  enhancements(): Enhancement[];
  stop(): Promise<void>;
}

// The VM list and port indexes are read again when VMs change (refresh()), when a sample names
// a port or address not known yet (at most every MISS_REFRESH_MS), and every REFRESH_MS as a
// safety net: not a scan of every VM each second.
const REFRESH_MS = 10_000;
const MISS_REFRESH_MS = 500;
const MAX_UNATTRIBUTED = 1_000;

export async function startPacketSampling(options: {
  source: SampleSource;
  aggregator: SampleAggregator;
  liveVms: () => Promise<VmView[]>;
  logger: FastifyBaseLogger;
}): Promise<PacketSampling> {
  const { aggregator } = options;
  const enhanced = new Map<string, Enhancement>();
  // Built from the VMs of the last refresh when a sample first needs it: a refresh follows
  // every create, and building it walks every VM, while most refreshes see no sample before
  // the next one.
  let vmsAtRefresh: VmView[] = [];
  let attribution: SampleAttribution | undefined;
  let portNames = new Map<number, string>();
  let boostKey = JSON.stringify([[], []]);
  let unattributed: NflogRecord[] = [];
  let missTimer: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> | undefined;

  async function applyBoost(vms: VmView[]): Promise<{ ports: number; addresses: number }> {
    const now = Date.now();
    for (const [tenant, e] of enhanced) if (e.until.getTime() <= now) enhanced.delete(tenant);
    const boosted = enhanced.size === 0 ? [] : vms.filter((vm) => enhanced.has(vm.record.tenantId));
    const ports = boosted.flatMap((vm) => portNamesOf(vm));
    const addresses = boosted.flatMap((vm) =>
      vm.spec.interfaces.flatMap((iface) => iface.addresses.map((a) => a.address)),
    );
    const key = JSON.stringify([ports, addresses]);
    if (key !== boostKey) {
      await options.source.setBoost(ports, addresses);
      boostKey = key;
    }
    return { ports: ports.length, addresses: addresses.length };
  }

  const sampleOptions = {
    aggregator,
    attribution: () => {
      attribution ??= attributionOf(vmsAtRefresh);
      return attribution;
    },
    portName: (i: number) => portNames.get(i),
  };

  // One reading at a time; a refresh asked for during one runs once more after it, so that it
  // sees the change it was asked for.
  let queued: Promise<void> | undefined;
  function refresh(): Promise<void> {
    if (refreshing) {
      queued ??= refreshing
        .catch(() => undefined)
        .then(() => {
          queued = undefined;
          return refresh();
        });
      return queued;
    }
    refreshing = (async () => {
      const [vms, indexes] = await Promise.all([options.liveVms(), options.source.portIndexes()]);
      vmsAtRefresh = vms;
      attribution = undefined;
      portNames = indexes;
      await applyBoost(vms);
      // Samples of VMs created since the last refresh: name them now.
      const retry = unattributed;
      unattributed = [];
      for (const record of retry) recordSample(record, sampleOptions);
    })().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  }

  const logRefreshError = (error: unknown) =>
    options.logger.warn({ err: error }, "refreshing packet sample attribution failed");
  await refresh().catch(logRefreshError);
  const timer = setInterval(() => refresh().catch(logRefreshError), REFRESH_MS);
  timer.unref();
  const reader = await options.source.start(
    (record) => {
      if (recordSample(record, sampleOptions)) return;
      if (unattributed.length < MAX_UNATTRIBUTED) unattributed.push(record);
      if (!missTimer)
        missTimer = setTimeout(() => {
          missTimer = undefined;
          refresh().catch(logRefreshError);
        }, MISS_REFRESH_MS);
    },
    (error) => options.logger.error({ err: error }, "reading packet samples failed"),
  );

  return {
    refresh,
    async enhance(e) {
      enhanced.set(e.tenantId, e);
      // Lift the boost in the kernel when it ends, not at the next periodic refresh.
      setTimeout(
        () => refresh().catch(logRefreshError),
        Math.max(0, e.until.getTime() - Date.now()) + 10,
      ).unref();
      return applyBoost(await options.liveVms());
    },
    enhancements: () => [...enhanced.values()].filter((e) => e.until.getTime() > Date.now()),
    async stop() {
      clearInterval(timer);
      clearTimeout(missTimer);
      await reader.stop();
    },
  };
}

// Packet samples for security events: a rule that drops for a control goes to that control's
// sample chain, which logs a rate-limited sample to NFLOG (prefix = the control's counter set)
// and drops. The counter set before it still counts every packet exactly; samples only name
// sources, interfaces and headers. Ports and addresses in the sample_boost sets (a tenant under
// enhanced monitoring) are sampled at a much higher rate. Chains are shared, one per control,
// so sampling adds nothing per VM.

/** The NFLOG group metald reads samples from. */
export const SAMPLE_LOG_GROUP = 27;
/** Bytes of each sampled packet: the IPv6 header chain and the transport header. */
export const SAMPLE_SNAPLEN = 256;
/** Samples per second per control, host-wide (a flood from one VM can use them all). */
export const SAMPLE_RATE = "10/second burst 20 packets";
export const BOOSTED_SAMPLE_RATE = "1000/second burst 100 packets";

export const SAMPLE_BOOST_PORTS = "sample_boost";
export const SAMPLE_BOOST_ADDRESSES = "sample_boost_addrs";

export function sampleChain(set: string): string {
  return `sample_${set}`;
}

/** `… @set drop` → `… @set goto sample_set` for every sampled set. */
export function sampleDrops(table: string, sets: readonly string[]): string {
  const sampled = new Set(sets);
  return table.replace(/@(\w+) drop$/gm, (whole, set: string) =>
    sampled.has(set) ? `@${set} goto ${sampleChain(set)}` : whole,
  );
}

function log(set: string): string {
  // queue-threshold 1: deliver each sample at once, not in the kernel's ~1 s batches, so it
  // reaches metald before the counter reading it belongs to. snaplen: headers are enough, and
  // a whole large packet overflows the reader's buffer (tcpdump exits on it).
  return `log prefix "${set}" group ${SAMPLE_LOG_GROUP} snaplen ${SAMPLE_SNAPLEN} queue-threshold 1`;
}

/** The sample chains of one table; `boost` are the matches that select boosted traffic. */
export function renderSampleChains(sets: readonly string[], boost: readonly string[]): string {
  return sets
    .map((set) =>
      [
        `  chain ${sampleChain(set)} {`,
        ...boost.map((match) => `    ${match} limit rate ${BOOSTED_SAMPLE_RATE} ${log(set)} drop`),
        `    limit rate ${SAMPLE_RATE} ${log(set)} drop`,
        "    drop",
        "  }",
      ].join("\n"),
    )
    .join("\n\n");
}

export const BRIDGE_BOOST = [
  `iifname @${SAMPLE_BOOST_PORTS}`,
  `oifname @${SAMPLE_BOOST_PORTS}`,
] as const;
export const INET_BOOST = [
  `ip6 saddr @${SAMPLE_BOOST_ADDRESSES}`,
  `ip6 daddr @${SAMPLE_BOOST_ADDRESSES}`,
] as const;

// The metald_security table (bridge family): shared chains that every VM port goes through,
// with each VM's facts held as elements of keyed sets. Adding or removing a VM therefore adds
// or removes elements only, so its cost does not grow with the number of VMs (see LAB.md), and
// a packet's cost is a few hash lookups whatever the number of VMs. Sets declared with
// `counter` keep an exact count per element: a lookup placed last before a verdict counts
// exactly the packets that control dropped for that VM. docs/enforcement.md maps the controls.

import { countLookups, seenCounter } from "./counted-lookups.js";
import {
  BRIDGE_BOOST,
  INET_BOOST,
  renderSampleChains,
  SAMPLE_BOOST_ADDRESSES,
  SAMPLE_BOOST_PORTS,
  sampleDrops,
} from "./packet-samples.js";

export const TABLE_FAMILY = "bridge";
/** The stateful half (rule lists, prefixes, connection limits) needs conntrack: inet family. */
export const INET_FAMILY = "inet";
/** Host-wide blocked sources live in an ip6 table, the family the guides' nft commands name. */
export const IP6_FAMILY = "ip6";
export const TABLE_FAMILIES = ["bridge", "inet", "ip6"] as const;
export const TABLE_NAME = "metald_security";

/** Per-port sets (keyed by the VM's host-side port name), with the control each enforces. */
export const PORT_SETS = {
  vm_ports: "every VM port",
  quarantine: "quarantine: frames from the VM",
  quarantine_in: "quarantine: frames to the VM",
  ra_guard: "RA guard: router advertisements from the VM",
  ra_guard_in: "RA guard: router advertisements to the VM from routers not allowed",
  redirect_guard: "RA guard: ICMPv6 redirects from the VM",
  dhcp_guard: "RA guard: DHCPv6 server messages from the VM (RFC 7610)",
  nd_frag_guard: "RA guard: fragmented neighbor discovery from the VM (RFC 6980, RFC 7113)",
  source_guard: "source guard: packets from addresses the VM does not own",
  nd_guard: "source guard: neighbor advertisements for targets the VM does not own",
  dad_guard:
    "source guard: duplicate address detection probes (NS from ::) for targets the VM does not own",
  eh_hbh: "extension headers: hop-by-hop from the VM (MLD exempt)",
  eh_rt: "extension headers: routing from the VM",
  eh_rt0: "extension headers: type 0 routing header from the VM (RFC 5095, always)",
  eh_frag: "extension headers: fragment from the VM",
  eh_dst: "extension headers: destination options from the VM",
  eh_mh: "extension headers: mobility from the VM",
  eh_esp: "extension headers: ESP from the VM",
  eh_hbh_in: "extension headers: hop-by-hop to the VM (MLD exempt)",
  eh_rt_in: "extension headers: routing to the VM",
  eh_frag_in: "extension headers: fragment to the VM",
  frag_rejected_in:
    "fragments: fragments to the VM that reassembly refused or let through unreassembled",
  eh_dst_in: "extension headers: destination options to the VM",
  eh_mh_in: "extension headers: mobility to the VM",
  eh_esp_in: "extension headers: ESP to the VM",
  inter_tenant_open:
    "isolation: ports that accept frames from other tenants' VMs (ALLOW_ALL, SELECTIVE)",
  inter_tenant_drops: "isolation: frames from another tenant's VM to this port",
} as const;

export type PortSetName = keyof typeof PORT_SETS;

/** Sets keyed by port and address. */
export const ADDRESS_SETS = {
  vm_sources: "the VM's own addresses and link-local (source guard accepts these)",
  vm_na_targets: "targets the VM may advertise (its addresses and link-local)",
  ra_allowed_in: "routers whose advertisements the VM may receive",
} as const;

export type AddressSetName = keyof typeof ADDRESS_SETS;

/**
 * Bridge sets keyed by a VM address alone, for checks made before the bridge knows the
 * destination port: fragments to a VM whose policy refuses them must be dropped before
 * br_netfilter reassembles them (after it, `to_vm` sees whole datagrams).
 */
export const BRIDGE_DESTINATION_SETS = {
  eh_frag_to: "extension headers: fragments to the VM's addresses, dropped before reassembly",
} as const;

/** Sets of the inet table, keyed by a VM address (and more). Drop sets count per address. */
export const INET_SETS = {
  egress_allow_l4:
    "type ipv6_addr . inet_proto . inet_service . ipv6_addr . inet_service; flags interval;",
  egress_allow_icmp: "type ipv6_addr . icmpv6_type . ipv6_addr; flags interval;",
  egress_allow_any: "type ipv6_addr . ipv6_addr; flags interval;",
  egress_default_drop: "type ipv6_addr; counter;",
  egress_deny_l4:
    "type ipv6_addr . inet_proto . inet_service . ipv6_addr . inet_service; flags interval; counter;",
  egress_deny_icmp: "type ipv6_addr . icmpv6_type . ipv6_addr; flags interval; counter;",
  egress_deny_any: "type ipv6_addr . ipv6_addr; flags interval; counter;",
  ingress_allow_l4:
    "type ipv6_addr . inet_proto . ipv6_addr . inet_service . inet_service; flags interval;",
  ingress_allow_icmp: "type ipv6_addr . icmpv6_type . ipv6_addr; flags interval;",
  ingress_allow_any: "type ipv6_addr . ipv6_addr; flags interval;",
  ingress_default_drop: "type ipv6_addr; counter;",
  ingress_deny_l4:
    "type ipv6_addr . inet_proto . ipv6_addr . inet_service . inet_service; flags interval; counter;",
  ingress_deny_icmp: "type ipv6_addr . icmpv6_type . ipv6_addr; flags interval; counter;",
  ingress_deny_any: "type ipv6_addr . ipv6_addr; flags interval; counter;",
  own_prefixes: "type ipv6_addr . ipv6_addr; flags interval;",
  egress_prefix_guard: "type ipv6_addr;",
  egress_prefixes: "type ipv6_addr . ipv6_addr; flags interval;",
  egress_prefix_drops: "type ipv6_addr; counter;",
  destination_guard: "type ipv6_addr;",
  destinations: "type ipv6_addr . ipv6_addr; flags interval;",
  destination_drops: "type ipv6_addr; counter;",
  ingress_prefix_guard: "type ipv6_addr;",
  ingress_prefixes: "type ipv6_addr . ipv6_addr; flags interval;",
  ingress_prefix_drops: "type ipv6_addr; counter;",
  private_guard: "type ipv6_addr;",
  private_drops: "type ipv6_addr; counter;",
  conn_limit_drops: "type ipv6_addr; counter;",
} as const;

export type InetSetName = keyof typeof INET_SETS;
export type SetName = PortSetName | AddressSetName | InetSetName;

/** Drop counters of the bridge table's rate classes, one per control. */
export const RATE_DROP_SETS = [
  "rl_nd_drops",
  "rl_icmpv6_drops",
  "rl_multicast_drops",
  "rl_pps_drops",
  "rl_ra_drops",
  "rl_bandwidth_drops",
] as const;

/**
 * Per-port counters of the rate classes that count passed traffic, not drops: packets the pps
 * limiter let through over the sustained rate (burst allowance used, rate-classes.ts).
 */
export const RATE_BURST_SETS = ["rl_pps_burst"] as const;

/**
 * Sets with per-element counters that nothing reads on a timer (events and metrics count
 * drops): they count accepted traffic, so they move with every packet. They carry no named
 * counter; the debug route reads one VM's elements of them when asked.
 */
export const ACCEPT_SIDE_SETS: ReadonlySet<string> = new Set([
  "vm_ports",
  "inter_tenant_open",
  "vm_sources",
  "ra_allowed_in",
]);

/** Counted sets observed through their named counter (seenCounter), by table family. */
export const OBSERVED_SETS: Readonly<Record<(typeof TABLE_FAMILIES)[number], readonly string[]>> = {
  bridge: [
    ...Object.keys(PORT_SETS).filter((name) => !ACCEPT_SIDE_SETS.has(name)),
    ...Object.keys(BRIDGE_DESTINATION_SETS),
    ...RATE_DROP_SETS,
    ...RATE_BURST_SETS,
  ],
  inet: Object.entries(INET_SETS)
    .filter(([, spec]) => spec.includes("counter;"))
    .map(([name]) => name),
  ip6: ["blocked_sources"],
};

function namedCounters(family: (typeof TABLE_FAMILIES)[number]): string {
  return OBSERVED_SETS[family].map((set) => `  counter ${seenCounter(set)} { }`).join("\n");
}

/** The family of the table a set lives in. */
export function familyOfSet(name: string): string {
  return name in INET_SETS || name.startsWith("cl_") || name.startsWith("clm_")
    ? INET_FAMILY
    : TABLE_FAMILY;
}

/** Private ranges refused by block_private_addresses: ULA, site-local, IPv4-mapped. */
export const PRIVATE_RANGES = ["fc00::/7", "fec0::/10", "::ffff:0:0/96"];

/**
 * Next headers that end the IPv6 header chain at once with a transport header no first-hop
 * control looks into (DHCPv6 is matched on the UDP port wherever the header chain ends).
 */
const PLAIN_TRANSPORT = "{ tcp, udp }";

const MLD_TYPES =
  "{ mld-listener-query, mld-listener-report, mld-listener-done, mld2-listener-report }";

/** Both tables with empty sets. Loading them replaces any earlier tables of that name. */
export function renderBaseTable(): string {
  return `${renderBridgeTable()}\n${renderInetTable()}\n${renderIp6Table()}`;
}

// Prerouting sees routed and (through br_netfilter) bridged packets before anything else.
function renderIp6Table(): string {
  return countLookups(
    `table ${IP6_FAMILY} ${TABLE_NAME} {
${namedCounters("ip6")}
  set blocked_sources { type ipv6_addr; flags interval; counter; }

  chain prerouting {
    type filter hook prerouting priority -300; policy accept;
    ip6 saddr @blocked_sources drop
  }
}
`,
    new Set(OBSERVED_SETS.ip6),
  );
}

const LOCAL_SCOPE = "{ fe80::/10, ff00::/8 }";
const INFRASTRUCTURE_ICMPV6 =
  "{ nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert, nd-redirect, mld-listener-query, mld-listener-report, mld-listener-done, mld2-listener-report }";

function renderInetTable(): string {
  const sets = (Object.entries(INET_SETS) as [string, string][]).map(
    ([name, spec]) => `  set ${name} { ${spec} }`,
  );
  const privateRanges = `{ ${PRIVATE_RANGES.join(", ")} }`;
  const sampled = Object.keys(INET_SETS).filter((name) => /_drops?$/.test(name));
  const table = sampleDrops(
    `table ${INET_FAMILY} ${TABLE_NAME} {
${namedCounters("inet")}
${sets.join("\n")}
  set ${SAMPLE_BOOST_ADDRESSES} { type ipv6_addr; }

  # Bridged IPv6 reaches this hook through br_netfilter (bridge-nf-call-ip6tables).
  chain forward {
    type filter hook forward priority 0; policy accept;
    ct state established,related accept
    # Neighbor discovery and MLD are infrastructure, policed per port in the bridge table.
    icmpv6 type ${INFRASTRUCTURE_ICMPV6} accept
    ct state new jump conn_limits
    jump egress
    jump ingress
  }

  chain conn_limits {
  }

  chain egress {
    ip6 saddr @egress_prefix_guard jump egress_prefix_check
    ip6 saddr @destination_guard jump destination_check
    ip6 daddr ${privateRanges} ip6 saddr @private_guard jump private_egress_check
    ip6 saddr . meta l4proto . th sport . ip6 daddr . th dport @egress_allow_l4 return
    ip6 saddr . icmpv6 type . ip6 daddr @egress_allow_icmp return
    ip6 saddr . ip6 daddr @egress_allow_any return
    ip6 saddr @egress_default_drop drop
    ip6 saddr . meta l4proto . th sport . ip6 daddr . th dport @egress_deny_l4 drop
    ip6 saddr . icmpv6 type . ip6 daddr @egress_deny_icmp drop
    ip6 saddr . ip6 daddr @egress_deny_any drop
  }

  chain egress_prefix_check {
    ip6 daddr ${LOCAL_SCOPE} return
    ip6 saddr . ip6 daddr @egress_prefixes return
    ip6 saddr . ip6 daddr @own_prefixes return
    ip6 saddr @egress_prefix_drops drop
  }

  chain destination_check {
    ip6 daddr ${LOCAL_SCOPE} return
    ip6 saddr . ip6 daddr @destinations return
    ip6 saddr . ip6 daddr @own_prefixes return
    ip6 saddr @destination_drops drop
  }

  chain private_egress_check {
    ip6 saddr . ip6 daddr @own_prefixes return
    ip6 saddr @private_drops drop
  }

  chain ingress {
    ip6 daddr @ingress_prefix_guard jump ingress_prefix_check
    ip6 saddr ${privateRanges} ip6 daddr @private_guard jump private_ingress_check
    ip6 daddr . meta l4proto . ip6 saddr . th sport . th dport @ingress_allow_l4 return
    ip6 daddr . icmpv6 type . ip6 saddr @ingress_allow_icmp return
    ip6 daddr . ip6 saddr @ingress_allow_any return
    ip6 daddr @ingress_default_drop drop
    ip6 daddr . meta l4proto . ip6 saddr . th sport . th dport @ingress_deny_l4 drop
    ip6 daddr . icmpv6 type . ip6 saddr @ingress_deny_icmp drop
    ip6 daddr . ip6 saddr @ingress_deny_any drop
  }

  chain ingress_prefix_check {
    ip6 saddr ${LOCAL_SCOPE} return
    ip6 daddr . ip6 saddr @ingress_prefixes return
    ip6 daddr . ip6 saddr @own_prefixes return
    ip6 daddr @ingress_prefix_drops drop
  }

  chain private_ingress_check {
    ip6 daddr . ip6 saddr @own_prefixes return
    ip6 daddr @private_drops drop
  }

${renderSampleChains(sampled, INET_BOOST)}
}
`,
    sampled,
  );
  return countLookups(table, new Set(OBSERVED_SETS.inet));
}

function renderBridgeTable(): string {
  const portSets = (Object.keys(PORT_SETS) as PortSetName[]).map(
    (name) => `  set ${name} { type ifname; counter; }`,
  );
  const rateDrops = [...RATE_DROP_SETS, ...RATE_BURST_SETS].map(
    (name) => `  set ${name} { type ifname; counter; }`,
  );
  const sampled = [
    ...(Object.keys(PORT_SETS) as PortSetName[]).filter(
      (name) => name !== "vm_ports" && name !== "inter_tenant_open",
    ),
    ...Object.keys(BRIDGE_DESTINATION_SETS),
    ...RATE_DROP_SETS,
  ];
  const destinationSets = Object.keys(BRIDGE_DESTINATION_SETS).map(
    (name) => `  set ${name} { type ipv6_addr; counter; }`,
  );
  const table = sampleDrops(
    `table ${TABLE_FAMILY} ${TABLE_NAME} {
${namedCounters("bridge")}
${portSets.join("\n")}
${rateDrops.join("\n")}
${destinationSets.join("\n")}
  set ${SAMPLE_BOOST_PORTS} { type ifname; }
  set vm_sources { type ifname . ipv6_addr; counter; }
  map port_tenant { type ifname : mark; }
  set port_tenant_keys { type ifname . mark; }
  set vm_na_targets { typeof iifname . @th,64,128; }
  set ra_allowed_in { type ifname . ipv6_addr; counter; }

  chain prerouting {
    type filter hook prerouting priority -200; policy accept;
    # Before reassembly (br_netfilter runs after this hook), whichever port the frame came from.
    # TCP or UDP right after the IPv6 header means no fragment header: only other packets have
    # their header chain walked.
    ip6 nexthdr != ${PLAIN_TRANSPORT} exthdr frag exists ip6 daddr @eh_frag_to drop
    iifname @vm_ports jump from_vm
  }

  chain forward {
    type filter hook forward priority -200; policy accept;
    oifname @vm_ports jump to_vm
  }

  chain from_vm {
    iifname @quarantine drop
    # The sender's tenant travels with the frame, for the receiving port's check.
    meta mark set iifname map @port_tenant
    # TCP or UDP right after the IPv6 header: no extension header and no ICMPv6, so none of the
    # header controls below can match, and each would walk the header chain again.
    ip6 nexthdr ${PLAIN_TRANSPORT} goto source_from_vm
    exthdr frag exists ip6 saddr fe80::/10 iifname @nd_frag_guard drop
    exthdr frag exists ip6 daddr ff02::/16 iifname @nd_frag_guard drop
    icmpv6 type nd-router-advert iifname @ra_guard drop
    icmpv6 type nd-redirect iifname @redirect_guard drop
    icmpv6 type nd-neighbor-advert jump na_from_vm
    ip6 saddr :: icmpv6 type nd-neighbor-solicit jump dad_from_vm
    exthdr hbh exists jump hbh_from_vm
    rt type 0 iifname @eh_rt0 drop
    exthdr rt exists iifname @eh_rt drop
    exthdr frag exists iifname @eh_frag drop
    exthdr dst exists iifname @eh_dst drop
    exthdr mh exists iifname @eh_mh drop
    meta l4proto esp iifname @eh_esp drop
    goto source_from_vm
  }

  # What applies to every packet from a VM (reached by goto: a return here leaves from_vm).
  chain source_from_vm {
    udp sport 547 iifname @dhcp_guard drop
    jump rate_limits
    ip6 saddr :: icmpv6 type { nd-neighbor-solicit, mld2-listener-report } return
    iifname . ip6 saddr @vm_sources return
    iifname @source_guard drop
  }

  # One rule per rate class, added when a VM first needs it (rate-classes.ts).
  chain rate_limits {
  }

  chain na_from_vm {
    iifname . @th,64,128 @vm_na_targets return
    iifname @nd_guard drop
  }

  # A DAD probe for another VM's address makes that VM's own probe fail (RFC 4862 5.4.3: a
  # tentative address that receives an NS from :: is a duplicate), so a VM probes only the
  # targets it may advertise. The NS target sits where the NA's does (@th,64,128).
  chain dad_from_vm {
    iifname . @th,64,128 @vm_na_targets return
    iifname @dad_guard drop
  }

  # MLD needs hop-by-hop (Router Alert): link-scope MLD with hop limit 1 passes.
  chain hbh_from_vm {
    icmpv6 type ${MLD_TYPES} ip6 hoplimit 1 ip6 daddr ff02::/16 return
    iifname @eh_hbh drop
  }

  chain to_vm {
    oifname @quarantine_in drop
    meta mark != 0 jump tenant_check
    # No extension header and no ICMPv6 (as in from_vm): none of the checks below can match.
    ip6 nexthdr ${PLAIN_TRANSPORT} return
    icmpv6 type nd-router-advert jump ra_to_vm
    exthdr hbh exists jump hbh_to_vm
    exthdr rt exists oifname @eh_rt_in drop
    exthdr frag exists oifname @eh_frag_in drop
    # br_netfilter reassembles before this hook: a fragment still here is one reassembly
    # refused to take (unaligned, truncated first fragment and the like) and would bypass the rule list.
    exthdr frag exists oifname @frag_rejected_in drop
    exthdr dst exists oifname @eh_dst_in drop
    exthdr mh exists oifname @eh_mh_in drop
    meta l4proto esp oifname @eh_esp_in drop
  }

  # Frames between VMs of different tenants that share a bridge.
  chain tenant_check {
    oifname . meta mark @port_tenant_keys return
    oifname @inter_tenant_open return
    oifname @inter_tenant_drops drop
  }

  chain ra_to_vm {
    oifname . ip6 saddr @ra_allowed_in return
    oifname @ra_guard_in drop
  }

  chain hbh_to_vm {
    icmpv6 type ${MLD_TYPES} ip6 hoplimit 1 ip6 daddr ff02::/16 return
    oifname @eh_hbh_in drop
  }

${renderSampleChains(sampled, BRIDGE_BOOST)}
}
`,
    sampled,
  );
  return countLookups(table, new Set(OBSERVED_SETS.bridge));
}

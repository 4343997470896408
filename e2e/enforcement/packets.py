#!/usr/bin/python3
"""Crafts and captures the packets of the enforcement suite (scapy, run inside a VM's namespace).

  packets.py send IFACE KIND [--src ADDR] [--dst ADDR] [--target ADDR] [--count N]
      KIND ra-opt-{prefix,mtu,route,rdnss,none}: an RA carrying that option (none: only the
      source link-layer address); chain-N: an echo request behind N destination-options headers
  packets.py sniff IFACE SECONDS KIND [--src ADDR] [--expect N]
      prints {"ready": true} once its socket is bound and receiving, then how many matching
      packets arrived within SECONDS, or as soon as N of them did (--expect), or until half a
      second after SIGUSR1
  packets.py sniff IFACE SECONDS own-other [--except KIND]
      counts the frames the interface itself sends that are not of KIND (echo by default)

Frames always carry the interface's own MAC as source: a bridge drops frames whose source MAC
is not a valid unicast address (scapy fills in zeros when it cannot resolve one).
"""
import argparse
import json
import select
import signal
import sys
import time

from scapy.all import (ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA,
                       ICMPv6NDOptMTU, ICMPv6NDOptRDNSS, ICMPv6NDOptRouteInfo, ICMPv6NDOptSrcLLAddr,
                       ICMPv6NDOptPrefixInfo, ICMPv6MLDMultAddrRec, ICMPv6MLQuery, ICMPv6MLReport2, Ether, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, PadN, RouterAlert,
                       conf, fragment6, get_if_hwaddr, in6_getnsma, in6_getnsmac, inet_pton, sendp,
                       sniff, socket, UDP, Raw)

conf.verb = 0
ALL_NODES_MAC = "33:33:00:00:00:01"
STOP_GRACE_S = 0.5


def multicast_mac(address):
    raw = inet_pton(socket.AF_INET6, address)
    return "33:33:" + ":".join(f"{b:02x}" for b in raw[-4:])


RA_OPTIONS = {
    "prefix": lambda: ICMPv6NDOptPrefixInfo(prefix="2001:db8:bad::", prefixlen=64),
    "mtu": lambda: ICMPv6NDOptMTU(mtu=1280),
    "route": lambda: ICMPv6NDOptRouteInfo(prefix="2001:db8:bad::", plen=48),
    "rdnss": lambda: ICMPv6NDOptRDNSS(dns=["2001:db8:bad::53"]),
}


def ra_with(option, mac):
    """An RA whose only option besides the source link-layer address is `option` (or none)."""
    ra = ICMPv6ND_RA() / ICMPv6NDOptSrcLLAddr(lladdr=mac)
    return ra / RA_OPTIONS[option]() if option != "none" else ra


def frames(kind, iface, src, dst, target):
    mac = get_if_hwaddr(iface)
    eth_mc = Ether(src=mac, dst=ALL_NODES_MAC)
    eth_to = Ether(src=mac, dst=multicast_mac(dst) if dst and dst.startswith("ff") else "ff:ff:ff:ff:ff:ff")
    ra = ICMPv6ND_RA() / ICMPv6NDOptPrefixInfo(prefix="2001:db8:bad::", prefixlen=64)
    if kind == "ra-plain":
        return [eth_mc / IPv6(src=src, dst="ff02::1") / ra]
    if kind == "ra-dstopt":
        return [eth_mc / IPv6(src=src, dst="ff02::1") / IPv6ExtHdrDestOpt() / ra]
    if kind == "ra-hbh":
        return [eth_mc / IPv6(src=src, dst="ff02::1") / IPv6ExtHdrHopByHop() / ra]
    if kind == "ra-frag":
        # RFC 7112 violation: the first fragment holds only a padded Destination Options header,
        # the ICMPv6 header starts in the second fragment.
        pkt = IPv6(src=src, dst="ff02::1") / IPv6ExtHdrFragment() / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00" * 100)]) / ra
        return [eth_mc / f for f in fragment6(pkt, 96)]
    if kind.startswith("ra-opt-"):
        option = kind[len("ra-opt-"):]
        if option.endswith("-dstopt"):
            # The option filter must walk the header chain: the RA sits behind Destination Options.
            return [eth_mc / IPv6(src=src, dst="ff02::1") / IPv6ExtHdrDestOpt() / ra_with(option[:-len("-dstopt")], mac)]
        return [eth_mc / IPv6(src=src, dst="ff02::1") / ra_with(option, mac)]
    if kind == "ra-frag-opts":
        # The RA header and its first option in the first fragment, the RDNSS option in the
        # second: the first fragment alone looks harmless (RFC 7113).
        pkt = IPv6(src=src, dst="ff02::1") / IPv6ExtHdrFragment() / ra_with("rdnss", mac)
        return [eth_mc / f for f in fragment6(pkt, 80)]
    if kind.startswith("chain-"):
        pkt = eth_to / IPv6(src=src, dst=dst)
        for _ in range(int(kind[len("chain-"):])):
            pkt = pkt / IPv6ExtHdrDestOpt()
        return [pkt / ICMPv6EchoRequest(data=b"metald")]
    if kind == "echo":
        return [eth_to / IPv6(src=src, dst=dst) / ICMPv6EchoRequest(data=b"metald")]
    if kind == "ns":
        group = socket.inet_ntop(socket.AF_INET6, in6_getnsma(inet_pton(socket.AF_INET6, target)))
        return [Ether(src=mac, dst=multicast_mac(group)) / IPv6(src=src, dst=group) / ICMPv6ND_NS(tgt=target)]
    if kind == "na":
        return [eth_mc / IPv6(src=src, dst="ff02::1") / ICMPv6ND_NA(tgt=target, R=0, S=0, O=1)]
    if kind == "rh0":
        return [eth_to / IPv6(src=src, dst=dst) / IPv6ExtHdrRouting(type=0, addresses=[dst]) / ICMPv6EchoRequest()]
    if kind == "rh":
        return [eth_to / IPv6(src=src, dst=dst) / IPv6ExtHdrRouting(type=4, segleft=0, addresses=[dst]) / ICMPv6EchoRequest()]
    if kind == "hbh":
        return [eth_to / IPv6(src=src, dst=dst) / IPv6ExtHdrHopByHop() / ICMPv6EchoRequest(data=b"metald")]
    if kind == "dstopt":
        return [eth_to / IPv6(src=src, dst=dst) / IPv6ExtHdrDestOpt() / ICMPv6EchoRequest(data=b"metald")]
    if kind == "mld":
        report = ICMPv6MLReport2()
        return [Ether(src=mac, dst="33:33:00:00:00:16") / IPv6(src=src, dst="ff02::16", hlim=1) / IPv6ExtHdrHopByHop(options=[RouterAlert()]) / report]
    if kind == "mld-join":
        # MLDv2 report with one CHANGE_TO_EXCLUDE record (RFC 3810 5.2.12): "I listen to TARGET".
        report = ICMPv6MLReport2(records=[ICMPv6MLDMultAddrRec(rtype=4, dst=target)])
        return [Ether(src=mac, dst="33:33:00:00:00:16") / IPv6(src=src, dst="ff02::16", hlim=1) / IPv6ExtHdrHopByHop(options=[RouterAlert()]) / report]
    if kind == "mld-query":
        # MLDv1 general query with a 1 ms maximum response delay: a snooping bridge counts a
        # querier as present only once that delay has passed after the first query.
        query = ICMPv6MLQuery(mrd=1, mladdr="::")
        return [eth_mc / IPv6(src=src, dst="ff02::1", hlim=1) / IPv6ExtHdrHopByHop(options=[RouterAlert()]) / query]
    if kind == "dhcp-reply":
        return [eth_mc / IPv6(src=src, dst="ff02::1") / UDP(sport=547, dport=546) / Raw(b"\x07\x00\x00\x01")]
    if kind == "redirect":
        from scapy.all import ICMPv6ND_Redirect
        return [eth_to / IPv6(src=src, dst=dst) / ICMPv6ND_Redirect(tgt="fe80::bad", dst="2001:db8::1")]
    raise SystemExit(f"unknown kind {kind}")


def matches(kind, pkt, src):
    if IPv6 not in pkt:
        return False
    if src and pkt[IPv6].src != src:
        return False
    if kind.startswith("ra"):
        return ICMPv6ND_RA in pkt or (IPv6ExtHdrFragment in pkt and pkt[IPv6].dst == "ff02::1")
    if kind in ("echo", "hbh", "dstopt", "rh", "rh0") or kind.startswith("chain"):
        return ICMPv6EchoRequest in pkt
    if kind == "na":
        return ICMPv6ND_NA in pkt
    if kind == "ns":
        return ICMPv6ND_NS in pkt
    if kind == "mld":
        return ICMPv6MLReport2 in pkt
    if kind == "dhcp-reply":
        return UDP in pkt and pkt[UDP].sport == 547
    return True


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    send = sub.add_parser("send")
    send.add_argument("iface")
    send.add_argument("kind")
    send.add_argument("--src", default=None)
    send.add_argument("--dst", default=None)
    send.add_argument("--target", default=None)
    send.add_argument("--count", type=int, default=1)
    cap = sub.add_parser("sniff")
    cap.add_argument("iface")
    cap.add_argument("seconds", type=float)
    cap.add_argument("kind")
    cap.add_argument("--src", default=None)
    cap.add_argument("--expect", type=int, default=0)
    cap.add_argument("--except", dest="except_kind", default="echo")
    args = parser.parse_args()
    if args.command == "send":
        batch = frames(args.kind, args.iface, args.src, args.dst, args.target)
        sendp(batch * args.count, iface=args.iface)
        print(json.dumps({"sent": len(batch) * args.count}))
    else:
        # L2ListenSocket binds to the interface in its constructor (and flushes what arrived
        # before the bind): from here on every frame is queued for us, so "ready" is true.
        own_mac = get_if_hwaddr(args.iface)
        stop = []
        signal.signal(signal.SIGUSR1, lambda *_: stop.append(time.monotonic()))
        sock = conf.L2listen(iface=args.iface)
        print(json.dumps({"ready": True}), flush=True)
        if args.kind == "own-other":
            # What the interface itself sends besides the flood (--except's kind): router
            # solicitations, advertisements answering a neighbour, MLD reports.
            wanted = lambda p: (Ether in p and p[Ether].src == own_mac
                                and not matches(args.except_kind, p, None))
        else:
            wanted = lambda p: matches(args.kind, p, args.src)
        count = count_frames(sock, wanted, args.seconds, args.expect, stop)
        # A late "that was all" must not kill the process while it exits (Python puts its own
        # handlers back to the default, termination, when it shuts down; an ignored signal stays).
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)
        print(json.dumps({"count": count}), flush=True)
        sock.close()


def count_frames(sock, wanted, seconds, expect, stop):
    """Counts wanted frames until EXPECT of them came, SECONDS passed, or half a second after
    SIGUSR1 (the caller's "that was all": a frame sent just before it may still sit in a
    backlog queue of the kernel, which a busy machine empties late)."""
    deadline = time.monotonic() + seconds
    count = 0
    while not (expect and count >= expect):
        end = min(deadline, stop[0] + STOP_GRACE_S) if stop else deadline
        left = end - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select([sock], [], [], min(left, 0.1))
        if ready:
            pkt = sock.recv()
            if pkt is not None and wanted(pkt):
                count += 1
    return count

if __name__ == "__main__":
    sys.exit(main())

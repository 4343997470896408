#!/usr/bin/python3
"""Fragment sequences of the fragment-evasion tests (scapy, run inside a VM's namespace).

  fragments.py send IFACE SHAPE SRC DST PROTO PORT MAC
      sends the fragments of one datagram (TCP SYN or UDP datagram to PORT) in SHAPE to the
      neighbour whose MAC is MAC; prints
      {"sent": N}
  fragments.py sniff IFACE SECONDS SRC [--expect N]
      prints {"ready": true} once listening, then {"count": N, "fragments": F, "whole": W,
      "errors": E}: every IPv6 packet from SRC that arrived within SECONDS (or as soon as N
      did), how many of them still carried a fragment header, how many were whole TCP/UDP
      datagrams, how many were ICMPv6 errors

Shapes (the datagram is an upper-layer header plus 40 bytes of payload):
  whole           the datagram in two clean fragments (offsets 0 and 32), the control case
  overlap         the second fragment starts 8 bytes inside the first (RFC 5722 overlap)
  overlap-rewrite a fragment at offset 0 resent with another port after the first, then the last
  duplicate-diff  the first fragment twice with different payloads, then the last
  first-resent    the first fragment twice, identical, then the last
  missing-first   only the fragments after the first
  unaligned       a first fragment whose length is not a multiple of 8 (M=1), then the last
  tiny-first      a first fragment with only 8 bytes of the upper-layer header, then the rest
"""
import argparse
import json
import random
import sys

from scapy.all import (ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6DestUnreach, ICMPv6ParamProblem, ICMPv6PacketTooBig, ICMPv6TimeExceeded,
                       IPv6, IPv6ExtHdrFragment, TCP, UDP, Ether, conf, get_if_hwaddr, raw, sendp, sniff)

conf.verb = 0
PAYLOAD = bytes(range(40))


def datagram(src, dst, proto, port, sport, payload=PAYLOAD):
    l4 = TCP(sport=sport, dport=port, flags="S") if proto == "tcp" else UDP(sport=sport, dport=port)
    whole = IPv6(src=src, dst=dst) / l4 / payload
    return raw(whole[IPv6].payload), (6 if proto == "tcp" else 17)


def frag(src, dst, nh, ident, offset, more, data):
    return IPv6(src=src, dst=dst) / IPv6ExtHdrFragment(nh=nh, id=ident, offset=offset // 8, m=int(more)) / data


def shapes(shape, src, dst, proto, port, sport):
    data, nh = datagram(src, dst, proto, port, sport)
    other, _ = datagram(src, dst, proto, port, sport, payload=bytes(reversed(PAYLOAD)))
    ident = random.randint(1, 2**32 - 1)
    f = lambda offset, more, chunk: frag(src, dst, nh, ident, offset, more, chunk)
    first, rest = data[:32], data[32:]
    if shape == "whole":
        return [f(0, True, first), f(32, False, rest)]
    if shape == "overlap":
        return [f(0, True, first), f(24, False, data[24:])]
    if shape == "overlap-rewrite":
        rewritten, _ = datagram(src, dst, proto, port + 1, sport)
        return [f(0, True, first), f(0, True, rewritten[:32]), f(32, False, rest)]
    if shape == "duplicate-diff":
        return [f(0, True, first), f(0, True, other[:32]), f(32, False, rest)]
    if shape == "first-resent":
        return [f(0, True, first), f(0, True, first), f(32, False, rest)]
    if shape == "missing-first":
        return [f(24, True, data[24:40]), f(40, False, data[40:])]
    if shape == "unaligned":
        return [f(0, True, data[:27]), f(32, False, rest)]
    if shape == "tiny-first":
        return [f(0, True, data[:8]), f(8, False, data[8:])]
    raise SystemExit(f"unknown shape {shape}")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    send = sub.add_parser("send")
    for name in ("iface", "src", "dst", "proto"):
        send.add_argument(name)
    send.add_argument("port", type=int)
    send.add_argument("mac")
    send.add_argument("shapes", nargs="+")
    cap = sub.add_parser("sniff")
    cap.add_argument("iface")
    cap.add_argument("seconds", type=float)
    cap.add_argument("src")
    args = parser.parse_args()
    if args.command == "send":
        mac = get_if_hwaddr(args.iface)
        packets = [p for i, shape in enumerate(args.shapes)
                   for p in shapes(shape, args.src, args.dst, args.proto, args.port, 40000 + i)]
        marker = IPv6(src=args.src, dst=args.dst) / ICMPv6EchoRequest(data=b"end")
        sendp([Ether(src=mac, dst=args.mac) / p for p in packets + [marker]], iface=args.iface)
        print(json.dumps({"sent": len(packets)}))
        return 0
    sock = conf.L2listen(iface=args.iface)
    print(json.dumps({"ready": True}), flush=True)
    is_marker = lambda p: ICMPv6EchoRequest in p or ICMPv6EchoReply in p
    seen = sniff(opened_socket=sock, timeout=args.seconds,
                 lfilter=lambda p: IPv6 in p and p[IPv6].src == args.src
                 and ICMPv6ND_NS not in p and ICMPv6ND_NA not in p,
                 stop_filter=is_marker)
    sock.close()
    marker = any(is_marker(p) for p in seen)
    seen = [p for p in seen if not is_marker(p)]
    errors = (ICMPv6ParamProblem, ICMPv6DestUnreach, ICMPv6TimeExceeded, ICMPv6PacketTooBig)
    replies = {}
    for p in seen:
        for layer in (TCP, UDP):
            if layer in p and IPv6ExtHdrFragment not in p and not any(e in p for e in errors):
                key = str(p[layer].dport)
                replies[key] = replies.get(key, 0) + 1
    print(json.dumps({
        "marker": marker,
        "count": len(seen),
        "errors": sum(1 for p in seen if any(e in p for e in errors)),
        "replies": replies,
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

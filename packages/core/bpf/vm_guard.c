// SPDX-License-Identifier: GPL-2.0
// metald's per-port IPv6 guard, a tc (cls_bpf, direct-action) classifier on the host end of a
// VM's port, for what nftables 1.0.6 cannot express: the length of an extension-header chain
// (extension_headers.max_chain_length) and the option list of router advertisements from
// allowed routers (ra_guard.block_config). Attached at ingress (frames from the VM: chain
// length) and egress (frames to the VM: chain length and RA options). Settings and drop counts
// live in two maps keyed by the port's interface index, pinned by metald (vm-guard.ts).
//
// Limits of the walk (docs/enforcement.md): at most MAX_HEADERS extension headers and
// MAX_OPTIONS RA options are read; a packet with more is dropped when the setting it would need
// to be judged against is on, never passed unexamined.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define MAX_HEADERS 17 /* one more than the largest max_chain_length (16) */
#define MAX_OPTIONS 32

#define BLOCK_PREFIX_INFO (1 << 0)
#define BLOCK_MTU (1 << 1)
#define BLOCK_ROUTE_INFO (1 << 2)
#define BLOCK_RDNSS (1 << 3)
#define BLOCK_ANY_RA_OPTION (BLOCK_PREFIX_INFO | BLOCK_MTU | BLOCK_ROUTE_INFO | BLOCK_RDNSS)

/* Drop reasons; vm-guard-maps.ts names them (the counter names metald reports). */
enum reason {
	CHAIN_FROM_VM = 0,
	CHAIN_TO_VM = 1,
	RA_PREFIX_INFO = 2,
	RA_MTU = 3,
	RA_ROUTE_INFO = 4,
	RA_RDNSS = 5,
	RA_UNVERIFIABLE = 6,
};

struct port_settings {
	__u8 flags;            /* BLOCK_* */
	__u8 max_chain_length; /* 0: no limit */
	__u8 pad[2];
};

struct drop_key {
	__u32 ifindex;
	__u32 reason;
};

struct drop_count {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct port_settings);
} settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct drop_key);
	__type(value, struct drop_count);
} drops SEC(".maps");

#define IPPROTO_HOPOPTS 0
#define IPPROTO_ROUTING 43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_ESP 50
#define IPPROTO_AH 51
#define IPPROTO_ICMPV6 58
#define IPPROTO_DSTOPTS 60
#define IPPROTO_MH 135
#define IPPROTO_HIP 139
#define IPPROTO_SHIM6 140
#define IPPROTO_EXP1 253
#define IPPROTO_EXP2 254

#define ETH_LEN 14
#define IPV6_LEN 40
#define ND_ROUTER_ADVERT 134
#define RA_HEADER_LEN 16

static __always_inline int drop(struct __sk_buff *skb, enum reason why)
{
	struct drop_key key = { .ifindex = skb->ifindex, .reason = why };
	struct drop_count *count = bpf_map_lookup_elem(&drops, &key);

	if (count) {
		__sync_fetch_and_add(&count->packets, 1);
		__sync_fetch_and_add(&count->bytes, skb->len);
	} else {
		struct drop_count first = { .packets = 1, .bytes = skb->len };

		/* Another CPU may have added it meanwhile: then add to it. */
		if (bpf_map_update_elem(&drops, &key, &first, BPF_NOEXIST) != 0) {
			count = bpf_map_lookup_elem(&drops, &key);
			if (count) {
				__sync_fetch_and_add(&count->packets, 1);
				__sync_fetch_and_add(&count->bytes, skb->len);
			}
		}
	}
	return TC_ACT_SHOT;
}

static __always_inline int is_extension_header(__u8 next)
{
	switch (next) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_ESP:
	case IPPROTO_AH:
	case IPPROTO_DSTOPTS:
	case IPPROTO_MH:
	case IPPROTO_HIP:
	case IPPROTO_SHIM6:
	case IPPROTO_EXP1:
	case IPPROTO_EXP2:
		return 1;
	}
	return 0;
}

/* What the walk of the header chain found. */
struct chain {
	__u32 headers;    /* extension headers read */
	__u32 offset;     /* of the upper-layer header, when complete */
	__u8 upper;       /* its protocol number */
	__u8 complete;    /* the upper-layer header was reached within MAX_HEADERS */
	__u8 fragment;    /* a fragment header was seen */
	__u8 truncated;   /* a header lies past the end of the packet */
};

static __always_inline void walk_chain(struct __sk_buff *skb, __u8 next, struct chain *c)
{
	__u32 offset = ETH_LEN + IPV6_LEN;

	for (int i = 0; i < MAX_HEADERS; i++) {
		__u8 head[2];

		if (!is_extension_header(next)) {
			c->upper = next;
			c->offset = offset;
			c->complete = 1;
			return;
		}
		c->headers++;
		/* ESP encrypts the rest, a later fragment's payload continues another packet:
		 * nothing after them can be read. */
		if (next == IPPROTO_ESP)
			return;
		if (bpf_skb_load_bytes(skb, offset, head, sizeof(head)) < 0) {
			c->truncated = 1;
			return;
		}
		if (next == IPPROTO_FRAGMENT) {
			__u8 frag[4];

			c->fragment = 1;
			if (bpf_skb_load_bytes(skb, offset, frag, sizeof(frag)) < 0) {
				c->truncated = 1;
				return;
			}
			/* Fragment offset (13 bits) not zero: not the first fragment. */
			if (((frag[2] << 8) | frag[3]) & 0xfff8)
				return;
			offset += 8;
		} else if (next == IPPROTO_AH) {
			offset += ((__u32)head[1] + 2) * 4;
		} else {
			offset += ((__u32)head[1] + 1) * 8;
		}
		next = head[0];
	}
	/* MAX_HEADERS read: either the upper-layer header follows, or more than the walk reads. */
	if (is_extension_header(next)) {
		c->headers++;
		return;
	}
	c->upper = next;
	c->offset = offset;
	c->complete = 1;
}

static __always_inline int ra_option_blocked(__u8 type, __u8 flags, enum reason *why)
{
	if (type == 3 && (flags & BLOCK_PREFIX_INFO)) {
		*why = RA_PREFIX_INFO;
		return 1;
	}
	if (type == 5 && (flags & BLOCK_MTU)) {
		*why = RA_MTU;
		return 1;
	}
	if (type == 24 && (flags & BLOCK_ROUTE_INFO)) {
		*why = RA_ROUTE_INFO;
		return 1;
	}
	if (type == 25 && (flags & BLOCK_RDNSS)) {
		*why = RA_RDNSS;
		return 1;
	}
	return 0;
}

/* A router advertisement to the VM: TC_ACT_OK, or the drop of one carrying a blocked option
 * (or whose options cannot all be read). */
static __always_inline int check_ra(struct __sk_buff *skb, __u32 offset, __u8 flags)
{
	__u32 end = skb->len;

	offset += RA_HEADER_LEN;
	if (offset > end)
		return drop(skb, RA_UNVERIFIABLE);
	for (int i = 0; i < MAX_OPTIONS; i++) {
		__u8 option[2];
		enum reason why;

		if (offset == end)
			return TC_ACT_OK;
		if (bpf_skb_load_bytes(skb, offset, option, sizeof(option)) < 0)
			return drop(skb, RA_UNVERIFIABLE);
		/* A zero length is invalid (RFC 4861 4.6): the receiver discards the RA anyway. */
		if (option[1] == 0)
			return drop(skb, RA_UNVERIFIABLE);
		if (ra_option_blocked(option[0], flags, &why))
			return drop(skb, why);
		offset += (__u32)option[1] * 8;
		if (offset > end)
			return drop(skb, RA_UNVERIFIABLE);
	}
	return offset == end ? TC_ACT_OK : drop(skb, RA_UNVERIFIABLE);
}

static __always_inline int guard(struct __sk_buff *skb, int to_vm)
{
	__u32 ifindex = skb->ifindex;
	struct port_settings *set;
	struct chain c = {};
	__u8 ip6[IPV6_LEN];

	if (skb->protocol != bpf_htons(ETH_P_IPV6))
		return TC_ACT_OK;
	set = bpf_map_lookup_elem(&settings, &ifindex);
	if (!set)
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, ETH_LEN, ip6, sizeof(ip6)) < 0)
		return TC_ACT_OK;
	walk_chain(skb, ip6[6], &c);

	if (set->max_chain_length && c.headers > set->max_chain_length)
		return drop(skb, to_vm ? CHAIN_TO_VM : CHAIN_FROM_VM);
	if (!to_vm || !(set->flags & BLOCK_ANY_RA_OPTION))
		return TC_ACT_OK;

	/* Router advertisements come from link-local sources (hosts discard others, RFC 4861
	 * 6.1.2) and neighbor discovery is never fragmented (RFC 6980): a fragment from a
	 * link-local source, or one whose chain cannot be walked to its end, may be (part of) an
	 * RA whose options cannot all be seen here (RFC 7112, 7113). */
	int link_local = ip6[8] == 0xfe && (ip6[9] & 0xc0) == 0x80;

	if (link_local && (c.fragment || c.truncated || !c.complete))
		return drop(skb, RA_UNVERIFIABLE);
	if (!c.complete || c.upper != IPPROTO_ICMPV6)
		return TC_ACT_OK;

	__u8 type;

	if (bpf_skb_load_bytes(skb, c.offset, &type, 1) < 0)
		return link_local ? drop(skb, RA_UNVERIFIABLE) : TC_ACT_OK;
	if (type != ND_ROUTER_ADVERT)
		return TC_ACT_OK;
	return check_ra(skb, c.offset, set->flags);
}

SEC("tc/from_vm")
int from_vm(struct __sk_buff *skb)
{
	return guard(skb, 0);
}

SEC("tc/to_vm")
int to_vm(struct __sk_buff *skb)
{
	return guard(skb, 1);
}

char LICENSE[] SEC("license") = "GPL";

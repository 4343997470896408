// Programs the eBPF port guard (bpf/vm_guard.c) on ports, as `tc` and `bpftool` would, in one
// short process and without what makes them slow on a host of thousands of links: `tc` lists
// every link of its namespace before it resolves one name (~40 ms at 6,000 links, 10 ms at a
// handful), and each tool is a process of its own. Ports are named by interface index, maps and
// programs by their pins under bpffs. Run in the ports' network namespace (the netlink socket
// is opened there); the pins are paths of the mount namespace it runs in.
//
// Usage: guard-ports < OPERATIONS, one operation a line, its words separated by spaces:
//   update MAP KEY VALUE        map element set (KEY, VALUE: hex bytes, e.g. 0a000000)
//   delete MAP KEY              map element removed (absent: nothing to do)
//   attach IFINDEX INGRESS EGRESS
//                               clsact qdisc on the port, and the pinned programs INGRESS and
//                               EGRESS as its direct-action bpf filters, pref 1 handle 1 each
//                               (replacing earlier ones, as `tc filter replace`)
//   detach IFINDEX              the port's clsact qdisc removed, with its filters (none: nothing)
// Operations run in order; the first that fails stops the rest: exit 1, "line N: reason" on
// stderr. (Standard input, not arguments: a host rebuilt at start programs thousands of ports
// at once, beyond what a command line holds.)
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int line;

static void fail(const char *format, ...) {
  va_list args;
  va_start(args, format);
  fprintf(stderr, "line %d: ", line);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  exit(1);
}

static long sys_bpf(int cmd, union bpf_attr *attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof *attr);
}

// Pins opened so far: each is opened once per run.
static struct pin {
  const char *path;
  int fd;
} pins[16];
static int pin_count;

static int pinned(const char *path) {
  for (int i = 0; i < pin_count; i++)
    if (!strcmp(pins[i].path, path)) return pins[i].fd;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.pathname = (uint64_t)(uintptr_t)path;
  int fd = (int)sys_bpf(BPF_OBJ_GET, &attr);
  if (fd < 0) fail("%s: %s", path, strerror(errno));
  if (pin_count < (int)(sizeof pins / sizeof pins[0])) pins[pin_count++] = (struct pin){path, fd};
  return fd;
}

/** Parses hex bytes into `out`; the map's own size must match (the kernel copies that many). */
static void hex(const char *text, uint8_t *out, uint32_t size, const char *what) {
  size_t len = strlen(text);
  if (len != (size_t)size * 2) fail("%s %s: %u bytes expected", what, text, size);
  for (uint32_t i = 0; i < size; i++) {
    unsigned value;
    if (sscanf(text + 2 * i, "%2x", &value) != 1) fail("%s %s: not hex", what, text);
    out[i] = (uint8_t)value;
  }
}

static void map_sizes(int fd, const char *path, uint32_t *key, uint32_t *value) {
  struct bpf_map_info info;
  memset(&info, 0, sizeof info);
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.info.bpf_fd = (uint32_t)fd;
  attr.info.info_len = sizeof info;
  attr.info.info = (uint64_t)(uintptr_t)&info;
  if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) != 0) fail("%s: %s", path, strerror(errno));
  *key = info.key_size;
  *value = info.value_size;
}

static void map_element(const char *path, const char *key_hex, const char *value_hex) {
  int fd = pinned(path);
  uint32_t key_size, value_size;
  map_sizes(fd, path, &key_size, &value_size);
  uint8_t key[256], value[256];
  if (key_size > sizeof key || value_size > sizeof value) fail("%s: elements too large", path);
  hex(key_hex, key, key_size, "key");
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_fd = (uint32_t)fd;
  attr.key = (uint64_t)(uintptr_t)key;
  if (value_hex) {
    hex(value_hex, value, value_size, "value");
    attr.value = (uint64_t)(uintptr_t)value;
    attr.flags = BPF_ANY;
    if (sys_bpf(BPF_MAP_UPDATE_ELEM, &attr) != 0) fail("update %s: %s", path, strerror(errno));
  } else if (sys_bpf(BPF_MAP_DELETE_ELEM, &attr) != 0 && errno != ENOENT) {
    fail("delete %s: %s", path, strerror(errno));
  }
}

struct request {
  struct nlmsghdr header;
  struct tcmsg tc;
  char attributes[512];
};

static struct rtattr *attribute(struct request *r, unsigned short type, const void *data,
                                size_t len) {
  size_t at = NLMSG_ALIGN(r->header.nlmsg_len);
  if (at + RTA_SPACE(len) > sizeof *r) fail("netlink request too large");
  struct rtattr *rta = (struct rtattr *)((char *)r + at);
  rta->rta_type = type;
  rta->rta_len = (unsigned short)RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(rta), data, len);
  r->header.nlmsg_len = (uint32_t)(at + RTA_ALIGN(rta->rta_len));
  return rta;
}

static void end_nest(struct request *r, struct rtattr *nest) {
  nest->rta_len = (unsigned short)((char *)r + r->header.nlmsg_len - (char *)nest);
}

static int netlink = -1;
static uint32_t sequence;

/** Sends one request and waits for its acknowledgement; returns 0 or the kernel's errno. */
static int talk(struct request *r) {
  r->header.nlmsg_seq = ++sequence;
  r->header.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  if (send(netlink, r, r->header.nlmsg_len, 0) < 0) fail("netlink: %s", strerror(errno));
  char answer[8192];
  for (;;) {
    ssize_t got = recv(netlink, answer, sizeof answer, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      fail("netlink: %s", strerror(errno));
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)answer; NLMSG_OK(h, (size_t)got);
         h = NLMSG_NEXT(h, got)) {
      if (h->nlmsg_seq != sequence || h->nlmsg_type != NLMSG_ERROR) continue;
      return -((struct nlmsgerr *)NLMSG_DATA(h))->error;
    }
  }
}

static struct request tc_request(uint16_t type, uint16_t flags, int ifindex, uint32_t handle,
                                 uint32_t parent) {
  struct request r;
  memset(&r, 0, sizeof r);
  r.header.nlmsg_len = NLMSG_LENGTH(sizeof r.tc);
  r.header.nlmsg_type = type;
  r.header.nlmsg_flags = flags;
  r.tc.tcm_family = AF_UNSPEC;
  r.tc.tcm_ifindex = ifindex;
  r.tc.tcm_handle = handle;
  r.tc.tcm_parent = parent;
  return r;
}

static int interface_index(const char *text) {
  char *end;
  long value = strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || value <= 0 || value > 0x7fffffff)
    fail("interface index %s: not a positive number", text);
  return (int)value;
}

static void filter(int ifindex, uint32_t direction, const char *program) {
  uint32_t fd = (uint32_t)pinned(program);
  const char *name = strrchr(program, '/');
  name = name ? name + 1 : program;
  struct request r = tc_request(RTM_NEWTFILTER, NLM_F_CREATE, ifindex, 1,
                                TC_H_MAKE(TC_H_CLSACT, direction));
  r.tc.tcm_info = TC_H_MAKE(1u << 16, htons(ETH_P_ALL));
  attribute(&r, TCA_KIND, "bpf", 4);
  struct rtattr *options = attribute(&r, TCA_OPTIONS, NULL, 0);
  attribute(&r, TCA_BPF_FD, &fd, sizeof fd);
  attribute(&r, TCA_BPF_NAME, name, strlen(name) + 1);
  uint32_t flags = TCA_BPF_FLAG_ACT_DIRECT;
  attribute(&r, TCA_BPF_FLAGS, &flags, sizeof flags);
  end_nest(&r, options);
  int error = talk(&r);
  if (error) fail("filter %s on interface %d: %s", name, ifindex, strerror(error));
}

static void attach(const char *index, const char *ingress, const char *egress) {
  int ifindex = interface_index(index);
  // Both programs found before the port changes.
  pinned(ingress);
  pinned(egress);
  struct request r = tc_request(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, ifindex,
                                TC_H_MAKE(TC_H_CLSACT, 0), TC_H_CLSACT);
  attribute(&r, TCA_KIND, "clsact", 7);
  int error = talk(&r);
  if (error) fail("clsact qdisc on interface %d: %s", ifindex, strerror(error));
  filter(ifindex, TC_H_MIN_INGRESS, ingress);
  filter(ifindex, TC_H_MIN_EGRESS, egress);
}

static void detach(const char *index) {
  int ifindex = interface_index(index);
  struct request r =
      tc_request(RTM_DELQDISC, 0, ifindex, TC_H_MAKE(TC_H_CLSACT, 0), TC_H_CLSACT);
  int error = talk(&r);
  // No clsact qdisc on the port (EINVAL, ENOENT): already detached.
  if (error && error != EINVAL && error != ENOENT)
    fail("clsact qdisc on interface %d: %s", ifindex, strerror(error));
}

/** Runs one operation: its words, `count` of them. */
static void run(char **word, int count) {
  const char *op = word[0];
  if (!strcmp(op, "update") && count == 4) return map_element(word[1], word[2], word[3]);
  if (!strcmp(op, "delete") && count == 3) return map_element(word[1], word[2], NULL);
  int attaching = !strcmp(op, "attach") && count == 4;
  if (!attaching && !(!strcmp(op, "detach") && count == 2))
    fail("%s: unknown operation or wrong number of arguments", op);
  if (netlink < 0) {
    netlink = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (netlink < 0) fail("netlink: %s", strerror(errno));
  }
  if (attaching) attach(word[1], word[2], word[3]);
  else detach(word[1]);
}

int main(void) {
  char *text = NULL;
  size_t size = 0;
  ssize_t len;
  while ((len = getline(&text, &size, stdin)) >= 0) {
    line++;
    char *word[5];
    int count = 0;
    for (char *rest = text, *token; (token = strsep(&rest, " \t\n"));) {
      if (*token == '\0') continue;
      if (count == 5) fail("too many words");
      word[count++] = token;
    }
    if (count > 0) run(word, count);
  }
  return 0;
}

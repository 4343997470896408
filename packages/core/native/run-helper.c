// The host command helper (see src/host/helper-runner.ts): a small long-lived process that
// starts the commands metald asks for with posix_spawn (a vfork: no page tables copied) and
// answers with each command's exit code and output. Commands run concurrently; the helper
// exits once its input ends and every command it started has been answered. A command may be
// started in a named network namespace (/run/netns/NAME): the helper enters it for the spawn
// and returns, so the command keeps the host's mount namespace (its /sys and bpffs) and nothing
// copies the mount table, as `ip -n` does for every run (its cost grows with the namespaces).
//
// Protocol, counts in decimal:
//   request: id NUL netns NUL command NUL argc NUL arg NUL ... NUL (input-length | "-") NUL
//            input-bytes   (netns empty: the helper's own)
//   reply:   "id code stdout-length stderr-length\n" stdout-bytes stderr-bytes
// code is the exit status, or "-" when the command could not start or was killed by a signal.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

struct buf {
  char *data;
  size_t len, cap;
};

static void append(struct buf *b, const char *data, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) cap *= 2;
    b->data = realloc(b->data, cap);
    if (!b->data) abort();
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, n);
  b->len += n;
}

struct job {
  char id[32];
  pid_t pid;
  int in, out, err; // -1 once closed
  struct buf input;
  size_t written;
  struct buf out_buf, err_buf;
  int exited, status, failed;
  struct job *next;
};

static struct job *jobs;
static char *env[3];
static int own_netns = -1;

static void write_all(const char *data, size_t n) {
  while (n > 0) {
    ssize_t w = write(1, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      exit(1); // metald is gone
    }
    data += w;
    n -= (size_t)w;
  }
}

static void reply(struct job *j) {
  char head[128];
  char code[16] = "-";
  if (!j->failed && WIFEXITED(j->status)) snprintf(code, sizeof code, "%d", WEXITSTATUS(j->status));
  int n = snprintf(head, sizeof head, "%s %s %zu %zu\n", j->id, code, j->out_buf.len, j->err_buf.len);
  write_all(head, (size_t)n);
  write_all(j->out_buf.data ? j->out_buf.data : "", j->out_buf.len);
  write_all(j->err_buf.data ? j->err_buf.data : "", j->err_buf.len);
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void free_job(struct job *j) {
  close_fd(&j->in);
  close_fd(&j->out);
  close_fd(&j->err);
  free(j->input.data);
  free(j->out_buf.data);
  free(j->err_buf.data);
  free(j);
}

/** Fails a request that could not start: code "-", the reason on stderr. */
static void refuse(struct job *j, const char *why) {
  j->failed = 1;
  append(&j->err_buf, why, strlen(why));
  reply(j);
  free_job(j);
}

static void start(const char *id, const char *netns, char **argv, const char *input,
                  size_t input_len, int has_input) {
  struct job *j = calloc(1, sizeof *j);
  if (!j) abort();
  snprintf(j->id, sizeof j->id, "%s", id);
  j->in = j->out = j->err = -1;
  int entered = 0;
  if (*netns) {
    char path[512];
    if (strchr(netns, '/') || !strcmp(netns, ".") || !strcmp(netns, "..") ||
        snprintf(path, sizeof path, "/run/netns/%s", netns) >= (int)sizeof path) {
      refuse(j, "invalid network namespace name");
      return;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      refuse(j, strerror(errno));
      return;
    }
    int rc = setns(fd, CLONE_NEWNET);
    int saved = errno;
    close(fd);
    if (rc != 0) {
      refuse(j, strerror(saved));
      return;
    }
    entered = 1;
  }
  int in[2] = {-1, -1}, out[2], err[2];
  if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || (has_input && pipe2(in, O_CLOEXEC))) abort();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (has_input)
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  else
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  // The helper blocks SIGCHLD and ignores SIGPIPE; its commands start with neither.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, pipe_set;
  sigemptyset(&none);
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &pipe_set);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  int rc = posix_spawnp(&j->pid, argv[0], &actions, &attr, argv, env);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  // Back to the helper's own namespace before anything else; without it, stop.
  if (entered && setns(own_netns, CLONE_NEWNET) != 0) abort();
  close(out[1]);
  close(err[1]);
  if (has_input) close(in[0]);
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    if (has_input) close(in[1]);
    refuse(j, strerror(rc));
    return;
  }
  j->out = out[0];
  j->err = err[0];
  fcntl(j->out, F_SETFL, O_NONBLOCK);
  fcntl(j->err, F_SETFL, O_NONBLOCK);
  if (has_input) {
    j->in = in[1];
    fcntl(j->in, F_SETFL, O_NONBLOCK);
    append(&j->input, input, input_len);
    if (input_len == 0) close_fd(&j->in);
  }
  j->next = jobs;
  jobs = j;
}

/** Starts every complete request at the front of `req`; keeps an incomplete one. */
static void parse(struct buf *req) {
  size_t at = 0;
  for (;;) {
    // id, netns, command, argc, argc args, input length: NUL-terminated tokens.
    char *tokens[5];
    size_t pos = at;
    int i;
    for (i = 0; i < 4; i++) {
      char *end = memchr(req->data + pos, 0, req->len - pos);
      if (!end) goto incomplete;
      tokens[i] = req->data + pos;
      pos = (size_t)(end - req->data) + 1;
    }
    long argc = strtol(tokens[3], NULL, 10);
    if (argc < 0 || argc > 100000) abort();
    char **argv = calloc((size_t)argc + 2, sizeof *argv);
    if (!argv) abort();
    argv[0] = tokens[2];
    for (i = 0; i < argc + 1; i++) {
      char *end = memchr(req->data + pos, 0, req->len - pos);
      if (!end) {
        free(argv);
        goto incomplete;
      }
      if (i < argc) argv[i + 1] = req->data + pos;
      else tokens[4] = req->data + pos;
      pos = (size_t)(end - req->data) + 1;
    }
    int has_input = strcmp(tokens[4], "-") != 0;
    size_t input_len = has_input ? strtoul(tokens[4], NULL, 10) : 0;
    if (req->len - pos < input_len) {
      free(argv);
      goto incomplete;
    }
    start(tokens[0], tokens[1], argv, req->data + pos, input_len, has_input);
    free(argv);
    at = pos + input_len;
  }
incomplete:
  memmove(req->data, req->data + at, req->len - at);
  req->len -= at;
}

static void drain(int *fd, struct buf *b) {
  char chunk[65536];
  for (;;) {
    ssize_t n = read(*fd, chunk, sizeof chunk);
    if (n > 0) {
      append(b, chunk, (size_t)n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    close_fd(fd); // end of output (or an error: nothing more will come)
    return;
  }
}

static void feed(struct job *j) {
  while (j->written < j->input.len) {
    ssize_t n = write(j->in, j->input.data + j->written, j->input.len - j->written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n < 0) break; // the command stopped reading (EPIPE)
    j->written += (size_t)n;
  }
  close_fd(&j->in);
}

int main(void) {
  const char *path = getenv("PATH");
  static char path_var[4096];
  snprintf(path_var, sizeof path_var, "PATH=%s", path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
  env[0] = path_var;
  env[1] = "LC_ALL=C";
  env[2] = NULL;
  signal(SIGPIPE, SIG_IGN);
  own_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (own_netns < 0) return 1;
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0) return 1;
  fcntl(0, F_SETFL, O_NONBLOCK);
  struct buf req = {0};
  int input_open = 1;
  struct pollfd *fds = NULL;
  struct job **owners = NULL;
  size_t cap = 0;
  while (input_open || jobs) {
    size_t n = 0, want = 2;
    for (struct job *j = jobs; j; j = j->next) want += 3;
    if (want > cap) {
      cap = want * 2;
      fds = realloc(fds, cap * sizeof *fds);
      owners = realloc(owners, cap * sizeof *owners);
      if (!fds || !owners) abort();
    }
    fds[n] = (struct pollfd){.fd = input_open ? 0 : -1, .events = POLLIN};
    owners[n++] = NULL;
    fds[n] = (struct pollfd){.fd = sfd, .events = POLLIN};
    owners[n++] = NULL;
    for (struct job *j = jobs; j; j = j->next) {
      fds[n] = (struct pollfd){.fd = j->in, .events = POLLOUT};
      owners[n++] = j;
      fds[n] = (struct pollfd){.fd = j->out, .events = POLLIN};
      owners[n++] = j;
      fds[n] = (struct pollfd){.fd = j->err, .events = POLLIN};
      owners[n++] = j;
    }
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    for (size_t i = 2; i < n; i++) {
      struct job *j = owners[i];
      if (!fds[i].revents || fds[i].fd < 0) continue;
      if (fds[i].fd == j->in) feed(j);
      else if (fds[i].fd == j->out) drain(&j->out, &j->out_buf);
      else if (fds[i].fd == j->err) drain(&j->err, &j->err_buf);
    }
    if (fds[1].revents) {
      struct signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) > 0) {
      }
      int status;
      pid_t pid;
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (struct job *j = jobs; j; j = j->next)
          if (j->pid == pid) {
            j->exited = 1;
            j->status = status;
          }
    }
    // Answered once the command exited and closed its output.
    for (struct job **link = &jobs; *link;) {
      struct job *j = *link;
      if (j->exited && j->out < 0 && j->err < 0) {
        *link = j->next;
        reply(j);
        free_job(j);
      } else {
        link = &j->next;
      }
    }
    if (fds[0].revents) {
      char chunk[65536];
      ssize_t got = read(0, chunk, sizeof chunk);
      if (got > 0) {
        append(&req, chunk, (size_t)got);
        parse(&req);
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        input_open = 0;
      }
    }
  }
  return 0;
}

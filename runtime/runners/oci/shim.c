/*
 * stratus-oci-shim: watches the OCI runner's containers, one shim process per
 * container, like containerd's shims; started by a tiny fork server, so that
 * starting one costs a fork of this small program rather than a fork of Node.
 *
 *   stratus-oci-shim serve
 *   stratus-oci-shim netns          a sandbox's network namespace (netns() below)
 *
 * The server reads requests on stdin, each a line "<n>\n" then n NUL-terminated
 * strings:  tag, events-file, pid-file, init (0|1), log-file, oom-file (or ""),
 *           k, the k strings of the runtime's delete argv, then the runtime's run argv.
 * and forks a shim per request, in a session of its own, so that it outlives
 * the server and the runner (a runner killed with SIGKILL finds its containers
 * again, and their exits, when it restarts). On stdout it says, one line each:
 *   <tag> spawned <shim pid>
 *   <tag> <event>                   each event of that shim, as it happens
 *   <tag> closed                    the shim ended (its last event came before)
 * The server exits at the end of its stdin; the shims go on.
 *
 * A shim is a child subreaper, then runs the runtime (`runc run -d`) with
 * stdin /dev/null, stdout and stderr the container's log, and, with init, fd 3
 * the write end of a pipe the container's init reports on (init.c). When the
 * runtime has started the container it exits, the container's init is
 * reparented to the shim, and the shim waits for it: so it learns how it ended
 * (a signal or a code), which `runc run` alone cannot say. Its events, written
 * to the server and appended to <events-file> (what a restarted runner reads):
 *   failed <runtime exit status>     the runtime could not start it (its log says why)
 *   execfail <errno>                 init could not exec the program (exit 127/126 follows)
 *   pid <pid>                        it runs (with init: the program was exec'd)
 *   oom <count>                      the kernel's OOM kills in its memory cgroup (from oom-file)
 *   deleted                          the runtime deleted it (its cgroup too: hence oom first)
 *   exit <code> | signal <number>    it ended; the last line
 *   lost                             it is no child of the shim, and no init said how it ended; the last line
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- one shim ------------------------------------------------------------------------ */

static int events_fd = -1;

static void write_all(int fd, const char *s, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, s, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    s += n;
    len -= (size_t)n;
  }
}

static void event(const char *line) {
  write_all(events_fd, line, strlen(line));
  write_all(1, line, strlen(line));
}

/* Reads one line (up to size-1 bytes) from fd; 0 at EOF before a newline. */
static int read_line(int fd, char *buf, size_t size) {
  size_t used = 0;
  while (used + 1 < size) {
    ssize_t n = read(fd, buf + used, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    if (buf[used] == '\n') {
      buf[used] = '\0';
      return 1;
    }
    used++;
  }
  buf[used] = '\0';
  return 1;
}

/*
 * Children reaped while waiting for another, with their status. The container's init
 * becomes our child (we are the subreaper) while the runtime is still exiting: a
 * program that ends at once is then reaped by the wait for the runtime, before we even
 * know its pid (the pid file), and its status must not be thrown away. Only the
 * runtime's leftovers and the init ever get here (the container's own processes are
 * reparented to its init, inside its PID namespace): a few slots are plenty; the
 * oldest is dropped should they ever fill.
 */
#define REAPED_SLOTS 64
static struct { pid_t pid; int status; } reaped[REAPED_SLOTS];
static int reaped_next = 0;

/* Waits for `pid`, reaping (and remembering) every other child on the way. */
static int wait_for(pid_t pid, int *status) {
  /* Newest first: a pid the kernel reused is the later child. */
  for (int k = 1; k <= REAPED_SLOTS; k++) {
    int i = (reaped_next - k + REAPED_SLOTS) % REAPED_SLOTS;
    if (reaped[i].pid == pid) {
      *status = reaped[i].status;
      reaped[i].pid = 0;
      return 0;
    }
  }
  for (;;) {
    int got_status;
    pid_t got = waitpid(-1, &got_status, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return -1;
    if (got == pid) {
      *status = got_status;
      return 0;
    }
    reaped[reaped_next].pid = got;
    reaped[reaped_next].status = got_status;
    reaped_next = (reaped_next + 1) % REAPED_SLOTS;
  }
}

/* `oom_kill <n>` of a memory cgroup's memory.oom_control (v1) or memory.events (v2); -1 when unknown. */
static long oom_kills(const char *path) {
  if (path[0] == '\0') return -1;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  for (char *line = buf; line != NULL && *line; ) {
    if (strncmp(line, "oom_kill ", 9) == 0) return atol(line + 9);
    line = strchr(line, '\n');
    if (line != NULL) line++;
  }
  return -1;
}

/* Runs argv with no stdio, waits; 1 when it succeeded. */
static int run_quietly(char **argv) {
  pid_t pid = fork();
  if (pid < 0) return 0;
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    execvp(argv[0], argv);
    _exit(127);
  }
  int status;
  return wait_for(pid, &status) == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* fds: 0 /dev/null, 1 the server's pipe, 2 the container's log. */
static int shim(const char *events_path, const char *pid_path, int with_init, const char *oom_path, char **delete_argv, char **runtime_argv) {
  events_fd = open(events_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (events_fd < 0 || prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    event("failed 254\n");
    return 1;
  }
  int status_pipe[2] = { -1, -1 };
  if (with_init && pipe2(status_pipe, O_CLOEXEC) != 0) {
    event("failed 254\n");
    return 1;
  }
  pid_t runtime = fork();
  if (runtime < 0) {
    event("failed 254\n");
    return 1;
  }
  if (runtime == 0) {
    dup2(2, 1);
    if (with_init) dup2(status_pipe[1], 3); /* dup2 clears FD_CLOEXEC on the copy */
    execvp(runtime_argv[0], runtime_argv);
    fprintf(stderr, "stratus-oci-shim: cannot run %s: %s\n", runtime_argv[0], strerror(errno));
    _exit(127);
  }
  if (with_init) close(status_pipe[1]);

  char line[128];
  int status = 0;
  /* The runtime exits once the container runs; a container that ended meanwhile waits for us as a zombie. */
  if (wait_for(runtime, &status) != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    snprintf(line, sizeof line, "failed %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    event(line);
    return 1;
  }
  char pid_text[32] = { 0 };
  int pid_fd = open(pid_path, O_RDONLY | O_CLOEXEC);
  ssize_t got = pid_fd < 0 ? -1 : read(pid_fd, pid_text, sizeof pid_text - 1);
  if (pid_fd >= 0) close(pid_fd);
  pid_t container = got > 0 ? (pid_t)atoi(pid_text) : 0;
  if (container <= 0) {
    event("failed 255\n");
    return 1;
  }
  char report[64] = { 0 };
  /* EOF without a line: init died before its program ran (killed): its own status says how. */
  if (with_init && read_line(status_pipe[0], report, sizeof report) && strncmp(report, "execfail ", 9) == 0) {
    snprintf(line, sizeof line, "%s\n", report);
    event(line);
  }
  snprintf(line, sizeof line, "pid %d\n", (int)container);
  event(line);

  int waited = wait_for(container, &status) == 0;
  /*
   * The program's own end, as init saw it, wins over init's exit status (128 + n for a
   * signal). Should the container be no child of ours after all, the pipe still says how
   * it ended: its read returns once init reported, or ended (its write end closes then).
   */
  char final[128];
  if (with_init && read_line(status_pipe[0], report, sizeof report) &&
      (strncmp(report, "exit ", 5) == 0 || strncmp(report, "signal ", 7) == 0)) {
    snprintf(final, sizeof final, "%s\n", report);
  } else if (!waited) {
    event("lost\n");
    return 1;
  } else if (WIFSIGNALED(status)) {
    snprintf(final, sizeof final, "signal %d\n", WTERMSIG(status));
  } else {
    snprintf(final, sizeof final, "exit %d\n", WEXITSTATUS(status));
  }
  /* Read before the delete removes the cgroup; the delete here spares the runner a fork of itself. */
  long ooms = oom_kills(oom_path);
  if (ooms >= 0) {
    snprintf(line, sizeof line, "oom %ld\n", ooms);
    event(line);
  }
  if (delete_argv[0] != NULL && run_quietly(delete_argv)) event("deleted\n");
  event(final);
  return 0;
}

/* ---- the fork server ----------------------------------------------------------------- */

#define MAX_SHIMS 4096
#define MAX_FIELDS 4096

struct watched {
  int fd;
  char tag[96];
  char buf[512];
  size_t len;
};

static struct watched shims[MAX_SHIMS];
static int shim_count = 0;
static int signal_fd = -1;

static void say(const char *tag, const char *text) {
  char line[700];
  int n = snprintf(line, sizeof line, "%s %s\n", tag, text);
  if (n > 0) write_all(1, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void spawn_shim(char **fields, int count, const sigset_t *original) {
  const char *tag = fields[0];
  int deletes = count > 6 ? atoi(fields[6]) : -1;
  if (count < 8 || deletes < 0 || 7 + deletes >= count || shim_count >= MAX_SHIMS || strlen(tag) >= sizeof shims[0].tag) {
    say(tag, "failed 253");
    say(tag, "closed");
    return;
  }
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    say(tag, "failed 254");
    say(tag, "closed");
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, original, NULL);
    setsid();
    for (int i = 0; i < shim_count; i++) close(shims[i].fd);
    close(signal_fd);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(p[1], 1);
    int log = open(fields[4], O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log < 0) {
      fprintf(stderr, "stratus-oci-shim: %s: %s\n", fields[4], strerror(errno));
      write_all(1, "failed 252\n", 11);
      _exit(1);
    }
    dup2(log, 2);
    if (null > 2) close(null);
    if (log > 2) close(log);
    /* The delete argv, NULL-terminated; the run argv is the rest (fields[count] is NULL). */
    char *delete_argv[64] = { NULL };
    for (int i = 0; i < deletes && i < 63; i++) delete_argv[i] = fields[7 + i];
    _exit(shim(fields[1], fields[2], strcmp(fields[3], "1") == 0, fields[5], delete_argv, fields + 7 + deletes));
  }
  close(p[1]);
  if (pid < 0) {
    close(p[0]);
    say(tag, "failed 254");
    say(tag, "closed");
    return;
  }
  struct watched *w = &shims[shim_count++];
  w->fd = p[0];
  w->len = 0;
  snprintf(w->tag, sizeof w->tag, "%s", tag);
  char text[32];
  snprintf(text, sizeof text, "spawned %d", (int)pid);
  say(tag, text);
}

/* Reads what a shim wrote; 0 once it closed its end. */
static int pump(struct watched *w) {
  ssize_t n = read(w->fd, w->buf + w->len, sizeof w->buf - 1 - w->len);
  if (n < 0 && errno == EINTR) return 1;
  if (n <= 0) return 0;
  w->len += (size_t)n;
  w->buf[w->len] = '\0';
  char *start = w->buf, *nl;
  while ((nl = strchr(start, '\n')) != NULL) {
    *nl = '\0';
    say(w->tag, start);
    start = nl + 1;
  }
  w->len = strlen(start);
  memmove(w->buf, start, w->len + 1);
  if (w->len == sizeof w->buf - 1) w->len = 0;
  return 1;
}

static int serve(void) {
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld, original;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &original);
  int sfd = signal_fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  static char input[1 << 20];
  size_t input_len = 0;
  static struct pollfd fds[MAX_SHIMS + 2];
  for (;;) {
    fds[0].fd = 0;
    fds[0].events = POLLIN;
    fds[1].fd = sfd;
    fds[1].events = POLLIN;
    for (int i = 0; i < shim_count; i++) {
      fds[i + 2].fd = shims[i].fd;
      fds[i + 2].events = POLLIN;
    }
    if (poll(fds, (nfds_t)shim_count + 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) == sizeof info) {}
      while (waitpid(-1, NULL, WNOHANG) > 0) {}
    }
    for (int i = shim_count - 1; i >= 0; i--) {
      if (!(fds[i + 2].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      if (pump(&shims[i])) continue;
      close(shims[i].fd);
      say(shims[i].tag, "closed");
      shims[i] = shims[--shim_count];
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(0, input + input_len, sizeof input - input_len);
      if (n <= 0) return 0; /* the runner is gone or closing: the shims go on by themselves */
      input_len += (size_t)n;
      /* Every complete request: "<n>\n" then n NUL-terminated strings. */
      for (;;) {
        char *nl = memchr(input, '\n', input_len);
        if (nl == NULL) break;
        int count = atoi(input);
        char *fields[MAX_FIELDS + 1];
        char *p = nl + 1;
        int found = 0;
        while (found < count && found < MAX_FIELDS) {
          char *end = memchr(p, '\0', (size_t)(input + input_len - p));
          if (end == NULL) break;
          fields[found++] = p;
          p = end + 1;
        }
        if (found < count) break;
        fields[found] = NULL;
        spawn_shim(fields, found, &original);
        input_len -= (size_t)(p - input);
        memmove(input, p, input_len);
      }
    }
  }
}

/* ---- a sandbox's network namespace --------------------------------------------------- */

/*
 * Makes a network namespace with its loopback up, says "ready" (or "error <why>") on
 * stdout, and stays in it until its stdin ends. Meanwhile the runner opens
 * /proc/<pid>/ns/net: that fd holds the namespace from then on, and every container of the
 * sandbox joins it, so none of them owns it (the first may end at once: the others and the
 * port forwarder still find it).
 */
static int netns(void) {
  char line[160];
  if (unshare(CLONE_NEWNET) != 0) {
    snprintf(line, sizeof line, "error unshare(CLONE_NEWNET): %s\n", strerror(errno));
    write_all(1, line, strlen(line));
    return 1;
  }
  /* What the runtime does for a namespace it makes itself: loopback up (127.0.0.1, ::1). */
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0 || (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)) {
    snprintf(line, sizeof line, "error bringing up lo: %s\n", strerror(errno));
    write_all(1, line, strlen(line));
    return 1;
  }
  close(fd);
  write_all(1, "ready\n", 6);
  char buf[64];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n > 0 || (n < 0 && errno == EINTR)) continue;
    return 0;
  }
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "serve") == 0) return serve();
  if (argc == 2 && strcmp(argv[1], "netns") == 0) return netns();
  fprintf(stderr, "usage: stratus-oci-shim serve | netns   (see shim.c)\n");
  return 2;
}

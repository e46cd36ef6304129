/*
 * stratus-oci-shim: watches one OCI runner container, like containerd's shim.
 * The runner starts one per container, in a session of its own, so it
 * outlives the runner (a runner killed with SIGKILL finds its containers
 * again, and their exits, when it restarts).
 *
 *   stratus-oci-shim <events-file> <pid-file> <init 0|1> -- <runtime> ... run -d --pid-file <pid-file> ...
 *
 * fds on entry: 0 /dev/null, 1 the runner's pipe (may go away), 2 the container's log.
 * The shim is a child subreaper, then runs the runtime (`runc run -d`, or
 * crun) with stdin /dev/null, stdout and stderr the log, and, with init, fd 3
 * the write end of a pipe the container's init reports on (init.c). When
 * the runtime has started the container it exits, and the container's init
 * is reparented to the shim, which waits for it: so the shim learns how it
 * ended (a signal or a code), which `runc run` alone cannot say.
 *
 * Events, one line each, written to fd 1 and appended to <events-file>:
 *   failed <runtime exit status>     the runtime could not start it (its log says why)
 *   execfail <errno>                 init could not exec the program (then exit 127/126 follows)
 *   pid <pid>                        it runs (with init: the program was exec'd)
 *   exit <code> | signal <number>    it ended; the last line
 *   lost                             it is no child of the shim (reparenting failed); the last line
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Waits for `pid`, reaping every other child (orphans reparented to us) on the way. */
static int wait_for(pid_t pid, int *status) {
  for (;;) {
    pid_t got = waitpid(-1, status, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return -1;
    if (got == pid) return 0;
  }
}

int main(int argc, char **argv) {
  if (argc < 6 || strcmp(argv[4], "--") != 0) {
    fprintf(stderr, "usage: stratus-oci-shim <events-file> <pid-file> <init 0|1> -- <runtime argv...>\n");
    return 2;
  }
  const char *events_path = argv[1];
  const char *pid_path = argv[2];
  int with_init = strcmp(argv[3], "1") == 0;
  char **runtime_argv = argv + 5;

  signal(SIGPIPE, SIG_IGN);
  events_fd = open(events_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (events_fd < 0) {
    perror("stratus-oci-shim: events file");
    return 2;
  }
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    perror("stratus-oci-shim: PR_SET_CHILD_SUBREAPER");
    return 2;
  }

  int status_pipe[2] = { -1, -1 };
  if (with_init && pipe2(status_pipe, O_CLOEXEC) != 0) {
    perror("stratus-oci-shim: pipe");
    return 2;
  }
  pid_t runtime = fork();
  if (runtime < 0) {
    perror("stratus-oci-shim: fork");
    return 2;
  }
  if (runtime == 0) {
    dup2(2, 1);
    if (with_init) {
      dup2(status_pipe[1], 3); /* dup2 clears FD_CLOEXEC on the copy */
    }
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
  if (with_init) {
    /* EOF without a line: init died before its program ran (killed): its own status says how. */
    if (read_line(status_pipe[0], report, sizeof report) && strncmp(report, "execfail ", 9) == 0) {
      snprintf(line, sizeof line, "%s\n", report);
      event(line);
      report[0] = '\0';
    }
  }
  snprintf(line, sizeof line, "pid %d\n", (int)container);
  event(line);

  if (wait_for(container, &status) != 0) {
    event("lost\n");
    return 1;
  }
  /* The program's own end, as init saw it, wins over init's exit status (128 + n for a signal). */
  char final_report[64] = { 0 };
  if (with_init && read_line(status_pipe[0], final_report, sizeof final_report) &&
      (strncmp(final_report, "exit ", 5) == 0 || strncmp(final_report, "signal ", 7) == 0)) {
    snprintf(line, sizeof line, "%s\n", final_report);
  } else if (WIFSIGNALED(status)) {
    snprintf(line, sizeof line, "signal %d\n", WTERMSIG(status));
  } else {
    snprintf(line, sizeof line, "exit %d\n", WEXITSTATUS(status));
  }
  event(line);
  return 0;
}

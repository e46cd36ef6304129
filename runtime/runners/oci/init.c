/*
 * stratus-oci-init: PID 1 of an OCI runner container (unless the task turns
 * initProcessEnabled off). Built static, bind-mounted read-only at
 * /dev/.stratus-init, so any image can run it, even one without a libc.
 *
 *   stratus-oci-init [-s FD] -- program [args...]
 *
 * It starts the program as its only child, forwards every signal it receives
 * to it (PID 1 of a namespace ignores signals it has no handler for, so a
 * program run as PID 1 would never see `docker stop`'s SIGTERM), reaps every
 * zombie reparented to it, and exits when the program exits: with its code,
 * or 128 + the signal that killed it.
 *
 * With -s, FD is a pipe to the runner's shim (passed by runc --preserve-fds
 * and closed in the program, so the program cannot write to it). It carries
 * one line once the program was exec'd, then one when it ended:
 *   started | execfail <errno>
 *   exit <code> | signal <number>
 * which is how the runner tells "killed by SIGTERM" from "exit 143", and a
 * program that is missing from one that ran.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int status_fd = -1;

static void report(const char *line) {
  if (status_fd < 0) return;
  size_t len = strlen(line);
  while (len > 0) {
    ssize_t n = write(status_fd, line, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    line += n;
    len -= (size_t)n;
  }
}

int main(int argc, char **argv) {
  int i = 1;
  if (i + 1 < argc && strcmp(argv[i], "-s") == 0) {
    status_fd = atoi(argv[i + 1]);
    i += 2;
  }
  if (i < argc && strcmp(argv[i], "--") == 0) i++;
  if (i >= argc) {
    fprintf(stderr, "stratus-oci-init: no program to run\n");
    return 2;
  }

  /* Every signal is blocked and taken with sigwaitinfo: blocked signals are queued even for a namespace's PID 1. */
  sigset_t all, original;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &original);

  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) {
    perror("stratus-oci-init: pipe");
    return 2;
  }
  pid_t child = fork();
  if (child < 0) {
    perror("stratus-oci-init: fork");
    return 2;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &original, NULL);
    if (status_fd >= 0) close(status_fd);
    close(exec_pipe[0]);
    execvp(argv[i], argv + i);
    int e = errno;
    fprintf(stderr, "stratus-oci-init: cannot run %s: %s\n", argv[i], strerror(e));
    ssize_t ignored = write(exec_pipe[1], &e, sizeof e);
    (void)ignored;
    _exit(e == ENOENT ? 127 : 126);
  }
  close(exec_pipe[1]);
  int exec_errno = 0;
  ssize_t n;
  do n = read(exec_pipe[0], &exec_errno, sizeof exec_errno); while (n < 0 && errno == EINTR);
  close(exec_pipe[0]);
  char line[64];
  if (n == (ssize_t)sizeof exec_errno) {
    snprintf(line, sizeof line, "execfail %d\n", exec_errno);
    report(line);
  } else {
    report("started\n");
  }

  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    for (;;) {
      int status;
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      if (pid != child) continue;
      if (WIFSIGNALED(status)) {
        snprintf(line, sizeof line, "signal %d\n", WTERMSIG(status));
        report(line);
        return 128 + WTERMSIG(status);
      }
      snprintf(line, sizeof line, "exit %d\n", WEXITSTATUS(status));
      report(line);
      return WEXITSTATUS(status);
    }
  }
}

/*
 * Baseline for bench/process-spawn.ts: how fast can this machine start and reap
 * short processes with nothing but posix_spawn + waitpid in a tight C loop?
 *
 *   posix-spawn-loop [count=2000] [window=1] [program=/usr/bin/true]
 *
 * Keeps at most `window` children alive (window 1 = spawn, wait, repeat) and
 * prints one line:  {"spawns":N,"window":W,"seconds":S,"spawns_per_s":R}
 * The launcher is compared against this figure measured in the same run.
 */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <errno.h>

extern char **environ;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  long count = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
  long window = argc > 2 ? strtol(argv[2], NULL, 10) : 1;
  const char *program = argc > 3 ? argv[3] : "/usr/bin/true";
  if (count < 1 || window < 1) {
    fprintf(stderr, "usage: %s [count>=1] [window>=1] [program]\n", argv[0]);
    return 2;
  }
  char *child_argv[] = { (char *)program, NULL };
  long started = 0, reaped = 0, running = 0;
  double t0 = now_s();
  while (reaped < count) {
    while (running < window && started < count) {
      pid_t pid;
      int rc = posix_spawn(&pid, program, NULL, NULL, child_argv, environ);
      if (rc != 0) {
        fprintf(stderr, "posix_spawn %s: %s\n", program, strerror(rc));
        return 1;
      }
      started++;
      running++;
    }
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      perror("waitpid");
      return 1;
    }
    running--;
    reaped++;
  }
  double seconds = now_s() - t0;
  printf("{\"spawns\":%ld,\"window\":%ld,\"seconds\":%.6f,\"spawns_per_s\":%.1f}\n",
         count, window, seconds, (double)count / seconds);
  return 0;
}

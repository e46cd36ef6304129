/*
 * Baseline for bench/process-spawn.ts: how fast can this machine start and reap
 * short processes with nothing but posix_spawn + waitpid in a tight C loop?
 *
 *   posix-spawn-loop [count=2000] [window=1] [program=/usr/bin/true] [rate=0]
 *
 * rate 0: keeps at most `window` children alive (window 1 = spawn, wait, repeat) and
 *   prints {"spawns":N,"window":W,"seconds":S,"spawns_per_s":R}
 * rate R > 0: starts a child every 1/R s (open loop, reaping as it goes) and prints the
 *   latency from each spawn's scheduled time to posix_spawn's return:
 *   {"spawns":N,"rate":R,"seconds":S,"p50_ms":..,"p99_ms":..,"max_ms":..}
 * The launcher is compared against these figures measured in the same run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int spawn_one(const char *program, char **child_argv) {
  pid_t pid;
  int rc = posix_spawn(&pid, program, NULL, NULL, child_argv, environ);
  if (rc != 0) fprintf(stderr, "posix_spawn %s: %s\n", program, strerror(rc));
  return rc;
}

static int paced(long count, double rate, const char *program, char **child_argv) {
  double *latency = malloc((size_t)count * sizeof *latency);
  if (!latency) return 1;
  long reaped = 0;
  double t0 = now_s();
  for (long i = 0; i < count; i++) {
    double scheduled = t0 + (double)i / rate;
    double wait = scheduled - now_s();
    if (wait > 0) {
      struct timespec ts = { (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) };
      nanosleep(&ts, NULL);
    }
    if (spawn_one(program, child_argv) != 0) return 1;
    latency[i] = (now_s() - scheduled) * 1000;
    while (waitpid(-1, NULL, WNOHANG) > 0) reaped++;
  }
  while (reaped < count && waitpid(-1, NULL, 0) > 0) reaped++;
  double seconds = now_s() - t0;
  qsort(latency, (size_t)count, sizeof *latency, cmp_double);
  long p99 = (long)((double)count * 0.99 + 0.999999) - 1;
  printf("{\"spawns\":%ld,\"rate\":%.1f,\"seconds\":%.6f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}\n",
         count, rate, seconds, latency[(count - 1) / 2], latency[p99 < 0 ? 0 : p99], latency[count - 1]);
  free(latency);
  return 0;
}

int main(int argc, char **argv) {
  long count = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
  long window = argc > 2 ? strtol(argv[2], NULL, 10) : 1;
  const char *program = argc > 3 ? argv[3] : "/usr/bin/true";
  double rate = argc > 4 ? strtod(argv[4], NULL) : 0;
  if (count < 1 || window < 1 || rate < 0) {
    fprintf(stderr, "usage: %s [count>=1] [window>=1] [program] [rate>=0]\n", argv[0]);
    return 2;
  }
  char *child_argv[] = { (char *)program, NULL };
  if (rate > 0) return paced(count, rate, program, child_argv);

  long started = 0, reaped = 0, running = 0;
  double t0 = now_s();
  while (reaped < count) {
    while (running < window && started < count) {
      if (spawn_one(program, child_argv) != 0) return 1;
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

/*
 * stratus-launcher: a long-lived helper that starts, watches and kills the
 * processes of the Batch "process" runner on behalf of one Node.js parent.
 *
 * Why a helper: child_process.spawn forks the whole Node process on the main
 * thread (milliseconds per call on a large heap). This program is tiny, so a
 * vfork()+execve() from it costs about what a bare posix_spawn loop costs, and
 * Node only encodes a request and parses a line.
 *
 * Protocol (see protocol.ts, which is the other half):
 *   stdin  (Node -> helper), binary frames, little-endian:
 *     u32 length-of-rest, u8 op, body
 *     'S' spawn: u32 id, u32 flags, u64 memory_limit_bytes (0 = none),
 *                u32 argc, u32 envc, then NUL-terminated strings:
 *                cwd, stdin path, stdout path, stderr path ("" = inherit cwd /
 *                /dev/null), argv[argc], env[envc]
 *     'K' kill:  u32 id, u32 signal, u32 grace_ms (SIGKILL after grace, 0 = never)
 *     'Q' quit:  u32 grace_ms (SIGTERM now and SIGKILL after grace; 0 = SIGKILL now)
 *   stdout (helper -> Node), one line per event:
 *     hello <protocol> <v1|v2|none> <cgroup dir, or why limits are not enforced>
 *     s <id> <pid> <memory limit enforced 0|1>
 *     f <id> <errno> <stage>            spawn failed before/at exec
 *     x <id> <pid> <code|-1> <signal|0> <oom 0|1> <user us> <sys us> <maxrss KiB>
 *   For one id, 's' always comes before 'x'; a 'K' right after an 'S' reaches that job.
 *
 * Threads: the main thread owns the pipes, the signalfd, reaping and deadlines; a few
 * spawner threads do the vfork()+execve(). vfork suspends only the calling thread, so a
 * child that waits for a CPU before it can exec (the norm on a host saturated by its
 * jobs) holds up one spawner, not every request queued behind it.
 *
 * A job lives in its own process group (when asked) and, with a memory limit,
 * in its own memory cgroup, which it joins BEFORE execve: either born there
 * (clone3 CLONE_INTO_CGROUP, cgroup v2) or by writing "0" to cgroup.procs from
 * the vfork child (v1, or v2 kernels without clone3). When a job's leader exits
 * the rest of its group and cgroup is killed (container semantics), then the
 * leader is reaped and its cgroup removed. Jobs die with the helper
 * (PR_SET_PDEATHSIG), and their orphans are reaped by it (child subreaper).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROTOCOL_VERSION 1
#define MAX_FRAME (64u << 20)
#define PID_SLOTS (4194304 + 1) /* PID_MAX_LIMIT on 64-bit Linux */
#define MAX_SPAWNERS 64
#define MAX_EARLY_KILLS 4

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

enum {
  F_PGROUP = 1,       /* new process group, pgid = pid; kill() targets the group */
  F_KILL_GROUP = 2,   /* when the leader exits, SIGKILL what is left of its group */
  F_APPEND = 4,       /* open stdout/stderr with O_APPEND instead of O_TRUNC */
  F_ERR_TO_OUT = 8,   /* stderr shares stdout's open file (one interleaved log) */
  F_MKDIRS = 16       /* create cwd and the output files' directories first (mkdir -p) */
};

enum stage { ST_NONE, ST_STDIN, ST_STDOUT, ST_STDERR, ST_CGROUP, ST_FORK, ST_SETPGID,
             ST_DUP, ST_CHDIR, ST_EXEC, ST_LAUNCHER };
static const char *const stage_names[] = { "none", "stdin", "stdout", "stderr", "cgroup", "fork",
                                           "setpgid", "dup", "chdir", "exec", "launcher" };

/* A link in an index by wire id (see "lookup by wire id" below). */
struct id_link { uint32_t id; struct id_link *next; };

struct job {
  uint32_t id;
  pid_t pid;
  uint32_t flags;
  int64_t kill_at_ms; /* SIGKILL escalation deadline (CLOCK_MONOTONIC), 0 = none */
  char *cgdir;        /* job's own memory cgroup, or NULL */
  long long oom_base; /* the cgroup's OOM-kill count when the job got it (cgroups are reused) */
  struct job *prev, *next;
  struct id_link by_id;
};

/* A spawn request, copied out of the input buffer: one allocation, strings included. */
struct task {
  uint32_t id, flags;
  uint64_t memory_limit;
  const char *cwd, *stdin_path, *stdout_path, *stderr_path, *path;
  char **argv, **envp;
  /* kill requests that arrived before the job existed, applied once it does */
  struct { int sig; uint32_t grace_ms; } kills[MAX_EARLY_KILLS];
  int nkills;
  struct task *next;
  struct id_link by_id; /* indexed from the moment it is queued until it is a job (or failed) */
};

/* Written by the child, read by its spawner once the child has exec'd or died. It lives in a
 * MAP_SHARED page so it works both for vfork (shared memory anyway) and for clone3 without
 * CLONE_VM (copy-on-write memory). One per spawner thread. */
struct child_report { volatile int err; volatile int stage; volatile pid_t pid; };

/* Everything the child needs, prepared by the spawner so the child only makes syscalls. */
struct launch {
  const char *file;
  char *const *argv;
  char *const *envp;
  const char *cwd;
  const char *path; /* PATH to search when file has no '/' */
  int in_fd, out_fd, err_fd;
  int procs_fd;     /* cgroup.procs to join before exec, or -1 */
  uint32_t flags;
  struct child_report *report;
};

struct spawner {
  pthread_t thread;
  struct child_report *report;
};

/* Everything below `mu` is shared between the main thread and the spawners. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static struct task *queue_head, *queue_tail;
static struct spawner spawners[MAX_SPAWNERS];
static int spawner_count = 4;
static int spawners_stop;
static size_t inflight;   /* tasks taken by spawners and not finished */
static struct job **by_pid;     /* pid -> live job; sparse, untouched pages cost nothing */
static struct job *jobs;        /* list of live jobs */
static size_t job_count, deadline_count;
static int shutting_down;
static int64_t shutdown_kill_at_ms, shutdown_give_up_ms;
static char **cg_pending;         /* job cgroups whose rmdir must be retried */
static size_t cg_pending_len, cg_pending_cap;
static char *out_buf;             /* reply lines not yet written */
static size_t out_len, out_cap;

/* Set up before the threads start, read-only afterwards. */
static int devnull_r = -1, devnull_w = -1, sig_fd = -1, wake_fd = -1;
static sigset_t empty_mask;
static pid_t launcher_pid;
enum { CG_NONE, CG_V1, CG_V2 };
static int cg_mode = CG_NONE;
static char cg_base[PATH_MAX];    /* <our cgroup>/stratus-launcher-<pid> */
static char cg_note[PATH_MAX + 256];
static int clone3_usable = 1;     /* atomic: cleared once if the kernel lacks clone3 */

/* ---- small helpers ------------------------------------------------------------------ */

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *what) {
  fprintf(stderr, "stratus-launcher: %s: %s\n", what, strerror(errno));
  exit(3);
}

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n);
  if (!q) die("out of memory");
  return q;
}

static void lock(void) { pthread_mutex_lock(&mu); }
static void unlock(void) { pthread_mutex_unlock(&mu); }

/* Appends a reply line. Caller holds mu. */
static void out_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out_printf(const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out_buf + out_len, out_cap - out_len, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < out_cap - out_len) { out_len += (size_t)n; return; }
    out_cap = out_cap * 2 + (size_t)n + 1;
    out_buf = xrealloc(out_buf, out_cap);
  }
}

/* Writes pending replies (main thread only; the write happens outside the lock). */
static char *flush_buf;
static size_t flush_cap;

static void flush_out(void) {
  lock();
  if (out_len == 0) { unlock(); return; }
  char *buf = out_buf;
  size_t len = out_len, cap = out_cap;
  out_buf = flush_buf ? flush_buf : xrealloc(NULL, 65536);
  out_cap = flush_buf ? flush_cap : 65536;
  out_len = 0;
  unlock();
  size_t off = 0;
  while (off < len) {
    ssize_t n = write(STDOUT_FILENO, buf + off, len - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      /* The parent is gone (EPIPE): nobody will read results; stop everything. */
      lock();
      if (!shutting_down) { shutting_down = 1; shutdown_give_up_ms = now_ms() + 5000; }
      unlock();
      break;
    }
    off += (size_t)n;
  }
  flush_buf = buf;
  flush_cap = cap;
}

static void wake_main(void) {
  uint64_t one = 1;
  ssize_t n = write(wake_fd, &one, sizeof one);
  (void)n;
}

static int write_file(const char *dir, const char *name, const char *value) {
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) { errno = ENAMETOOLONG; return -1; }
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = strlen(value);
  ssize_t n = write(fd, value, len);
  int saved = errno;
  close(fd);
  if (n != (ssize_t)len) { errno = n < 0 ? saved : EIO; return -1; }
  return 0;
}

static ssize_t read_file(const char *dir, const char *name, char *buf, size_t cap) {
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) { errno = ENAMETOOLONG; return -1; }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = 0;
  while (len + 1 < cap) {
    ssize_t n = read(fd, buf + len, cap - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += (size_t)n;
  }
  close(fd);
  buf[len] = 0;
  return (ssize_t)len;
}

/* Value of "key N" in a flat-keyed cgroup file (memory.events, memory.oom_control). -1 if absent. */
static long long keyed_value(const char *text, const char *key) {
  size_t klen = strlen(key);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
    if (strncmp(p, key, klen) == 0 && p[klen] == ' ') return strtoll(p + klen + 1, NULL, 10);
  }
  return -1;
}

static int has_word(const char *list, const char *word, char sep) {
  size_t wlen = strlen(word);
  for (const char *p = list; *p;) {
    const char *end = p;
    while (*end && *end != sep && *end != '\n' && *end != ' ') end++;
    if ((size_t)(end - p) == wlen && strncmp(p, word, wlen) == 0) return 1;
    if (!*end) break;
    p = end + 1;
  }
  return 0;
}

/* ---- cgroups ------------------------------------------------------------------------ */

/* Where is our own cgroup of the given kind mounted? v1: the hierarchy carrying "memory";
 * v2: the unified hierarchy. Joins the mount point with our path below the mount's root. */
static int find_own_cgroup(int want_v2, char *dir, size_t cap) {
  char own[PATH_MAX] = "";
  FILE *f = fopen("/proc/self/cgroup", "re");
  if (!f) return -1;
  char line[PATH_MAX + 256];
  while (fgets(line, sizeof line, f)) {
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    *c1 = 0; *c2 = 0;
    char *path = c2 + 1;
    path[strcspn(path, "\n")] = 0;
    if (want_v2 ? (strcmp(line, "0") == 0 && c1[1] == 0) : has_word(c1 + 1, "memory", ',')) {
      snprintf(own, sizeof own, "%s", path);
      break;
    }
  }
  fclose(f);
  if (!own[0]) return -1;

  f = fopen("/proc/self/mountinfo", "re");
  if (!f) return -1;
  int found = -1;
  while (fgets(line, sizeof line, f)) {
    /* id parent maj:min root mountpoint options [optional...] - fstype source superoptions */
    char *fields[6] = {0};
    char *save = NULL, *tok = strtok_r(line, " \n", &save);
    for (int i = 0; tok && i < 5; i++, tok = strtok_r(NULL, " \n", &save)) fields[i] = tok;
    while (tok && strcmp(tok, "-") != 0) tok = strtok_r(NULL, " \n", &save);
    if (!tok) continue;
    char *fstype = strtok_r(NULL, " \n", &save);
    strtok_r(NULL, " \n", &save);
    char *super = strtok_r(NULL, " \n", &save);
    if (!fstype || !fields[3] || !fields[4]) continue;
    int match = want_v2 ? strcmp(fstype, "cgroup2") == 0
                        : strcmp(fstype, "cgroup") == 0 && super && has_word(super, "memory", ',');
    if (!match) continue;
    const char *root = fields[3], *rel = own;
    size_t rlen = strlen(root);
    if (strcmp(root, "/") != 0) {
      if (strncmp(own, root, rlen) != 0 || (own[rlen] != 0 && own[rlen] != '/')) continue;
      rel = own + rlen;
    }
    if (strcmp(rel, "/") == 0) rel = "";
    if (snprintf(dir, cap, "%s%s", fields[4], rel) < (int)cap) found = 0;
    break;
  }
  fclose(f);
  return found;
}

static void cg_disable(const char *fmt, const char *arg, int err) {
  cg_mode = CG_NONE;
  snprintf(cg_note, sizeof cg_note, fmt, arg, err ? strerror(err) : "");
}

/* Whether the helper of that pid is gone: no such process, or a zombie nobody reaped yet (a
 * helper killed with its engine is reparented to an init that may reap it late). */
static int launcher_dead(pid_t pid) {
  if (kill(pid, 0) < 0) return errno == ESRCH;
  char path[64], stat[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return 1;
  size_t n = fread(stat, 1, sizeof stat - 1, f);
  fclose(f);
  stat[n] = 0;
  const char *end = strrchr(stat, ')');
  return end && end[1] == ' ' && end[2] == 'Z';
}

/* Removes what helpers that died without cleaning up (SIGKILL) left below parent. Their jobs
 * died with them (PR_SET_PDEATHSIG), so their cgroups are empty or about to be. */
static void cg_sweep_stale(const char *parent) {
  DIR *d = opendir(parent);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strncmp(e->d_name, "stratus-launcher-", 17) != 0) continue;
    long pid = strtol(e->d_name + 17, NULL, 10);
    if (pid <= 0 || pid == (long)getpid() || !launcher_dead((pid_t)pid)) continue;
    char base[PATH_MAX];
    if (snprintf(base, sizeof base, "%s/%s", parent, e->d_name) >= (int)sizeof base) continue;
    DIR *jobs_dir = opendir(base);
    if (jobs_dir) {
      struct dirent *j;
      while ((j = readdir(jobs_dir))) {
        char job[PATH_MAX];
        if (strncmp(j->d_name, "job-", 4) != 0) continue;
        if (snprintf(job, sizeof job, "%s/%s", base, j->d_name) < (int)sizeof job) rmdir(job);
      }
      closedir(jobs_dir);
    }
    rmdir(base);
  }
  closedir(d);
}

/* Prepares <parent>/stratus-launcher-<pid> under which each limited job gets its own cgroup. */
static void cg_setup(int mode, const char *parent) {
  char buf[4096];
  if (mode == CG_V2) {
    if (read_file(parent, "cgroup.controllers", buf, sizeof buf) < 0 || !has_word(buf, "memory", ' ')) {
      cg_disable("cgroup v2 at %s has no memory controller%s", parent, 0);
      return;
    }
    if (read_file(parent, "cgroup.subtree_control", buf, sizeof buf) < 0 || !has_word(buf, "memory", ' ')) {
      /* Fails with EBUSY when the parent holds processes (the "no internal processes" rule),
       * which is the usual case for a non-delegated cgroup. */
      if (write_file(parent, "cgroup.subtree_control", "+memory") < 0) {
        cg_disable("cannot enable the memory controller below %s: %s (give the launcher a delegated cgroup)",
                   parent, errno);
        return;
      }
    }
  }
  cg_sweep_stale(parent);
  if (snprintf(cg_base, sizeof cg_base, "%s/stratus-launcher-%d", parent, (int)getpid()) >= (int)sizeof cg_base) {
    cg_disable("cgroup path too long: %s%s", parent, 0);
    return;
  }
  if (mkdir(cg_base, 0755) < 0 && errno != EEXIST) {
    cg_disable("cannot create a cgroup below %s: %s", parent, errno);
    return;
  }
  if (mode == CG_V2 && write_file(cg_base, "cgroup.subtree_control", "+memory") < 0) {
    int err = errno;
    rmdir(cg_base);
    cg_disable("cannot enable the memory controller in %s: %s", cg_base, err);
    return;
  }
  cg_mode = mode;
  snprintf(cg_note, sizeof cg_note, "%s", cg_base);
}

static void cg_detect(const char *spec) {
  char dir[PATH_MAX];
  if (strcmp(spec, "none") == 0) { cg_disable("memory limits disabled by the launcher's caller%s%s", "", 0); return; }
  if (strncmp(spec, "v1:", 3) == 0) { cg_setup(CG_V1, spec + 3); return; }
  if (strncmp(spec, "v2:", 3) == 0) { cg_setup(CG_V2, spec + 3); return; }
  /* auto: a v1 memory hierarchy wins (hybrid systems mount an empty v2 alongside it). */
  if (find_own_cgroup(0, dir, sizeof dir) == 0) { cg_setup(CG_V1, dir); return; }
  if (find_own_cgroup(1, dir, sizeof dir) == 0) { cg_setup(CG_V2, dir); return; }
  cg_disable("no writable memory cgroup found%s%s", "", 0);
}

/* Creates the job's cgroup with its limit. Returns a malloc'd path, or NULL with errno set. */
/* Memory cgroups are pooled: making and removing one costs the kernel far more than
 * writing a new limit into an idle one. A cgroup goes back to the pool only when its
 * job's processes are gone and (almost) nothing is still charged to it (see
 * cg_release), so a job does not inherit another's page cache; the OOM-kill counter is
 * read when a job takes the cgroup and compared when it ends. Guarded by mu. */
#define CG_POOL_MAX 128
#define CG_REUSE_MAX_CHARGE (256 * 1024)
static char *cg_pool[CG_POOL_MAX];
static int cg_pool_len = 0;
static unsigned cg_next = 0;

static long long cg_oom_count(const char *dir);

static char *cg_create_job(uint64_t limit, long long *oom_base) {
  char dir[PATH_MAX], value[32];
  char *pooled = NULL;
  lock();
  if (cg_pool_len > 0) pooled = cg_pool[--cg_pool_len];
  unsigned seq = cg_next++;
  unlock();
  if (pooled) {
    snprintf(dir, sizeof dir, "%s", pooled);
    free(pooled);
  } else {
    if (snprintf(dir, sizeof dir, "%s/job-%u", cg_base, seq) >= (int)sizeof dir) { errno = ENAMETOOLONG; return NULL; }
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) return NULL;
  }
  snprintf(value, sizeof value, "%llu", (unsigned long long)limit);
  int rc;
  if (cg_mode == CG_V1) {
    /* memsw must stay >= limit: when lowering, set the limit first; when raising, memsw first. */
    rc = write_file(dir, "memory.limit_in_bytes", value);
    int memsw = write_file(dir, "memory.memsw.limit_in_bytes", value);
    if (rc < 0 && memsw == 0) rc = write_file(dir, "memory.limit_in_bytes", value);
  } else {
    rc = write_file(dir, "memory.max", value);
    if (rc == 0) {
      (void)write_file(dir, "memory.swap.max", "0");
      (void)write_file(dir, "memory.oom.group", "1"); /* an OOM kills the whole job, like a container */
    }
  }
  if (rc < 0) {
    int err = errno;
    rmdir(dir);
    errno = err;
    return NULL;
  }
  *oom_base = cg_oom_count(dir);
  return strdup(dir);
}

static void cg_kill_members(const char *dir) {
  if (cg_mode == CG_V2 && write_file(dir, "cgroup.kill", "1") == 0) return;
  char buf[16384];
  if (read_file(dir, "cgroup.procs", buf, sizeof buf) <= 0) return;
  for (char *p = buf; *p;) {
    long pid = strtol(p, &p, 10);
    if (pid > 0) kill((pid_t)pid, SIGKILL);
    while (*p == '\n') p++;
  }
}

/* The cgroup's OOM-kill counter, or -1 when the kernel has none (before 4.13). */
static long long cg_oom_count(const char *dir) {
  char buf[1024];
  const char *file = cg_mode == CG_V1 ? "memory.oom_control" : "memory.events";
  if (read_file(dir, file, buf, sizeof buf) < 0) return -1;
  return keyed_value(buf, "oom_kill");
}

/* Did the kernel's OOM killer act inside the job's cgroup since the job got it? */
static int cg_oom_killed(const char *dir, int status, long long base) {
  char buf[1024];
  long long kills = cg_oom_count(dir);
  if (kills >= 0) return kills > (base > 0 ? base : 0);
  /* Kernels before 4.13 have no oom_kill counter: a SIGKILL after hitting the limit. */
  int sigkilled = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  const char *file = cg_mode == CG_V1 ? "memory.oom_control" : "memory.events";
  if (cg_mode == CG_V2) return sigkilled && read_file(dir, file, buf, sizeof buf) >= 0 && keyed_value(buf, "oom") > 0;
  if (read_file(dir, "memory.failcnt", buf, sizeof buf) < 0) return 0;
  return sigkilled && strtoll(buf, NULL, 10) > 0;
}

static void cg_remove_later(char *dir) {
  if (cg_pending_len == cg_pending_cap) {
    cg_pending_cap = cg_pending_cap ? cg_pending_cap * 2 : 16;
    cg_pending = xrealloc(cg_pending, cg_pending_cap * sizeof *cg_pending);
  }
  cg_pending[cg_pending_len++] = dir;
}

static void cg_remove(char *dir) {
  if (rmdir(dir) == 0 || errno == ENOENT) { free(dir); return; }
  cg_kill_members(dir); /* stragglers (already SIGKILLed) may not be reaped yet */
  cg_remove_later(dir);
}

/* A finished job's cgroup: back to the pool when empty and (almost) uncharged, else removed. */
static void cg_release(char *dir) {
  char buf[64];
  const char *usage = cg_mode == CG_V1 ? "memory.usage_in_bytes" : "memory.current";
  int idle = read_file(dir, "cgroup.procs", buf, sizeof buf) == 0;
  if (idle && read_file(dir, usage, buf, sizeof buf) > 0 && strtoll(buf, NULL, 10) <= CG_REUSE_MAX_CHARGE &&
      cg_pool_len < CG_POOL_MAX) {
    cg_pool[cg_pool_len++] = dir;
    return;
  }
  cg_remove(dir);
}

/* Removes every pooled cgroup (at shutdown). With mu held. */
static void cg_drain_pool(void) {
  while (cg_pool_len > 0) cg_remove(cg_pool[--cg_pool_len]);
}

static void cg_retry_pending(void) {
  size_t keep = 0;
  for (size_t i = 0; i < cg_pending_len; i++) {
    if (rmdir(cg_pending[i]) == 0 || errno == ENOENT) free(cg_pending[i]);
    else cg_pending[keep++] = cg_pending[i];
  }
  cg_pending_len = keep;
}

/* ---- the child side (async-signal-safe calls only: it shares its spawner's memory) ---- */

static void __attribute__((noreturn)) child_fail(struct child_report *report, int stage) {
  report->err = errno ? errno : EINVAL;
  report->stage = stage;
  _exit(127);
}

static void __attribute__((noreturn)) child_exec(const struct launch *l) {
  /* Tell the reaper that this pid, not yet registered by our spawner, is no orphan. */
  __atomic_store_n(&l->report->pid, (pid_t)syscall(SYS_getpid), __ATOMIC_RELEASE);
  /* If the launcher dies nobody can report or kill this job: let it die too. (The signal
   * follows the death of the parent *thread*: spawners only stop once no job is left.) */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != launcher_pid) _exit(127);
  if ((l->flags & F_PGROUP) && setpgid(0, 0) < 0) child_fail(l->report, ST_SETPGID);
  /* Join the job's cgroup before exec, so nothing the program allocates escapes the limit. */
  if (l->procs_fd >= 0 && write(l->procs_fd, "0", 1) != 1) child_fail(l->report, ST_CGROUP);
  if (dup2(l->in_fd, STDIN_FILENO) < 0 || dup2(l->out_fd, STDOUT_FILENO) < 0 ||
      dup2(l->err_fd, STDERR_FILENO) < 0) child_fail(l->report, ST_DUP);
  if (l->cwd[0] && chdir(l->cwd) < 0) child_fail(l->report, ST_CHDIR);
  sigprocmask(SIG_SETMASK, &empty_mask, NULL);

  if (strchr(l->file, '/')) {
    execve(l->file, l->argv, l->envp);
    child_fail(l->report, ST_EXEC);
  }
  /* PATH search the way execvp does it, but with the child's PATH, not ours. */
  char candidate[PATH_MAX];
  size_t flen = strlen(l->file);
  int saw_eacces = 0;
  for (const char *p = l->path;;) {
    const char *end = strchr(p, ':');
    size_t dlen = end ? (size_t)(end - p) : strlen(p);
    if (dlen + flen + 2 <= sizeof candidate) {
      if (dlen == 0) { candidate[0] = '.'; dlen = 1; } else memcpy(candidate, p, dlen);
      candidate[dlen] = '/';
      memcpy(candidate + dlen + 1, l->file, flen + 1);
      execve(candidate, l->argv, l->envp);
      switch (errno) {
        case EACCES: saw_eacces = 1; break;
        case ENOENT: case ENOTDIR: case ESTALE: case ELOOP: case ENAMETOOLONG: case ENODEV: case ETIMEDOUT: break;
        default: child_fail(l->report, ST_EXEC);
      }
    }
    if (!end) break;
    p = end + 1;
  }
  errno = saw_eacces ? EACCES : ENOENT;
  child_fail(l->report, ST_EXEC);
}

struct clone_args_v2 {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
      set_tid_size, cgroup;
};

/* Starts the child. The calling thread is suspended until the child has exec'd or failed. */
static pid_t launch(struct launch *l, int cgroup_dir_fd) {
#ifdef SYS_clone3
  if (cgroup_dir_fd >= 0 && __atomic_load_n(&clone3_usable, __ATOMIC_RELAXED)) {
    /* Born inside the cgroup: no migration, no window outside the limit. No CLONE_VM here
     * (a shared stack needs an assembly trampoline), so the tiny launcher is copied on write. */
    int procs_fd = l->procs_fd;
    l->procs_fd = -1; /* already there: skip the migration (and its lock) in the child */
    struct clone_args_v2 args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_VFORK | CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = (uint64_t)cgroup_dir_fd;
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) child_exec(l);
    if (pid > 0) return (pid_t)pid;
    if (errno != ENOSYS && errno != E2BIG && errno != EINVAL) return -1;
    __atomic_store_n(&clone3_usable, 0, __ATOMIC_RELAXED); /* old kernel: join from the vfork child */
    l->procs_fd = procs_fd;
  }
#endif
  (void)cgroup_dir_fd;
  pid_t pid = vfork();
  if (pid == 0) child_exec(l);
  return pid;
}

/* ---- lookup by wire id (with mu held) --------------------------------------------------
 * A kill frame names its job by the id Node gave it. Live jobs, and tasks not started yet
 * (queued, or with a spawner), are each indexed by that id, so a kill finds its target in
 * O(1): terminating a 10,000-child array sends 10,000 kills, and a scan of the job list and
 * the queue for each made that quadratic. Chained and intrusive (no allocation per entry),
 * doubled when it holds as many entries as slots; kept in step with the list and the queue. */
struct id_index { struct id_link **slots; size_t mask, count; };
static struct id_index jobs_by_id, tasks_by_id;

#define CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Multiplying by an odd constant permutes the ids modulo the table size: sequential ids never collide. */
static size_t id_slot(uint32_t id, size_t mask) { return (size_t)(uint32_t)(id * 2654435761u) & mask; }

static void id_grow(struct id_index *x) {
  size_t cap = x->slots ? (x->mask + 1) * 2 : 1024;
  struct id_link **slots = calloc(cap, sizeof *slots);
  if (!slots) die("out of memory");
  if (x->slots) {
    for (size_t i = 0; i <= x->mask; i++) {
      for (struct id_link *l = x->slots[i], *next; l; l = next) {
        next = l->next;
        size_t at = id_slot(l->id, cap - 1);
        l->next = slots[at];
        slots[at] = l;
      }
    }
    free(x->slots);
  }
  x->slots = slots;
  x->mask = cap - 1;
}

static void id_add(struct id_index *x, struct id_link *l, uint32_t id) {
  if (!x->slots || x->count > x->mask) id_grow(x);
  size_t at = id_slot(id, x->mask);
  l->id = id;
  l->next = x->slots[at];
  x->slots[at] = l;
  x->count++;
}

static void id_remove(struct id_index *x, struct id_link *l) {
  if (!x->slots) return;
  for (struct id_link **p = &x->slots[id_slot(l->id, x->mask)]; *p; p = &(*p)->next) {
    if (*p == l) { *p = l->next; x->count--; return; }
  }
}

static struct id_link *id_find(const struct id_index *x, uint32_t id) {
  if (!x->slots) return NULL;
  for (struct id_link *l = x->slots[id_slot(id, x->mask)]; l; l = l->next) if (l->id == id) return l;
  return NULL;
}

/* ---- jobs (all with mu held) -------------------------------------------------------- */

static void job_link(struct job *j) {
  if (j->pid <= 0 || j->pid >= PID_SLOTS) { errno = ERANGE; die("pid out of range"); }
  j->prev = NULL;
  j->next = jobs;
  if (jobs) jobs->prev = j;
  jobs = j;
  by_pid[j->pid] = j;
  id_add(&jobs_by_id, &j->by_id, j->id);
  job_count++;
}

static void job_unlink(struct job *j) {
  if (j->prev) j->prev->next = j->next; else jobs = j->next;
  if (j->next) j->next->prev = j->prev;
  by_pid[j->pid] = NULL;
  id_remove(&jobs_by_id, &j->by_id);
  if (j->kill_at_ms) deadline_count--;
  job_count--;
}

static struct job *job_by_id(uint32_t id) {
  struct id_link *l = id_find(&jobs_by_id, id);
  return l ? CONTAINER_OF(l, struct job, by_id) : NULL;
}

static void job_signal(struct job *j, int sig) {
  kill((j->flags & F_PGROUP) ? -j->pid : j->pid, sig);
  if (sig == SIGKILL && j->cgdir) cg_kill_members(j->cgdir);
}

static void job_set_deadline(struct job *j, int64_t at) {
  if (!j->kill_at_ms && at) deadline_count++;
  if (j->kill_at_ms && !at) deadline_count--;
  j->kill_at_ms = at;
}

static void job_kill_request(struct job *j, int sig, uint32_t grace_ms) {
  if (sig) job_signal(j, sig);
  if (grace_ms) job_set_deadline(j, now_ms() + grace_ms);
}

static void spawn_failed(uint32_t id, int err, int stage) {
  out_printf("f %u %d %s\n", id, err, stage_names[stage]);
}

/* ---- spawner threads ---------------------------------------------------------------- */

/* mkdir -p: creates path and its missing parents (0755); an existing directory is fine. */
static int mkdir_p(const char *path) {
  char buf[PATH_MAX];
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof buf) return n == 0 ? 0 : (errno = ENAMETOOLONG, -1);
  memcpy(buf, path, n + 1);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(buf, 0755) < 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return (mkdir(buf, 0755) < 0 && errno != EEXIST) ? -1 : 0;
}

/* mkdir -p of the directory holding a file path. */
static int mkdir_parent(const char *file) {
  char buf[PATH_MAX];
  const char *slash = strrchr(file, '/');
  if (!slash || slash == file) return 0;
  size_t n = (size_t)(slash - file);
  if (n >= sizeof buf) return errno = ENAMETOOLONG, -1;
  memcpy(buf, file, n);
  buf[n] = 0;
  return mkdir_p(buf);
}

static int open_output(const char *path, uint32_t flags) {
  if (!path[0]) return devnull_w;
  return open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | ((flags & F_APPEND) ? O_APPEND : O_TRUNC), 0644);
}

/* Starts one task and reports it: 's' (and any early kills applied) or 'f'. */
static void run_task(struct spawner *sp, struct task *t) {
  int in_fd = devnull_r, out_fd = devnull_w, err_fd = devnull_w, procs_fd = -1, cg_fd = -1;
  char *cgdir = NULL;
  long long oom_base = 0;
  int fail_stage = ST_NONE, fail_err = 0, enforced = 0;
  pid_t pid = -1;

  if (t->flags & F_MKDIRS) {
    /* In this spawner thread, not in Node: creating directories costs the event loop nothing. */
    if (t->cwd[0] && mkdir_p(t->cwd) < 0) { fail_stage = ST_CHDIR; fail_err = errno; goto report; }
    if (t->stdout_path[0] && mkdir_parent(t->stdout_path) < 0) { fail_stage = ST_STDOUT; fail_err = errno; goto report; }
    if (t->stderr_path[0] && mkdir_parent(t->stderr_path) < 0) { fail_stage = ST_STDERR; fail_err = errno; goto report; }
  }
  if (t->stdin_path[0] && (in_fd = open(t->stdin_path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
    fail_stage = ST_STDIN; fail_err = errno; goto report;
  }
  if ((out_fd = open_output(t->stdout_path, t->flags)) < 0) { fail_stage = ST_STDOUT; fail_err = errno; goto report; }
  if (t->flags & F_ERR_TO_OUT) err_fd = out_fd;
  else if ((err_fd = open_output(t->stderr_path, t->flags)) < 0) { fail_stage = ST_STDERR; fail_err = errno; goto report; }
  if (t->memory_limit && cg_mode != CG_NONE) {
    if (!(cgdir = cg_create_job(t->memory_limit, &oom_base))) { fail_stage = ST_CGROUP; fail_err = errno; goto report; }
    if (cg_mode == CG_V2 && __atomic_load_n(&clone3_usable, __ATOMIC_RELAXED)) cg_fd = open(cgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char procs[PATH_MAX];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", cgdir);
    if ((procs_fd = open(procs, O_WRONLY | O_CLOEXEC)) < 0) { fail_stage = ST_CGROUP; fail_err = errno; goto report; }
    enforced = 1;
  }

  struct launch l = {
    .file = t->argv[0], .argv = t->argv, .envp = t->envp, .cwd = t->cwd, .path = t->path,
    .in_fd = in_fd, .out_fd = out_fd, .err_fd = err_fd, .procs_fd = procs_fd, .flags = t->flags,
    .report = sp->report,
  };
  sp->report->err = 0;
  sp->report->stage = ST_NONE;
  pid = launch(&l, cg_fd);
  if (pid < 0) { fail_stage = ST_FORK; fail_err = errno; }
  else if (sp->report->err) {
    fail_stage = sp->report->stage;
    fail_err = sp->report->err;
    waitpid(pid, NULL, 0); /* the failed child is ours to reap; it is no job */
  }

report:
  if (cg_fd >= 0) close(cg_fd);
  if (procs_fd >= 0) close(procs_fd);
  if (in_fd >= 0 && in_fd != devnull_r) close(in_fd);
  if (out_fd >= 0 && out_fd != devnull_w) close(out_fd);
  if (err_fd >= 0 && err_fd != devnull_w && err_fd != out_fd) close(err_fd);
  struct job *j = NULL;
  if (fail_stage == ST_NONE) {
    j = calloc(1, sizeof *j);
    if (!j) die("out of memory");
    j->id = t->id;
    j->pid = pid;
    j->flags = t->flags;
    j->cgdir = cgdir;
    j->oom_base = oom_base;
    cgdir = NULL;
  }
  lock();
  __atomic_store_n(&sp->report->pid, 0, __ATOMIC_RELEASE); /* registered (or reaped): reaper's now */
  if (j) {
    job_link(j);
    out_printf("s %u %d %d\n", t->id, (int)pid, enforced);
    for (int i = 0; i < t->nkills; i++) job_kill_request(j, t->kills[i].sig, t->kills[i].grace_ms);
    if (shutting_down) {
      if (shutdown_kill_at_ms) { job_signal(j, SIGTERM); job_set_deadline(j, shutdown_kill_at_ms); }
      else job_signal(j, SIGKILL);
    }
  } else {
    spawn_failed(t->id, fail_err, fail_stage);
  }
  if (cgdir) { if (rmdir(cgdir) == 0) free(cgdir); else cg_remove_later(cgdir); }
  id_remove(&tasks_by_id, &t->by_id); /* a job now (found by job_by_id), or failed */
  inflight--;
  unlock();
  free(t);
  wake_main();
}

static void *spawner_main(void *arg) {
  struct spawner *sp = arg;
  for (;;) {
    lock();
    while (!queue_head && !spawners_stop) pthread_cond_wait(&work, &mu);
    if (!queue_head) { unlock(); return NULL; }
    struct task *t = queue_head;
    queue_head = t->next;
    if (!queue_head) queue_tail = NULL;
    inflight++;
    unlock();
    run_task(sp, t);
  }
}

/* ---- reaping, deadlines, shutdown (main thread) --------------------------------------- */

static void finish_job(struct job *j, int status, const struct rusage *ru) {
  int oom = j->cgdir ? cg_oom_killed(j->cgdir, status, j->oom_base) : 0;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  long long ut = (long long)ru->ru_utime.tv_sec * 1000000 + ru->ru_utime.tv_usec;
  long long st = (long long)ru->ru_stime.tv_sec * 1000000 + ru->ru_stime.tv_usec;
  out_printf("x %u %d %d %d %d %lld %lld %ld\n", j->id, (int)j->pid, code, sig, oom, ut, st, ru->ru_maxrss);
  job_unlink(j);
  if (j->cgdir) cg_release(j->cgdir);
  free(j);
}

/* Is pid a child that a spawner has started but not registered yet? With mu held. */
static int being_started(pid_t pid) {
  for (int i = 0; i < spawner_count; i++)
    if (__atomic_load_n(&spawners[i].report->pid, __ATOMIC_ACQUIRE) == pid) return 1;
  return 0;
}

/* Reaps every child that has exited. A job's leftovers (its process group, its cgroup) are
 * killed while the leader is still a zombie, so its pid cannot have been reused yet. */
static void reap(void) {
  lock();
  for (;;) {
    siginfo_t si;
    si.si_pid = 0;
    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0) break;
    pid_t pid = si.si_pid;
    struct job *j = pid < PID_SLOTS ? by_pid[pid] : NULL;
    /* Unknown: an orphan, or a child a spawner has not registered yet (then wait for it). */
    if (!j && being_started(pid)) break;
    if (j && (j->flags & F_PGROUP) && (j->flags & F_KILL_GROUP)) kill(-pid, SIGKILL);
    if (j && j->cgdir && (j->flags & F_KILL_GROUP)) cg_kill_members(j->cgdir);
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) continue;
    if (j) finish_job(j, status, &ru); /* else an orphaned grandchild: we are its subreaper */
  }
  unlock();
}

static void run_deadlines(int64_t now) {
  lock();
  if (deadline_count) {
    for (struct job *j = jobs; j; j = j->next) {
      if (j->kill_at_ms && j->kill_at_ms <= now) {
        job_set_deadline(j, 0);
        job_signal(j, SIGKILL);
      }
    }
  }
  if (shutting_down && shutdown_kill_at_ms && shutdown_kill_at_ms <= now) {
    shutdown_kill_at_ms = 0;
    for (struct job *j = jobs; j; j = j->next) job_signal(j, SIGKILL);
  }
  if (cg_pending_len) cg_retry_pending();
  unlock();
}

static int poll_timeout(int64_t now) {
  int64_t next = INT64_MAX;
  lock();
  if (deadline_count)
    for (struct job *j = jobs; j; j = j->next)
      if (j->kill_at_ms && j->kill_at_ms < next) next = j->kill_at_ms;
  if (shutdown_kill_at_ms && shutdown_kill_at_ms < next) next = shutdown_kill_at_ms;
  if (shutting_down && shutdown_give_up_ms < next) next = shutdown_give_up_ms;
  if (cg_pending_len && now + 20 < next) next = now + 20;
  unlock();
  if (next == INT64_MAX) return -1;
  return next <= now ? 0 : (int)(next - now);
}

/* With mu held. Queued requests are refused; running jobs get SIGTERM, or SIGKILL at once. */
static void begin_shutdown_locked(uint32_t grace_ms) {
  if (shutting_down) return;
  shutting_down = 1;
  int64_t now = now_ms();
  for (struct task *t = queue_head, *next; t; t = next) {
    next = t->next;
    spawn_failed(t->id, ESHUTDOWN, ST_LAUNCHER);
    id_remove(&tasks_by_id, &t->by_id);
    free(t);
  }
  queue_head = queue_tail = NULL;
  int sig = grace_ms ? SIGTERM : SIGKILL;
  for (struct job *j = jobs; j; j = j->next) job_signal(j, sig);
  shutdown_kill_at_ms = grace_ms ? now + grace_ms : 0;
  shutdown_give_up_ms = now + grace_ms + 5000;
}

static void begin_shutdown(uint32_t grace_ms) {
  lock();
  begin_shutdown_locked(grace_ms);
  unlock();
}

/* ---- request parsing (main thread) ---------------------------------------------------- */

static uint32_t get_u32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get_u64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static void protocol_error(const char *what) {
  fprintf(stderr, "stratus-launcher: protocol error: %s\n", what);
  exit(3);
}

/* Copies a spawn frame into a task: the input buffer is reused as soon as we return. */
static struct task *task_from_frame(const unsigned char *p, uint32_t len) {
  if (len < 24) protocol_error("short spawn frame");
  uint32_t argc = get_u32(p + 16), envc = get_u32(p + 20);
  if (argc < 1 || argc > len || envc > len) protocol_error("bad argc/envc");
  const char *strings = (const char *)p + 24, *end = (const char *)p + len;
  size_t count = 4 + (size_t)argc + envc, bytes = 0;
  for (size_t i = 0; i < count; i++) {
    const char *nul = memchr(strings + bytes, 0, (size_t)(end - strings) - bytes);
    if (!nul) protocol_error("unterminated string");
    bytes = (size_t)(nul + 1 - strings);
  }
  size_t pointers = ((size_t)argc + 1 + envc + 1) * sizeof(char *);
  struct task *t = malloc(sizeof *t + pointers + bytes);
  if (!t) die("out of memory");
  memset(t, 0, sizeof *t);
  t->id = get_u32(p);
  t->flags = get_u32(p + 4);
  t->memory_limit = get_u64(p + 8);
  t->argv = (char **)(t + 1);
  t->envp = t->argv + argc + 1;
  char *copy = (char *)(t->envp + envc + 1);
  memcpy(copy, strings, bytes);
  const char *fields[4];
  char *s = copy;
  for (size_t i = 0; i < count; i++) {
    if (i < 4) fields[i] = s;
    else if (i < 4 + argc) t->argv[i - 4] = s;
    else t->envp[i - 4 - argc] = s;
    s += strlen(s) + 1;
  }
  t->argv[argc] = NULL;
  t->envp[envc] = NULL;
  t->cwd = fields[0];
  t->stdin_path = fields[1];
  t->stdout_path = fields[2];
  t->stderr_path = fields[3];
  t->path = "/usr/local/bin:/usr/bin:/bin";
  for (uint32_t i = 0; i < envc; i++)
    if (strncmp(t->envp[i], "PATH=", 5) == 0) t->path = t->envp[i] + 5;
  return t;
}

/* A kill for a job that does not exist yet (queued, or being started) waits on its task. */
static struct task *pending_task(uint32_t id) {
  struct id_link *l = id_find(&tasks_by_id, id);
  return l ? CONTAINER_OF(l, struct task, by_id) : NULL;
}

static int queued_any;

static void handle_frame(const unsigned char *p, uint32_t len) {
  if (len < 1) protocol_error("empty frame");
  unsigned char op = p[0];
  p++; len--;
  if (op == 'S') {
    struct task *t = task_from_frame(p, len);
    lock();
    if (shutting_down) {
      spawn_failed(t->id, ESHUTDOWN, ST_LAUNCHER);
      free(t);
    } else {
      if (queue_tail) queue_tail->next = t; else queue_head = t;
      queue_tail = t;
      id_add(&tasks_by_id, &t->by_id, t->id);
      queued_any = 1;
    }
    unlock();
  } else if (op == 'K') {
    if (len < 12) protocol_error("short kill frame");
    uint32_t id = get_u32(p), sig = get_u32(p + 4), grace = get_u32(p + 8);
    lock();
    struct job *j = job_by_id(id);
    struct task *t;
    if (j) job_kill_request(j, (int)sig, grace);
    else if ((t = pending_task(id))) {
      int slot = t->nkills < MAX_EARLY_KILLS ? t->nkills++ : MAX_EARLY_KILLS - 1;
      t->kills[slot].sig = (int)sig;
      t->kills[slot].grace_ms = grace;
    } /* else: already exited, nothing to kill */
    unlock();
  } else if (op == 'Q') {
    if (len < 4) protocol_error("short quit frame");
    begin_shutdown(get_u32(p));
  } else {
    protocol_error("unknown op");
  }
}

static unsigned char *in_buf;
static size_t in_len, in_cap;
static int stdin_open = 1;

static void read_requests(void) {
  if (in_cap - in_len < 65536) { in_cap = in_cap * 2 + 65536; in_buf = xrealloc(in_buf, in_cap); }
  ssize_t n = read(STDIN_FILENO, in_buf + in_len, in_cap - in_len);
  if (n < 0) { if (errno == EINTR || errno == EAGAIN) return; die("read"); }
  if (n == 0) { stdin_open = 0; begin_shutdown(0); return; }
  in_len += (size_t)n;
  size_t off = 0;
  while (in_len - off >= 4) {
    uint32_t flen = get_u32(in_buf + off);
    if (flen > MAX_FRAME) protocol_error("frame too large");
    if (in_len - off - 4 < flen) break; /* partial frame: the buffer grows on the next read */
    handle_frame(in_buf + off + 4, flen);
    off += 4 + (size_t)flen;
  }
  if (off) { memmove(in_buf, in_buf + off, in_len - off); in_len -= off; }
  if (queued_any) {
    queued_any = 0;
    pthread_cond_broadcast(&work);
  }
}

/* ---- main --------------------------------------------------------------------------- */

int main(int argc, char **argv) {
  const char *cgroup_spec = "auto";
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--cgroup=", 9) == 0) cgroup_spec = argv[i] + 9;
    else if (strncmp(argv[i], "--spawners=", 11) == 0) spawner_count = atoi(argv[i] + 11);
    else if (strcmp(argv[i], "--version") == 0) { printf("stratus-launcher %d\n", PROTOCOL_VERSION); return 0; }
    else { fprintf(stderr, "usage: stratus-launcher [--cgroup=auto|none|v1:DIR|v2:DIR] [--spawners=1..64]\n"); return 2; }
  }
  if (spawner_count < 1 || spawner_count > MAX_SPAWNERS) { fprintf(stderr, "stratus-launcher: --spawners must be 1..%d\n", MAX_SPAWNERS); return 2; }

  /* Files we open must never land on 0-2 (a job's dup2 onto its stdio would clobber them). */
  for (int fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd) return 3;
  }
  /* Nothing we inherited beyond stdio may leak into jobs. */
#ifdef SYS_close_range
  if (syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) < 0)
#endif
  {
    for (int fd = 3; fd < 1024; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  /* Jobs must start with default dispositions: reset anything our parent ignored. */
  for (int s = 1; s < NSIG; s++) {
    struct sigaction sa;
    if (sigaction(s, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN && s != SIGKILL && s != SIGSTOP) {
      sa.sa_handler = SIG_DFL;
      sigaction(s, &sa, NULL);
    }
  }
  launcher_pid = getpid();
  sigemptyset(&empty_mask);
  /* Every thread blocks every signal (spawners inherit this mask); the main thread reads the
   * ones it cares about from a signalfd; children restore an empty mask before exec. */
  sigset_t all, mask;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  sigaddset(&mask, SIGINT); /* a terminal's ^C is for Node to decide; we stop when it closes us */
  if ((sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) die("signalfd");
  if ((wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) die("eventfd");
  /* Orphans of jobs are reparented to us and reaped here, not left to pid 1. */
  prctl(PR_SET_CHILD_SUBREAPER, 1);

  by_pid = mmap(NULL, PID_SLOTS * sizeof *by_pid, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (by_pid == MAP_FAILED) die("mmap");
  if ((devnull_r = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) die("/dev/null");
  if ((devnull_w = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) die("/dev/null");
  out_cap = 65536;
  out_buf = xrealloc(NULL, out_cap);

  cg_detect(cgroup_spec);
  out_printf("hello %d %s %s\n", PROTOCOL_VERSION, cg_mode == CG_V1 ? "v1" : cg_mode == CG_V2 ? "v2" : "none", cg_note);
  flush_out();

  for (int i = 0; i < spawner_count; i++) {
    struct spawner *sp = &spawners[i];
    sp->report = mmap(NULL, sizeof *sp->report, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sp->report == MAP_FAILED) die("mmap");
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    if ((errno = pthread_create(&sp->thread, &attr, spawner_main, sp)) != 0) die("pthread_create");
    pthread_attr_destroy(&attr);
  }

  for (;;) {
    int64_t now = now_ms();
    struct pollfd fds[3] = {
      { stdin_open ? STDIN_FILENO : -1, POLLIN, 0 }, { sig_fd, POLLIN, 0 }, { wake_fd, POLLIN, 0 }
    };
    int n = poll(fds, 3, poll_timeout(now));
    if (n < 0 && errno != EINTR) die("poll");
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo si[16];
      ssize_t got;
      while ((got = read(sig_fd, si, sizeof si)) > 0) {
        for (size_t i = 0; i < (size_t)got / sizeof si[0]; i++)
          if (si[i].ssi_signo == SIGTERM || si[i].ssi_signo == SIGHUP) begin_shutdown(0);
      }
    }
    if (fds[2].revents & POLLIN) {
      uint64_t count;
      ssize_t got = read(wake_fd, &count, sizeof count);
      (void)got;
    }
    reap();
    if (stdin_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) read_requests();
    run_deadlines(now_ms());
    flush_out();
    lock();
    int done = shutting_down && ((job_count == 0 && !queue_head && inflight == 0 && cg_pending_len == 0) ||
                                 (now_ms() >= shutdown_give_up_ms && inflight == 0));
    unlock();
    if (done) break;
  }
  reap();
  lock();
  spawners_stop = 1;
  pthread_cond_broadcast(&work);
  cg_drain_pool();
  cg_retry_pending();
  unlock();
  flush_out();
  for (int i = 0; i < spawner_count; i++) pthread_join(spawners[i].thread, NULL);
  if (cg_mode != CG_NONE) rmdir(cg_base);
  return 0;
}

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
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

enum {
  F_PGROUP = 1,       /* new process group, pgid = pid; kill() targets the group */
  F_KILL_GROUP = 2,   /* when the leader exits, SIGKILL what is left of its group */
  F_APPEND = 4,       /* open stdout/stderr with O_APPEND instead of O_TRUNC */
  F_ERR_TO_OUT = 8    /* stderr shares stdout's open file (one interleaved log) */
};

enum stage { ST_NONE, ST_STDIN, ST_STDOUT, ST_STDERR, ST_CGROUP, ST_FORK, ST_SETPGID,
             ST_DUP, ST_CHDIR, ST_EXEC, ST_LAUNCHER };
static const char *const stage_names[] = { "none", "stdin", "stdout", "stderr", "cgroup", "fork",
                                           "setpgid", "dup", "chdir", "exec", "launcher" };

struct job {
  uint32_t id;
  pid_t pid;
  uint32_t flags;
  int64_t kill_at_ms; /* SIGKILL escalation deadline (CLOCK_MONOTONIC), 0 = none */
  char *cgdir;        /* job's own memory cgroup, or NULL */
  struct job *prev, *next;
};

/* Everything the child needs, prepared by the parent so the child only makes syscalls. */
struct launch {
  const char *file;
  char *const *argv;
  char *const *envp;
  const char *cwd;
  const char *path; /* PATH to search when file has no '/' */
  int in_fd, out_fd, err_fd;
  int procs_fd;     /* cgroup.procs to join before exec, or -1 */
  uint32_t flags;
};

/* Written by the child, read by the parent once the child has exec'd or died. It lives in a
 * MAP_SHARED page so it works both for vfork (shared memory anyway) and for clone3 without
 * CLONE_VM (copy-on-write memory). */
struct child_report { volatile int err; volatile int stage; };
static struct child_report *report;

static struct job **by_pid;     /* pid -> live job; sparse, untouched pages cost nothing */
static struct job *jobs;        /* list of live jobs */
static size_t job_count, deadline_count;
static int devnull_r = -1, devnull_w = -1, sig_fd = -1;
static int shutting_down;
static int64_t shutdown_kill_at_ms, shutdown_give_up_ms;
static sigset_t empty_mask;
static char exec_buf[PATH_MAX];

/* cgroup state */
enum { CG_NONE, CG_V1, CG_V2 };
static int cg_mode = CG_NONE;
static char cg_base[PATH_MAX];    /* <our cgroup>/stratus-launcher-<pid> */
static char cg_note[PATH_MAX + 256];
static int clone3_usable = 1;
static char **cg_pending;         /* job cgroups whose rmdir must be retried */
static size_t cg_pending_len, cg_pending_cap;

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

static char *out_buf;
static size_t out_len, out_cap;
static int64_t last_flush_ms;

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

static void flush_out(void) {
  size_t off = 0;
  while (off < out_len) {
    ssize_t n = write(STDOUT_FILENO, out_buf + off, out_len - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      /* The parent is gone (EPIPE): nobody will read results; stop everything. */
      out_len = 0;
      if (!shutting_down) { shutting_down = 1; shutdown_give_up_ms = now_ms() + 5000; }
      return;
    }
    off += (size_t)n;
  }
  out_len = 0;
  last_flush_ms = now_ms();
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

/* Removes what helpers that died without cleaning up (SIGKILL) left below parent. Their jobs
 * died with them (PR_SET_PDEATHSIG), so their cgroups are empty or about to be. */
static void cg_sweep_stale(const char *parent) {
  DIR *d = opendir(parent);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strncmp(e->d_name, "stratus-launcher-", 17) != 0) continue;
    long pid = strtol(e->d_name + 17, NULL, 10);
    if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
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
static char *cg_create_job(uint32_t id, uint64_t limit) {
  char dir[PATH_MAX], value[32];
  if (snprintf(dir, sizeof dir, "%s/job-%u", cg_base, id) >= (int)sizeof dir) { errno = ENAMETOOLONG; return NULL; }
  if (mkdir(dir, 0755) < 0 && errno != EEXIST) return NULL;
  snprintf(value, sizeof value, "%llu", (unsigned long long)limit);
  int rc;
  if (cg_mode == CG_V1) {
    rc = write_file(dir, "memory.limit_in_bytes", value);
    /* With swap accounting, also cap memory+swap so the job cannot page out to escape. */
    if (rc == 0) (void)write_file(dir, "memory.memsw.limit_in_bytes", value);
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

/* Did the kernel's OOM killer act inside the job's cgroup? */
static int cg_oom_killed(const char *dir, int status) {
  char buf[1024];
  const char *file = cg_mode == CG_V1 ? "memory.oom_control" : "memory.events";
  if (read_file(dir, file, buf, sizeof buf) < 0) return 0;
  long long kills = keyed_value(buf, "oom_kill");
  if (kills >= 0) return kills > 0;
  /* Kernels before 4.13 have no oom_kill counter: a SIGKILL after hitting the limit. */
  int sigkilled = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  if (cg_mode == CG_V2) return sigkilled && keyed_value(buf, "oom") > 0;
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

static void cg_retry_pending(void) {
  size_t keep = 0;
  for (size_t i = 0; i < cg_pending_len; i++) {
    if (rmdir(cg_pending[i]) == 0 || errno == ENOENT) free(cg_pending[i]);
    else cg_pending[keep++] = cg_pending[i];
  }
  cg_pending_len = keep;
}

/* ---- the child side (async-signal-safe syscalls only: it shares the parent's memory) --- */

static void __attribute__((noreturn)) child_fail(int stage) {
  report->err = errno ? errno : EINVAL;
  report->stage = stage;
  _exit(127);
}

static pid_t launcher_pid;

static void __attribute__((noreturn)) child_exec(const struct launch *l) {
  /* If the launcher dies nobody can report or kill this job: let it die too. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != launcher_pid) _exit(127);
  if ((l->flags & F_PGROUP) && setpgid(0, 0) < 0) child_fail(ST_SETPGID);
  /* Join the job's cgroup before exec, so nothing the program allocates escapes the limit. */
  if (l->procs_fd >= 0 && write(l->procs_fd, "0", 1) != 1) child_fail(ST_CGROUP);
  if (dup2(l->in_fd, STDIN_FILENO) < 0 || dup2(l->out_fd, STDOUT_FILENO) < 0 ||
      dup2(l->err_fd, STDERR_FILENO) < 0) child_fail(ST_DUP);
  if (l->cwd[0] && chdir(l->cwd) < 0) child_fail(ST_CHDIR);
  sigprocmask(SIG_SETMASK, &empty_mask, NULL);

  if (strchr(l->file, '/')) {
    execve(l->file, l->argv, l->envp);
    child_fail(ST_EXEC);
  }
  /* PATH search the way execvp does it, but with the child's PATH, not ours. */
  size_t flen = strlen(l->file);
  int saw_eacces = 0;
  for (const char *p = l->path;;) {
    const char *end = strchr(p, ':');
    size_t dlen = end ? (size_t)(end - p) : strlen(p);
    if (dlen + flen + 2 <= sizeof exec_buf) {
      if (dlen == 0) { exec_buf[0] = '.'; dlen = 1; } else memcpy(exec_buf, p, dlen);
      exec_buf[dlen] = '/';
      memcpy(exec_buf + dlen + 1, l->file, flen + 1);
      execve(exec_buf, l->argv, l->envp);
      switch (errno) {
        case EACCES: saw_eacces = 1; break;
        case ENOENT: case ENOTDIR: case ESTALE: case ELOOP: case ENAMETOOLONG: case ENODEV: case ETIMEDOUT: break;
        default: child_fail(ST_EXEC);
      }
    }
    if (!end) break;
    p = end + 1;
  }
  errno = saw_eacces ? EACCES : ENOENT;
  child_fail(ST_EXEC);
}

struct clone_args_v2 {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
      set_tid_size, cgroup;
};

/* Starts the child. The parent is suspended until the child has exec'd or failed. */
static pid_t launch(struct launch *l, int cgroup_dir_fd) {
#ifdef SYS_clone3
  if (cgroup_dir_fd >= 0 && clone3_usable) {
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
    clone3_usable = 0; /* old kernel: fall back to joining from the vfork child */
    l->procs_fd = procs_fd;
  }
#endif
  (void)cgroup_dir_fd;
  pid_t pid = vfork();
  if (pid == 0) child_exec(l);
  return pid;
}

/* ---- jobs --------------------------------------------------------------------------- */

static void job_link(struct job *j) {
  if (j->pid <= 0 || j->pid >= PID_SLOTS) { errno = ERANGE; die("pid out of range"); }
  j->prev = NULL;
  j->next = jobs;
  if (jobs) jobs->prev = j;
  jobs = j;
  by_pid[j->pid] = j;
  job_count++;
}

static void job_unlink(struct job *j) {
  if (j->prev) j->prev->next = j->next; else jobs = j->next;
  if (j->next) j->next->prev = j->prev;
  by_pid[j->pid] = NULL;
  if (j->kill_at_ms) deadline_count--;
  job_count--;
}

static struct job *job_by_id(uint32_t id) {
  for (struct job *j = jobs; j; j = j->next) if (j->id == id) return j;
  return NULL;
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

struct spawn_req {
  uint32_t id, flags, argc, envc;
  uint64_t memory_limit;
  const char *cwd, *stdin_path, *stdout_path, *stderr_path;
  const char **strings; /* argv then env, pointing into the frame */
};

static char **argv_buf, **envp_buf;
static size_t argv_cap, envp_cap;

static void spawn_failed(uint32_t id, int err, int stage) {
  out_printf("f %u %d %s\n", id, err, stage_names[stage]);
}

static int open_output(const char *path, uint32_t flags) {
  if (!path[0]) return devnull_w;
  return open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | ((flags & F_APPEND) ? O_APPEND : O_TRUNC), 0644);
}

static void do_spawn(const struct spawn_req *r) {
  int in_fd = devnull_r, out_fd = devnull_w, err_fd = devnull_w, procs_fd = -1, cg_fd = -1;
  char *cgdir = NULL;
  int fail_stage = ST_NONE, fail_err = 0;

  if (shutting_down) { spawn_failed(r->id, ESHUTDOWN, ST_LAUNCHER); return; }
  if (r->argc + 1 > argv_cap) { argv_cap = r->argc + 16; argv_buf = xrealloc(argv_buf, argv_cap * sizeof *argv_buf); }
  if (r->envc + 1 > envp_cap) { envp_cap = r->envc + 16; envp_buf = xrealloc(envp_buf, envp_cap * sizeof *envp_buf); }
  const char *path = "/usr/local/bin:/usr/bin:/bin";
  for (uint32_t i = 0; i < r->argc; i++) argv_buf[i] = (char *)r->strings[i];
  argv_buf[r->argc] = NULL;
  for (uint32_t i = 0; i < r->envc; i++) {
    envp_buf[i] = (char *)r->strings[r->argc + i];
    if (strncmp(envp_buf[i], "PATH=", 5) == 0) path = envp_buf[i] + 5;
  }
  envp_buf[r->envc] = NULL;

  if (r->stdin_path[0] && (in_fd = open(r->stdin_path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
    fail_stage = ST_STDIN; fail_err = errno; goto out;
  }
  if ((out_fd = open_output(r->stdout_path, r->flags)) < 0) { fail_stage = ST_STDOUT; fail_err = errno; goto out; }
  if (r->flags & F_ERR_TO_OUT) err_fd = out_fd;
  else if ((err_fd = open_output(r->stderr_path, r->flags)) < 0) { fail_stage = ST_STDERR; fail_err = errno; goto out; }

  int enforced = 0;
  if (r->memory_limit && cg_mode != CG_NONE) {
    if (!(cgdir = cg_create_job(r->id, r->memory_limit))) { fail_stage = ST_CGROUP; fail_err = errno; goto out; }
    if (cg_mode == CG_V2 && clone3_usable) cg_fd = open(cgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char procs[PATH_MAX];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", cgdir);
    if ((procs_fd = open(procs, O_WRONLY | O_CLOEXEC)) < 0) { fail_stage = ST_CGROUP; fail_err = errno; goto out; }
    enforced = 1;
  }

  struct launch l = {
    .file = r->strings[0], .argv = argv_buf, .envp = envp_buf, .cwd = r->cwd, .path = path,
    .in_fd = in_fd, .out_fd = out_fd, .err_fd = err_fd, .procs_fd = procs_fd, .flags = r->flags,
  };
  report->err = 0;
  report->stage = ST_NONE;
  pid_t pid = launch(&l, cg_fd);
  if (pid < 0) { fail_stage = ST_FORK; fail_err = errno; goto out; }
  if (report->err) {
    fail_stage = report->stage;
    fail_err = report->err;
    waitpid(pid, NULL, 0); /* reap the failed child here; it is no job */
    goto out;
  }
  struct job *j = calloc(1, sizeof *j);
  if (!j) die("out of memory");
  j->id = r->id;
  j->pid = pid;
  j->flags = r->flags;
  j->cgdir = cgdir;
  cgdir = NULL;
  job_link(j);
  out_printf("s %u %d %d\n", r->id, (int)pid, enforced);

out:
  if (fail_stage != ST_NONE) spawn_failed(r->id, fail_err, fail_stage);
  if (cgdir) { if (rmdir(cgdir) < 0) cg_remove_later(cgdir); else free(cgdir); }
  if (cg_fd >= 0) close(cg_fd);
  if (procs_fd >= 0) close(procs_fd);
  if (in_fd >= 0 && in_fd != devnull_r) close(in_fd);
  if (out_fd >= 0 && out_fd != devnull_w) close(out_fd);
  if (err_fd >= 0 && err_fd != devnull_w && err_fd != out_fd) close(err_fd);
}

static void finish_job(struct job *j, int status, const struct rusage *ru) {
  int oom = j->cgdir ? cg_oom_killed(j->cgdir, status) : 0;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  long long ut = (long long)ru->ru_utime.tv_sec * 1000000 + ru->ru_utime.tv_usec;
  long long st = (long long)ru->ru_stime.tv_sec * 1000000 + ru->ru_stime.tv_usec;
  out_printf("x %u %d %d %d %d %lld %lld %ld\n", j->id, (int)j->pid, code, sig, oom, ut, st, ru->ru_maxrss);
  job_unlink(j);
  if (j->cgdir) cg_remove(j->cgdir);
  free(j);
}

/* Reaps every child that has exited. A job's leftovers (its process group, its cgroup) are
 * killed while the leader is still a zombie, so its pid cannot have been reused yet. */
static void reap(void) {
  for (;;) {
    siginfo_t si;
    si.si_pid = 0;
    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0) return;
    pid_t pid = si.si_pid;
    struct job *j = pid < PID_SLOTS ? by_pid[pid] : NULL;
    if (j && (j->flags & F_PGROUP) && (j->flags & F_KILL_GROUP)) kill(-pid, SIGKILL);
    if (j && j->cgdir && (j->flags & F_KILL_GROUP)) cg_kill_members(j->cgdir);
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) continue;
    if (j) finish_job(j, status, &ru); /* else an orphaned grandchild: we are its subreaper */
  }
}

static void run_deadlines(int64_t now) {
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
}

static int poll_timeout(int64_t now) {
  int64_t next = INT64_MAX;
  if (deadline_count)
    for (struct job *j = jobs; j; j = j->next)
      if (j->kill_at_ms && j->kill_at_ms < next) next = j->kill_at_ms;
  if (shutdown_kill_at_ms && shutdown_kill_at_ms < next) next = shutdown_kill_at_ms;
  if (shutting_down && shutdown_give_up_ms < next) next = shutdown_give_up_ms;
  if (cg_pending_len && now + 20 < next) next = now + 20;
  if (next == INT64_MAX) return -1;
  return next <= now ? 0 : (int)(next - now);
}

static void begin_shutdown(uint32_t grace_ms) {
  if (shutting_down) return;
  shutting_down = 1;
  int64_t now = now_ms();
  int sig = grace_ms ? SIGTERM : SIGKILL;
  for (struct job *j = jobs; j; j = j->next) job_signal(j, sig);
  shutdown_kill_at_ms = grace_ms ? now + grace_ms : 0;
  shutdown_give_up_ms = now + grace_ms + 5000;
}

/* ---- request parsing ---------------------------------------------------------------- */

static uint32_t get_u32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get_u64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static void protocol_error(const char *what) {
  fprintf(stderr, "stratus-launcher: protocol error: %s\n", what);
  exit(3);
}

static const char **strings_buf;
static size_t strings_cap;

static void handle_frame(const unsigned char *p, uint32_t len) {
  if (len < 1) protocol_error("empty frame");
  unsigned char op = p[0];
  p++; len--;
  if (op == 'S') {
    if (len < 28) protocol_error("short spawn frame");
    struct spawn_req r;
    r.id = get_u32(p);
    r.flags = get_u32(p + 4);
    r.memory_limit = get_u64(p + 8);
    r.argc = get_u32(p + 16);
    r.envc = get_u32(p + 20);
    if (r.argc < 1 || r.argc > len || r.envc > len) protocol_error("bad argc/envc");
    size_t want = 4 + (size_t)r.argc + r.envc;
    if (want > strings_cap) { strings_cap = want + 64; strings_buf = xrealloc(strings_buf, strings_cap * sizeof *strings_buf); }
    const char *s = (const char *)p + 24, *end = (const char *)p + len;
    for (size_t i = 0; i < want; i++) {
      const char *nul = memchr(s, 0, (size_t)(end - s));
      if (!nul) protocol_error("unterminated string");
      strings_buf[i] = s;
      s = nul + 1;
    }
    r.cwd = strings_buf[0];
    r.stdin_path = strings_buf[1];
    r.stdout_path = strings_buf[2];
    r.stderr_path = strings_buf[3];
    r.strings = strings_buf + 4;
    do_spawn(&r);
  } else if (op == 'K') {
    if (len < 12) protocol_error("short kill frame");
    struct job *j = job_by_id(get_u32(p));
    if (!j) return; /* already exited: nothing to kill */
    uint32_t sig = get_u32(p + 4), grace = get_u32(p + 8);
    if (sig) job_signal(j, (int)sig);
    if (grace) job_set_deadline(j, now_ms() + grace);
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
    /* Long batches: report what started (and reap what already exited) as we go, rather
     * than at the end of a read that may hold hundreds of requests. */
    if (out_len && now_ms() - last_flush_ms >= 2) {
      reap();
      flush_out();
    }
  }
  if (off) { memmove(in_buf, in_buf + off, in_len - off); in_len -= off; }
}

/* ---- main --------------------------------------------------------------------------- */

int main(int argc, char **argv) {
  const char *cgroup_spec = "auto";
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--cgroup=", 9) == 0) cgroup_spec = argv[i] + 9;
    else if (strcmp(argv[i], "--version") == 0) { printf("stratus-launcher %d\n", PROTOCOL_VERSION); return 0; }
    else { fprintf(stderr, "usage: stratus-launcher [--cgroup=auto|none|v1:DIR|v2:DIR]\n"); return 2; }
  }

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
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  sigaddset(&mask, SIGINT); /* a terminal's ^C is for Node to decide; we stop when it closes us */
  sigaddset(&mask, SIGPIPE);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  if ((sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) die("signalfd");
  /* Orphans of jobs are reparented to us and reaped here, not left to pid 1. */
  prctl(PR_SET_CHILD_SUBREAPER, 1);

  report = mmap(NULL, sizeof *report, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (report == MAP_FAILED) die("mmap");
  by_pid = mmap(NULL, PID_SLOTS * sizeof *by_pid, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (by_pid == MAP_FAILED) die("mmap");
  if ((devnull_r = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) die("/dev/null");
  if ((devnull_w = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) die("/dev/null");
  out_cap = 65536;
  out_buf = xrealloc(NULL, out_cap);

  cg_detect(cgroup_spec);
  out_printf("hello %d %s %s\n", PROTOCOL_VERSION, cg_mode == CG_V1 ? "v1" : cg_mode == CG_V2 ? "v2" : "none", cg_note);
  flush_out();

  for (;;) {
    int64_t now = now_ms();
    struct pollfd fds[2] = { { stdin_open ? STDIN_FILENO : -1, POLLIN, 0 }, { sig_fd, POLLIN, 0 } };
    int n = poll(fds, 2, poll_timeout(now));
    if (n < 0 && errno != EINTR) die("poll");
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo si[16];
      ssize_t got;
      while ((got = read(sig_fd, si, sizeof si)) > 0) {
        for (size_t i = 0; i < (size_t)got / sizeof si[0]; i++)
          if (si[i].ssi_signo == SIGTERM || si[i].ssi_signo == SIGHUP) begin_shutdown(0);
      }
    }
    reap();
    if (stdin_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) read_requests();
    now = now_ms();
    run_deadlines(now);
    if (cg_pending_len) cg_retry_pending();
    if (out_len) flush_out();
    if (shutting_down && ((job_count == 0 && cg_pending_len == 0) || now >= shutdown_give_up_ms)) break;
  }
  reap();
  if (out_len) flush_out();
  cg_retry_pending();
  if (cg_mode != CG_NONE) rmdir(cg_base);
  return 0;
}

/*
 * stratus-relay: the byte path of one NLB TCP listener.
 *
 * The listener's control stays in Node (runtime/lb/tcp-relay.ts): which target
 * a connection goes to, health, draining, the idle timeout on the engine's
 * clock. This process only accepts, connects and moves bytes, so that a chunk
 * costs one read and one write and no trip through V8.
 *
 *   stratus-relay <address> <port> <max-connections>
 *
 * Binds <address>:<port> (port 0: any), listens, and prints "ready <port>" (or
 * "error <CODE> <message>" and exits 1). Then, over stdout to Node:
 *   c <id> <ip> <port>    a client connected (Node answers t or r)
 *   x <id>                a connection is over (both sockets closed)
 *   A <id> <id> ...       answer to "a": connections that moved bytes since the last "a"
 * and from stdin:
 *   t <id> <ip> <port> [s <source ip>] [h <hex>]
 *                         connect the client to this target, from <address> (or
 *                         from <source ip>: client IP preservation), writing the
 *                         bytes <hex> (a PROXY v2 header) to it before the client's
 *   r <id>                reset the connection: the client, and its target if it
 *                         has one (no target; NLB connection termination)
 *   k <id>                close the connection (idle)
 *   a                     which connections moved bytes?
 *   m <n>                 the connection limit
 * stdin's end (Node closed the listener or died) closes every connection and
 * exits; so does the parent's death (PR_SET_PDEATHSIG).
 *
 * Sockets are non-blocking, edge-triggered in one epoll set, registered once.
 * Each direction has a 16 KiB buffer: a chunk is read into it and written out
 * at once; only when the writer's socket is full does the buffer wait (and its
 * reader with it) for EPOLLOUT. A read shorter than the buffer took all there
 * was (the kernel signals the next arrival), so no read is spent on EAGAIN —
 * unless the peer's FIN came with it (EPOLLRDHUP): then reading goes on to the end.
 * Half-close passes through (EOF on one side: shutdown(SHUT_WR) on the other
 * once its buffer is out); an error or reset on one side resets the other, as
 * NLB passes RSTs through. Connections beyond the limit are closed at once.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define BUF_BYTES 16384
#define SLOT_BITS 24
#define SLOT_MASK ((1u << SLOT_BITS) - 1)

enum { AWAITING, CONNECTING, OPEN };

struct conn;
/* One socket of a connection: what epoll hands back. */
struct side {
  int fd;
  int readable, writable;
  int rdhup; /* the peer's FIN is in: a short read did not take the end, so read on to it */
  struct conn *c;
  int index; /* 0 client, 1 target */
};
/* One direction: read from side[i], written to side[1 - i]. */
struct flow {
  uint32_t len, off;
  int eof, shut;
  char buf[BUF_BYTES];
};
struct conn {
  uint64_t id;
  int state;
  int dead;
  struct conn *next_dead;
  int active;
  struct side side[2];
  struct flow flow[2];
};

static int ep = -1;
static int listen_fd = -1;
static int family = AF_INET;
static struct sockaddr_storage local; /* the load balancer's address, port 0: where target connections come from */
static socklen_t local_len;
static long max_conns = 1000000;
static long live = 0;

/* Ended connections, freed after the batch of events (another event of it may still name them). */
static struct conn *graveyard;

static struct conn **slots;
static uint32_t *generation;
static uint32_t slot_cap;
static uint32_t *free_slots;
static uint32_t free_count, slot_used;

static char *out;
static size_t out_len, out_cap;

/* Tags in epoll data for the fixed descriptors; connection sides carry their struct side pointer. */
static int tag_listen, tag_stdin;

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + out_len, out_cap - out_len, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < out_cap - out_len) {
      out_len += (size_t)n;
      return;
    }
    out_cap = out_cap * 2 + (size_t)n + 64;
    out = realloc(out, out_cap);
    if (out == NULL) _exit(3);
  }
}

/* Writes what was emitted during one turn of the loop (stdout blocks: Node reads it continuously). */
static void flush_out(void) {
  size_t done = 0;
  while (done < out_len) {
    ssize_t n = write(1, out + done, out_len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      _exit(0); /* Node is gone */
    }
    done += (size_t)n;
  }
  out_len = 0;
}

static const char *errno_code(int e) {
  switch (e) {
  case EADDRINUSE: return "EADDRINUSE";
  case EACCES: return "EACCES";
  case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
  case EINVAL: return "EINVAL";
  default: return "EUNKNOWN";
  }
}

static struct conn *find(uint64_t id) {
  uint32_t slot = (uint32_t)(id & SLOT_MASK);
  if (slot >= slot_used) return NULL;
  struct conn *c = slots[slot];
  return c != NULL && c->id == id ? c : NULL;
}

static struct conn *new_conn(void) {
  uint32_t slot;
  if (free_count > 0) slot = free_slots[--free_count];
  else {
    if (slot_used == slot_cap) {
      uint32_t cap = slot_cap == 0 ? 1024 : slot_cap * 2;
      if (cap > SLOT_MASK + 1u) return NULL;
      slots = realloc(slots, cap * sizeof *slots);
      generation = realloc(generation, cap * sizeof *generation);
      free_slots = realloc(free_slots, cap * sizeof *free_slots);
      if (slots == NULL || generation == NULL || free_slots == NULL) _exit(3);
      for (uint32_t i = slot_cap; i < cap; i++) { slots[i] = NULL; generation[i] = 0; }
      slot_cap = cap;
    }
    slot = slot_used++;
  }
  struct conn *c = malloc(sizeof *c);
  if (c == NULL) _exit(3);
  c->id = ((uint64_t)++generation[slot] << SLOT_BITS) | slot;
  c->state = AWAITING;
  c->dead = 0;
  c->active = 0;
  for (int i = 0; i < 2; i++) {
    c->side[i] = (struct side){ .fd = -1, .c = c, .index = i };
    c->flow[i].len = c->flow[i].off = 0;
    c->flow[i].eof = c->flow[i].shut = 0;
  }
  slots[slot] = c;
  live++;
  return c;
}

/* An RST rather than a FIN. */
static void reset_fd(int fd) {
  struct linger lg = { 1, 0 };
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(fd);
}

/* Ends a connection: each side closed (FIN) or reset, as asked; Node hears "x". */
static void finish(struct conn *c, int reset_client, int reset_target) {
  for (int i = 0; i < 2; i++) {
    int fd = c->side[i].fd;
    if (fd < 0) continue;
    if (i == 0 ? reset_client : reset_target) reset_fd(fd);
    else close(fd); /* closing removes it from the epoll set */
  }
  emit("x %llu\n", (unsigned long long)c->id);
  uint32_t slot = (uint32_t)(c->id & SLOT_MASK);
  slots[slot] = NULL;
  free_slots[free_count++] = slot;
  live--;
  c->dead = 1;
  c->next_dead = graveyard;
  graveyard = c;
}

static void bury(void) {
  while (graveyard != NULL) {
    struct conn *c = graveyard;
    graveyard = c->next_dead;
    free(c);
  }
}

static int add(int fd, void *tag) {
  struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = tag };
  return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static void nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Moves bytes both ways as far as the sockets allow. Returns 0, or 1 when the connection is gone. */
static int pump(struct conn *c) {
  if (c->state != OPEN) return 0;
  for (int d = 0; d < 2; d++) {
    struct side *src = &c->side[d], *dst = &c->side[1 - d];
    struct flow *f = &c->flow[d];
    for (;;) {
      if (f->len > 0) {
        if (!dst->writable) break;
        ssize_t n = write(dst->fd, f->buf + f->off, f->len);
        if (n < 0) {
          if (errno == EINTR) continue;
          if (errno == EAGAIN) { dst->writable = 0; break; }
          /* The writer's peer is gone (reset): reset the reader's too. */
          finish(c, d == 0 ? 1 : 0, d == 1 ? 1 : 0);
          return 1;
        }
        c->active = 1;
        f->off += (uint32_t)n;
        f->len -= (uint32_t)n;
        if (f->len > 0) { dst->writable = 0; break; }
        f->off = 0;
      }
      if (f->eof) {
        if (!f->shut) {
          shutdown(dst->fd, SHUT_WR);
          f->shut = 1;
        }
        break;
      }
      if (!src->readable) break;
      ssize_t n = read(src->fd, f->buf, BUF_BYTES);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) { src->readable = 0; break; }
        /* The reader was reset: so is the writer's peer. */
        finish(c, d == 0 ? 0 : 1, d == 0 ? 1 : 0);
        return 1;
      }
      if (n == 0) { f->eof = 1; continue; }
      c->active = 1;
      f->len = (uint32_t)n;
      if (n < BUF_BYTES && !src->rdhup) src->readable = 0;
    }
  }
  if (c->flow[0].shut && c->flow[1].shut) {
    finish(c, 0, 0);
    return 1;
  }
  return 0;
}

/* The value of a hex digit, or -1. */
static int hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/*
 * Connects a waiting client to ip:port. `source`: the address the target connection comes from
 * (client IP preservation), NULL for the load balancer's. `header`: hex of bytes the target gets
 * before the client's (the PROXY protocol header), NULL for none; they wait in the client → target
 * buffer, which is empty until the connection is open.
 */
static void on_target(uint64_t id, const char *ip, int port, const char *source, const char *header) {
  struct conn *c = find(id);
  if (c == NULL || c->state != AWAITING) return;
  if (header != NULL) {
    size_t n = strlen(header);
    if (n % 2 != 0 || n / 2 > BUF_BYTES) { finish(c, 1, 0); return; }
    for (size_t i = 0; i < n / 2; i++) {
      int hi = hexval(header[2 * i]), lo = hexval(header[2 * i + 1]);
      if (hi < 0 || lo < 0) { finish(c, 1, 0); return; }
      c->flow[0].buf[i] = (char)(hi * 16 + lo);
    }
    c->flow[0].off = 0;
    c->flow[0].len = (uint32_t)(n / 2);
  }
  struct sockaddr_storage to;
  socklen_t to_len;
  memset(&to, 0, sizeof to);
  struct sockaddr_in *v4 = (struct sockaddr_in *)&to;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&to;
  int af;
  if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
    af = AF_INET; v4->sin_family = AF_INET; v4->sin_port = htons((uint16_t)port); to_len = sizeof *v4;
  } else if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
    af = AF_INET6; v6->sin6_family = AF_INET6; v6->sin6_port = htons((uint16_t)port); to_len = sizeof *v6;
  } else {
    finish(c, 1, 0);
    return;
  }
  int fd = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { finish(c, 1, 0); return; }
  c->side[1].fd = fd;
  nodelay(fd);
  if (source != NULL) {
    struct sockaddr_in from;
    memset(&from, 0, sizeof from);
    from.sin_family = AF_INET;
    if (af != AF_INET || inet_pton(AF_INET, source, &from.sin_addr) != 1) { finish(c, 1, 0); return; }
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&from, sizeof from) != 0) { finish(c, 1, 0); return; }
  } else if (af == family) {
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&local, local_len) != 0) { finish(c, 1, 0); return; }
  }
  if (connect(fd, (struct sockaddr *)&to, to_len) != 0 && errno != EINPROGRESS) { finish(c, 1, 0); return; }
  c->state = CONNECTING;
  if (add(fd, &c->side[1]) != 0) { finish(c, 1, 0); return; }
}

/*
 * The target's connect finished (EPOLLOUT) or failed (EPOLLERR): a refused target resets the client.
 * `events` is the whole edge: a target that answers and closes at once has its FIN in the same one,
 * and no later edge will say so.
 */
static int on_connected(struct conn *c, uint32_t events) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->side[1].fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    finish(c, 1, 0);
    return 1;
  }
  c->state = OPEN;
  c->side[1].writable = 1;
  c->side[1].readable = 1;
  if (events & (EPOLLRDHUP | EPOLLHUP)) c->side[1].rdhup = 1;
  /* The client joins the set now: whatever it sent while the target connected shows as readable. */
  if (add(c->side[0].fd, &c->side[0]) != 0) { finish(c, 1, 1); return 1; }
  c->side[0].readable = 1;
  c->side[0].writable = 1;
  return pump(c);
}

static void on_side(struct side *s, uint32_t events) {
  struct conn *c = s->c;
  if (c->dead) return;
  if (c->state == CONNECTING) {
    if (s->index == 1) on_connected(c, events);
    return;
  }
  if (events & EPOLLERR) {
    /* A reset on one side resets the other. */
    finish(c, s->index == 1, s->index == 0);
    return;
  }
  if (events & (EPOLLRDHUP | EPOLLHUP)) s->rdhup = 1;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) s->readable = 1;
  if (events & (EPOLLOUT | EPOLLHUP)) s->writable = 1;
  pump(c);
}

static void on_accept(void) {
  for (;;) {
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    int fd = accept4(listen_fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return; /* EAGAIN, or out of descriptors: the next arrival tries again */
    }
    if (live >= max_conns) { close(fd); continue; }
    struct conn *c = new_conn();
    if (c == NULL) { close(fd); continue; }
    c->side[0].fd = fd;
    nodelay(fd);
    char ip[INET6_ADDRSTRLEN] = "";
    int port = 0;
    if (peer.ss_family == AF_INET) {
      struct sockaddr_in *a = (struct sockaddr_in *)&peer;
      inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
      port = ntohs(a->sin_port);
    } else if (peer.ss_family == AF_INET6) {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)&peer;
      inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
      port = ntohs(a->sin6_port);
    }
    emit("c %llu %s %d\n", (unsigned long long)c->id, ip[0] ? ip : "-", port);
  }
}

static void close_all(void) {
  for (uint32_t i = 0; i < slot_used; i++) if (slots[i] != NULL) finish(slots[i], 0, 0);
}

static void command(char *line) {
  char *end;
  switch (line[0]) {
  case 't': {
    unsigned long long id = strtoull(line + 2, &end, 10);
    char ip[INET6_ADDRSTRLEN + 1];
    int port, used = 0;
    if (sscanf(end, " %46s %d%n", ip, &port, &used) == 2) {
      /* Options after the port: "s <source ip>", "h <hex bytes>". */
      const char *source = NULL, *header = NULL;
      char *save = NULL;
      for (char *key = strtok_r(end + used, " ", &save); key != NULL; key = strtok_r(NULL, " ", &save)) {
        char *value = strtok_r(NULL, " ", &save);
        if (value == NULL) break;
        if (strcmp(key, "s") == 0) source = value;
        else if (strcmp(key, "h") == 0) header = value;
      }
      on_target(id, ip, port, source, header);
    } else { struct conn *c = find(id); if (c != NULL) finish(c, 1, 0); }
    break;
  }
  case 'r': {
    struct conn *c = find(strtoull(line + 2, NULL, 10));
    if (c != NULL) finish(c, 1, 1);
    break;
  }
  case 'k': {
    struct conn *c = find(strtoull(line + 2, NULL, 10));
    if (c != NULL) finish(c, 0, 0);
    break;
  }
  case 'a':
    emit("A");
    for (uint32_t i = 0; i < slot_used; i++) {
      struct conn *c = slots[i];
      if (c != NULL && c->active) { emit(" %llu", (unsigned long long)c->id); c->active = 0; }
    }
    emit("\n");
    break;
  case 'm': {
    long n = strtol(line + 2, NULL, 10);
    if (n > 0) max_conns = n;
    break;
  }
  default:
    break;
  }
}

static char in_buf[65536];
static size_t in_len;

/* Returns 1 when stdin ended. */
static int on_stdin(void) {
  for (;;) {
    if (in_len == sizeof in_buf) in_len = 0; /* a line this long is not ours: drop it */
    ssize_t n = read(0, in_buf + in_len, sizeof in_buf - in_len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return 0;
      return 1;
    }
    if (n == 0) return 1;
    in_len += (size_t)n;
    size_t start = 0;
    for (size_t i = 0; i < in_len; i++) {
      if (in_buf[i] != '\n') continue;
      in_buf[i] = '\0';
      command(in_buf + start);
      start = i + 1;
    }
    memmove(in_buf, in_buf + start, in_len - start);
    in_len -= start;
  }
}

static int fail(const char *code, const char *what) {
  printf("error %s %s\n", code, what);
  fflush(stdout);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: stratus-relay <address> <port> <max-connections>\n");
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 0;
  signal(SIGPIPE, SIG_IGN);
  max_conns = strtol(argv[3], NULL, 10);
  if (max_conns <= 0) max_conns = 1000000;
  int port = atoi(argv[2]);

  memset(&local, 0, sizeof local);
  struct sockaddr_storage bind_to;
  memset(&bind_to, 0, sizeof bind_to);
  struct sockaddr_in *v4 = (struct sockaddr_in *)&bind_to;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&bind_to;
  socklen_t bind_len;
  if (inet_pton(AF_INET, argv[1], &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET; v4->sin_port = htons((uint16_t)port); bind_len = sizeof *v4; family = AF_INET;
  } else if (inet_pton(AF_INET6, argv[1], &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6; v6->sin6_port = htons((uint16_t)port); bind_len = sizeof *v6; family = AF_INET6;
  } else return fail("EINVAL", "the address is not an IP address");
  memcpy(&local, &bind_to, bind_len);
  local_len = bind_len;
  if (family == AF_INET) ((struct sockaddr_in *)&local)->sin_port = 0;
  else ((struct sockaddr_in6 *)&local)->sin6_port = 0;

  listen_fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd < 0) return fail(errno_code(errno), strerror(errno));
  int one = 1;
  setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(listen_fd, (struct sockaddr *)&bind_to, bind_len) != 0) return fail(errno_code(errno), strerror(errno));
  if (listen(listen_fd, 511) != 0) return fail(errno_code(errno), strerror(errno));
  struct sockaddr_storage bound;
  socklen_t bound_len = sizeof bound;
  getsockname(listen_fd, (struct sockaddr *)&bound, &bound_len);
  int bound_port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port : ((struct sockaddr_in6 *)&bound)->sin6_port);

  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return fail(errno_code(errno), strerror(errno));
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  out_cap = 65536;
  out = malloc(out_cap);
  if (out == NULL || add(listen_fd, &tag_listen) != 0 || add(0, &tag_stdin) != 0) return fail("EUNKNOWN", "epoll setup failed");
  emit("ready %d\n", bound_port);
  flush_out();

  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return 3;
    }
    for (int i = 0; i < n; i++) {
      void *tag = events[i].data.ptr;
      if (tag == &tag_listen) on_accept();
      else if (tag == &tag_stdin) {
        if (on_stdin()) {
          close_all();
          flush_out();
          return 0;
        }
      } else {
        /* A side whose connection an earlier event of this batch ended is skipped (on_side checks dead; bury() frees after the batch). */
        on_side((struct side *)tag, events[i].events);
      }
    }
    bury();
    flush_out();
  }
}

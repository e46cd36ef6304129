/*
 * stratus-oci-tty-exec: an exec with a TTY for the OCI runner. The runtime
 * hands a pseudo-terminal out only to a detached exec (`runc exec --detach
 * --tty --console-socket <path> --pid-file <path>`), sending its master over a
 * unix socket as SCM_RIGHTS, which Node cannot receive: this helper receives
 * it and relays it. Being a child subreaper, it inherits the detached command
 * when the runtime exits, and waits for it, so its status is the command's.
 *
 *   stratus-oci-tty-exec -- <runtime argv...>
 *
 * The arguments {console-socket} and {pid-file} are replaced by paths in a
 * fresh directory under /tmp. fds: 0 input for the terminal, 1 its output,
 * 2 errors, 3 control: lines "<columns> <rows>" resize the terminal. End of
 * input sends the terminal's EOF character (^D). Exits with the command's
 * status (128 + a signal), or the runtime's when it could not start it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

static int receive_fd(int conn) {
  char name[256]; /* the runtime sends the terminal's name along */
  struct iovec iov = { .iov_base = name, .iov_len = sizeof name };
  char control[CMSG_SPACE(sizeof(int))];
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
  if (recvmsg(conn, &msg, 0) < 0) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

static int exit_status(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv) {
  if (argc < 3 || strcmp(argv[1], "--") != 0) {
    fprintf(stderr, "usage: stratus-oci-tty-exec -- <runtime argv...>\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  char dir[] = "/tmp/stratus-tty-XXXXXX";
  if (mkdtemp(dir) == NULL) {
    perror("stratus-oci-tty-exec: mkdtemp");
    return 2;
  }
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s/console", dir);
  int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 1) != 0) {
    perror("stratus-oci-tty-exec: console socket");
    rmdir(dir);
    return 2;
  }
  char pid_path[sizeof dir + 8];
  snprintf(pid_path, sizeof pid_path, "%s/pid", dir);
  char **runtime_argv = argv + 2;
  for (char **a = runtime_argv; *a != NULL; a++) {
    if (strcmp(*a, "{console-socket}") == 0) *a = addr.sun_path;
    else if (strcmp(*a, "{pid-file}") == 0) *a = pid_path;
  }

  pid_t child = fork();
  if (child == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    execvp(runtime_argv[0], runtime_argv);
    fprintf(stderr, "stratus-oci-tty-exec: cannot run %s: %s\n", runtime_argv[0], strerror(errno));
    _exit(127);
  }
  int status = 0;
  int master = -1;
  /* Wait for the master, or for the runtime to give up without sending one. */
  while (master < 0) {
    struct pollfd p = { .fd = listener, .events = POLLIN };
    int ready = poll(&p, 1, 50);
    if (ready > 0) {
      int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
      if (conn >= 0) {
        master = receive_fd(conn);
        close(conn);
      }
    } else if (waitpid(child, &status, WNOHANG) == child) {
      unlink(addr.sun_path);
      rmdir(dir);
      return exit_status(status);
    }
  }
  close(listener);
  unlink(addr.sun_path);
  /* The runtime exits once the command runs; then the command is ours (a subreaper's). */
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
  pid_t command = 0;
  char pid_text[32] = { 0 };
  int pid_fd = open(pid_path, O_RDONLY | O_CLOEXEC);
  if (pid_fd >= 0) {
    if (read(pid_fd, pid_text, sizeof pid_text - 1) > 0) command = (pid_t)atoi(pid_text);
    close(pid_fd);
  }
  unlink(pid_path);
  rmdir(dir);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || command <= 0) return exit_status(status) == 0 ? 255 : exit_status(status);

  struct pollfd fds[3] = { { .fd = 0, .events = POLLIN }, { .fd = master, .events = POLLIN }, { .fd = 3, .events = POLLIN } };
  if (fcntl(3, F_GETFD) < 0) fds[2].fd = -1;
  char buf[65536];
  char line[64];
  size_t line_len = 0;
  for (;;) {
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n <= 0) break; /* EIO: every process holding the terminal ended */
      if (write_all(1, buf, (size_t)n) != 0) break;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n > 0) {
        write_all(master, buf, (size_t)n);
      } else {
        struct termios t;
        char eof = tcgetattr(master, &t) == 0 ? (char)t.c_cc[VEOF] : 4;
        write_all(master, &eof, 1);
        fds[0].fd = -1;
      }
    }
    if (fds[2].fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(3, line + line_len, sizeof line - 1 - line_len);
      if (n <= 0) {
        fds[2].fd = -1;
        continue;
      }
      line_len += (size_t)n;
      line[line_len] = '\0';
      char *nl;
      while ((nl = strchr(line, '\n')) != NULL) {
        *nl = '\0';
        unsigned cols = 0, rows = 0;
        if (sscanf(line, "%u %u", &cols, &rows) == 2) {
          struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
          ioctl(master, TIOCSWINSZ, &ws);
        }
        size_t rest = line_len - (size_t)(nl + 1 - line);
        memmove(line, nl + 1, rest + 1);
        line_len = rest;
      }
      if (line_len == sizeof line - 1) line_len = 0;
    }
  }
  close(master);
  for (;;) {
    pid_t got = waitpid(-1, &status, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return 255; /* not ours after all: its status is unknown */
    if (got == command) return exit_status(status);
  }
}

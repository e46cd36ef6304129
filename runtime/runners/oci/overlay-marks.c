/*
 * stratus-oci-overlay-marks: turns an unpacked layer's whiteouts into the
 * marks overlayfs understands (Node has neither mknod nor setxattr).
 *
 *   stratus-oci-overlay-marks <layer-root>   < lines
 *
 * Each line of stdin, a path relative to <layer-root>:
 *   w <path>   a whiteout: a character device 0/0 named <path> (the layer hid <path> of the layers below)
 *   o <path>   an opaque directory: trusted.overlay.opaque=y on the directory <path>
 * Paths are walked one component at a time with O_NOFOLLOW from the root, so a
 * symlink in the layer can never lead a mark outside it. Exit 0 when every
 * line was applied; otherwise the first failure is printed on stderr as
 * "<line>: <reason>" and the exit status is 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Opens the directory that holds the last component of `path`; *name points at that component. */
static int open_parent(int root, char *path, char **name) {
  int dir = dup(root);
  char *part = path;
  for (;;) {
    char *slash = strchr(part, '/');
    if (slash == NULL) break;
    *slash = '\0';
    if (part[0] == '\0' || strcmp(part, ".") == 0 || strcmp(part, "..") == 0) {
      close(dir);
      errno = EINVAL;
      return -1;
    }
    int next = openat(dir, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(dir);
    if (next < 0) return -1;
    dir = next;
    part = slash + 1;
  }
  if (part[0] == '\0' || strcmp(part, ".") == 0 || strcmp(part, "..") == 0) {
    close(dir);
    errno = EINVAL;
    return -1;
  }
  *name = part;
  return dir;
}

static int apply(int root, char kind, char *path) {
  if (kind == 'o' && strcmp(path, ".") == 0) {
    return fsetxattr(root, "trusted.overlay.opaque", "y", 1, 0);
  }
  char *name;
  int dir = open_parent(root, path, &name);
  if (dir < 0) return -1;
  int rc;
  if (kind == 'w') {
    rc = mknodat(dir, name, S_IFCHR | 0000, makedev(0, 0));
  } else {
    int target = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    rc = target < 0 ? -1 : fsetxattr(target, "trusted.overlay.opaque", "y", 1, 0);
    if (target >= 0) close(target);
  }
  int saved = errno;
  close(dir);
  errno = saved;
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: stratus-oci-overlay-marks <layer-root> < lines\n");
    return 2;
  }
  int root = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) {
    fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  char *line = NULL;
  size_t size = 0;
  ssize_t len;
  while ((len = getline(&line, &size, stdin)) > 0) {
    if (line[len - 1] == '\n') line[--len] = '\0';
    if (len == 0) continue;
    if (len < 3 || (line[0] != 'w' && line[0] != 'o') || line[1] != ' ') {
      fprintf(stderr, "%s: not a mark line\n", line);
      return 1;
    }
    char *copy = strdup(line + 2);
    if (apply(root, line[0], copy) != 0) {
      fprintf(stderr, "%s: %s\n", line, strerror(errno));
      return 1;
    }
    free(copy);
  }
  return 0;
}

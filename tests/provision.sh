#!/bin/sh
# Provisions what the tests use besides Node: the real clients and runtimes (Debian
# packages docker.io, skopeo, runc, crun, busybox-static, docker-registry, awscli) and a running
# dockerd. `npm test` runs it first (pretest); .ci/run gets it through `npm test`.
#
# Idempotent and quick when everything is there (a few `command -v`, one `docker info`).
# As root with apt-get it installs only what is missing and starts dockerd; otherwise it
# prints what is missing and how to get it. It never fails by itself (exit 0): the tests
# that need a missing tool fail, each naming it (tests/tools.ts).
#
#   sh tests/provision.sh            (root: install and start; others: report)
set -u

say() { printf 'provision: %s\n' "$*" >&2; }
is_root() { [ "$(id -u)" = 0 ]; }
DOCKERD_LOG=${STRATUS_DOCKERD_LOG:-/tmp/stratus-dockerd.log}
DOCKERD_ARGS="--host unix:///var/run/docker.sock --iptables=false --ip-masq=false"

# True when $1 is an ELF64 little-endian executable without a PT_INTERP program header
# (statically linked): the tests copy /bin/busybox into FROM-scratch images.
is_static_elf() {
  [ -x "$1" ] || return 1
  [ "$(od -An -c -N 4 "$1" | tr -d ' ')" = '177ELF' ] || return 1
  phoff=$(od -An -t u8 -j 32 -N 8 "$1" | tr -d ' ')
  phentsize=$(od -An -t u2 -j 54 -N 2 "$1" | tr -d ' ')
  phnum=$(od -An -t u2 -j 56 -N 2 "$1" | tr -d ' ')
  i=0
  while [ "$i" -lt "$phnum" ]; do
    [ "$(od -An -t u4 -j $((phoff + i * phentsize)) -N 4 "$1" | tr -d ' ')" = 3 ] && return 1
    i=$((i + 1))
  done
  return 0
}

# What is missing, as "what it is:debian package" words.
missing() {
  for entry in docker:docker.io dockerd:docker.io skopeo:skopeo runc:runc crun:crun docker-registry:docker-registry; do
    command -v "${entry%%:*}" >/dev/null 2>&1 || printf '%s ' "$entry"
  done
  is_static_elf /bin/busybox || printf '%s ' 'static-/bin/busybox:busybox-static'
  # Debian's aws CLI at its own path: another `aws` earlier on PATH (a pip one) is not it.
  [ -x /usr/bin/aws ] || printf '%s ' '/usr/bin/aws:awscli'
}

# Space-separated lists without a trailing space.
packages_of() { list=$(for entry in $1; do printf '%s\n' "${entry##*:}"; done | sort -u | tr '\n' ' '); printf '%s' "${list% }"; }
names_of() { list=$(for entry in $1; do printf '%s ' "${entry%%:*}"; done); printf '%s' "${list% }"; }

# --- Debian packages -----------------------------------------------------------------
gaps=$(missing)
if [ -n "$gaps" ]; then
  packages=$(packages_of "$gaps")
  if is_root && command -v apt-get >/dev/null 2>&1; then
    say "installing $packages (missing: $(names_of "$gaps"))"
    export DEBIAN_FRONTEND=noninteractive
    # Try the cached package lists first; refresh them only if that fails.
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $packages >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1; apt-get install -y -qq --no-install-recommends $packages >/dev/null 2>&1; } ||
      say "apt-get install $packages failed"
    gaps=$(missing)
  fi
  if [ -n "$gaps" ]; then
    packages=$(packages_of "$gaps")
    say "missing: $(names_of "$gaps") - the tests that use them will fail"
    if is_root; then
      say "  get them (Debian/Ubuntu): apt-get install -y --no-install-recommends $packages"
    else
      say "  get them (Debian/Ubuntu): sudo apt-get install -y --no-install-recommends $packages"
      say "  or run this script as root: sudo sh tests/provision.sh"
    fi
  fi
fi

# --- dockerd ---------------------------------------------------------------------------
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  : # up
elif ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  : # reported above
elif is_root; then
  say "starting dockerd (log: $DOCKERD_LOG)"
  # Its own session: it outlives this script and the test run, and no signal sent to
  # the test's process group reaches it.
  # shellcheck disable=SC2086
  if command -v setsid >/dev/null 2>&1; then
    setsid dockerd $DOCKERD_ARGS </dev/null >>"$DOCKERD_LOG" 2>&1 &
  else
    nohup dockerd $DOCKERD_ARGS </dev/null >>"$DOCKERD_LOG" 2>&1 &
  fi
  tries=0
  until docker info >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -gt 120 ]; then
      say "dockerd did not come up within 60 s: see $DOCKERD_LOG; the docker tests will fail"
      break
    fi
    sleep 0.5
  done
  docker info >/dev/null 2>&1 && say "dockerd is up"
else
  say "dockerd is not running — the docker tests will fail"
  say "  start it: sudo dockerd $DOCKERD_ARGS &   (or: sudo sh tests/provision.sh)"
fi
exit 0

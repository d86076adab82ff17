#!/usr/bin/env bash
# System packages the test suite needs, installed when missing (Debian/Ubuntu, as root or
# with sudo): Chromium for the page tests (driven by Playwright; never `playwright install`,
# which downloads a browser build), Docker for the docker runtime, debootstrap for the Debian
# base its images are built on (no image registry is reachable), and a static busybox for
# the stand-in image of the fault tests (a proxy that hangs, dies or ignores SIGTERM).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "system-deps: not root and no sudo; install chromium docker.io debootstrap busybox-static" \
      "fonts-noto-color-emoji yourself" >&2
    exit 1
  fi
fi

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium fonts-noto-color-emoji)
command -v dockerd >/dev/null || missing+=(docker.io)
[ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "system-deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# A Docker daemon for the docker runtime's tests: start one when none answers.
if ! docker info >/dev/null 2>&1; then
  echo "system-deps: starting dockerd (log: /tmp/compat-dockerd.log)" >&2
  $SUDO sh -c 'nohup dockerd >/tmp/compat-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { tail -20 /tmp/compat-dockerd.log >&2; exit 1; }
fi

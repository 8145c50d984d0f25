#!/bin/sh
# Run by `pnpm test` (and so by .ci/run): some tests drive real tools from Debian packages:
# - prometheus (promtool and prometheus): the monitoring tests;
# - openssl: the TLS tests make a CA and certificates per run (TestCa);
# - zsh: the lockctl completion test parses and loads the zsh script.
# Installed here when missing, so the README's `pnpm test` works on a fresh machine; when one
# cannot be installed, say so: the tests that need it then fail, naming it.
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
UPDATED=""

# ensure PACKAGE COMMAND...: install PACKAGE unless every COMMAND is on the PATH.
ensure() {
  pkg=$1
  shift
  missing=""
  for cmd in "$@"; do command -v "$cmd" >/dev/null 2>&1 || missing=1; done
  [ -z "$missing" ] && return 0
  echo "pnpm test: installing Debian's $pkg package for the tests that use it"
  if [ -z "$UPDATED" ]; then $SUDO apt-get update -q >/dev/null 2>&1; UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "$pkg" >/dev/null 2>&1 \
    || echo "pnpm test: could not install $pkg (apt-get install -y $pkg); the tests that need it will fail"
}

ensure openssl openssl
ensure zsh zsh
ensure prometheus promtool prometheus
exit 0

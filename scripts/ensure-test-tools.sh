#!/bin/sh
# Run by `pnpm test` (and so by .ci/run): the monitoring tests need Debian's prometheus package
# (promtool and prometheus). Installed here when missing, so the README's `pnpm test` works on a
# fresh machine; when it cannot be installed, say so: those tests then fail, naming it.
if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then exit 0; fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "pnpm test: installing Debian's prometheus package for the monitoring tests"
{ $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q prometheus; } >/dev/null 2>&1 \
  || echo "pnpm test: could not install prometheus (apt-get install -y prometheus); the monitoring tests will fail"
exit 0

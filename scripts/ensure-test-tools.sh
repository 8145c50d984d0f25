#!/bin/sh
# Run by `pnpm test` (and so by .ci/run): the monitoring tests need Debian's prometheus package
# (promtool and prometheus), the TLS tests Debian's openssl. Installed here when missing, so the
# README's `pnpm test` works on a fresh machine; when it cannot be installed, say so: those tests
# then fail, naming it.
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
# The TLS tests make a CA and certificates per run with Debian's openssl (TestCa).
if ! command -v openssl >/dev/null 2>&1; then
  echo "pnpm test: installing Debian's openssl package for the TLS tests"
  { $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q openssl; } >/dev/null 2>&1 \
    || echo "pnpm test: could not install openssl (apt-get install -y openssl); the TLS tests will fail"
fi
if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then exit 0; fi
echo "pnpm test: installing Debian's prometheus package for the monitoring tests"
{ $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q prometheus; } >/dev/null 2>&1 \
  || echo "pnpm test: could not install prometheus (apt-get install -y prometheus); the monitoring tests will fail"
exit 0

#!/usr/bin/env bash
# The BullMQ tests start their own redis-server. Installs Debian's when it is
# missing and this is root on a Debian-like system; otherwise says what to do.
set -euo pipefail
path="${REDIS_SERVER:-/usr/bin/redis-server}"
[ -x "$path" ] && exit 0
command -v redis-server >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's redis-server for the BullMQ tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  # the tests run their own server on a free port; the package's service is not needed
  if command -v service >/dev/null 2>&1; then service redis-server stop >/dev/null 2>&1 || true; fi
  [ -x "$path" ] && exit 0
fi
echo "redis-server is missing at $path: install Debian's redis-server (apt-get install -y redis-server) or set REDIS_SERVER" >&2
exit 1

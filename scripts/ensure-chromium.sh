#!/usr/bin/env bash
# The browser tests drive Debian's chromium. Installs it when it is missing and
# this is root on a Debian-like system; otherwise says what to do.
set -euo pipefail
path="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$path" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  [ -x "$path" ] && exit 0
fi
echo "Chromium is missing at $path: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH" >&2
exit 1

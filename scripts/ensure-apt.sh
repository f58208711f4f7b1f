#!/usr/bin/env bash
# ensure-apt.sh PATH PACKAGE WHY: make sure the program at PATH (from Debian's PACKAGE) is there.
# Installs it when it is missing and apt-get is available as root; otherwise says what to
# install. Used for Chromium (the browser tests; Playwright cannot download its own browser
# here) and wrk (the load generator of benchmark P3).
set -euo pipefail
path=$1 package=$2 why=$3
if [ -x "$path" ]; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "$path is missing; installing Debian's $package package."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
else
  echo "$why needs $path (Debian: apt-get install $package)." >&2
  exit 1
fi

#!/usr/bin/env bash
# Makes sure the system libraries that Python wheels cannot ship are present: WeasyPrint (PDF
# reports) needs Pango (and, through it, HarfBuzz, FontConfig) and at least one font.
# Idempotent: installs only what is missing, and only where apt-get exists and we are root;
# elsewhere it says what to install and fails.
set -euo pipefail

missing=()
has_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
has_lib 'libpango-1\.0\.so\.0' || missing+=(libpango-1.0-0)
has_lib 'libpangoft2-1\.0\.so\.0' || missing+=(libpangoft2-1.0-0)
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list 2>/dev/null | head -n 1)" ]; then
  missing+=(fonts-dejavu-core)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  echo "Installing system packages for PDF reports: ${missing[*]}"
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
else
  echo "PDF reports (WeasyPrint) need these system packages: ${missing[*]}" >&2
  echo "Install them (Debian/Ubuntu: apt-get install ${missing[*]}; macOS: brew install pango)." >&2
  exit 1
fi

#!/usr/bin/env bash
# Installs everything costlens needs to run: Node >= 22 (Node 24 from the npm
# registry when the machine's is older), the npm workspaces, the build.
# With --test, also what the tests need from Debian: prometheus and promtool
# (package prometheus), alertmanager and amtool (package prometheus-alertmanager)
# and the headless browser the page tests drive (package chromium).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "${1:-}" = "--test" ]; then
  missing=()
  command -v promtool >/dev/null || missing+=(prometheus)
  command -v amtool >/dev/null || missing+=(prometheus-alertmanager)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  if [ "${#missing[@]}" -gt 0 ]; then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
      echo "installing Debian's ${missing[*]} (used by the tests)" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      echo "the tests need Debian's ${missing[*]}: apt-get install ${missing[*]}, and run this again" >&2
      exit 1
    fi
  fi
fi

. scripts/node-env.sh
echo "using node $(node --version) at $(command -v node)" >&2
npm ci --no-audit --no-fund
npm run build

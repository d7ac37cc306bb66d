#!/usr/bin/env bash
# Installs everything costlens needs to run: Node >= 22 (Node 24 from the npm
# registry when the machine's is older), the npm workspaces, the build.
# With --test, also what the tests need from Debian: promtool (package prometheus).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "${1:-}" = "--test" ] && ! command -v promtool >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "installing Debian's prometheus package (promtool, used by the tests)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  else
    echo "the tests need promtool: install Debian's prometheus package (apt-get install prometheus) and run this again" >&2
    exit 1
  fi
fi

. scripts/node-env.sh
echo "using node $(node --version) at $(command -v node)" >&2
npm ci --no-audit --no-fund
npm run build

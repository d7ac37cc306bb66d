#!/usr/bin/env bash
# Installs everything costlens needs to run and to be tested: Node >= 22 (Node 24
# from the npm registry when the machine's is older), the npm workspaces, the build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/node-env.sh
echo "using node $(node --version) at $(command -v node)" >&2
npm ci --no-audit --no-fund
npm run build

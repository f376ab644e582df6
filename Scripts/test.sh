#!/usr/bin/env bash
# The test command (README; .ci/run calls it). On a fresh Debian machine it installs what the suites need:
# Glewlwyd, sqlite3, openssl, curl, python3-venv, postgresql-15, pgbouncer (apt) and the pinned Python peers (a venv in .venv); then it builds,
# lints (swift format), exports the built binary's path for tests that run a process, and runs each test target.
# Every phase prints its wall time, so a regression shows in CI's log.
# No test builds or runs `swift`: `swift test` holds the build lock (BRIEF §9).
#   Scripts/test.sh                      everything
#   Scripts/test.sh --filter NAME        one `swift test --skip-build` run with these arguments (after build and lint)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

log() { printf '\n== %s\n' "$*" >&2; }
PHASES=()
phase_started=0
phase() { phase_started=$(date +%s%N); log "$1"; }
phase_done() {
  local tenths seconds
  tenths=$((($(date +%s%N) - phase_started) / 100000000))
  seconds="$((tenths / 10)).$((tenths % 10))"
  PHASES+=("$(printf '%-32s %8ss' "$1" "$seconds")")
  log "$1: ${seconds}s"
}
summary() {
  [ ${#PHASES[@]} -gt 0 ] || return 0
  printf '\n== phase timings (wall)\n' >&2
  printf '   %s\n' "${PHASES[@]}" >&2
}
trap summary EXIT
# retry N command…: runs the command up to N times (5 s, 10 s… apart); fails with its status when every attempt did.
retry() {
  local attempts=$1 attempt=1
  shift
  until "$@"; do
    if [ "$attempt" -ge "$attempts" ]; then
      log "failed $attempts times: $*"
      return 1
    fi
    sleep $((attempt * 5))
    attempt=$((attempt + 1))
  done
}

# --- system packages -------------------------------------------------------------------------------------------------
missing=()
phase apt
for pkg in glewlwyd sqlite3 openssl curl python3-venv ca-certificates postgresql-15 pgbouncer; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  retry 3 $SUDO apt-get -o Acquire::Retries=3 update -qq
  retry 3 $SUDO apt-get -o Acquire::Retries=3 install -y -qq --no-install-recommends "${missing[@]}"
fi
# Debian's glewlwyd package may start a system instance on 4593; our tests start their own on free ports.
phase_done apt

# --- Python peers ----------------------------------------------------------------------------------------------------
phase pip
if [ ! -x .venv/bin/python ] || ! cmp -s Scripts/requirements.txt .venv/requirements.installed; then
  log "installing Python peers into .venv"
  python3 -m venv .venv
  retry 3 .venv/bin/pip install -q --disable-pip-version-check -r Scripts/requirements.txt
  cp Scripts/requirements.txt .venv/requirements.installed
fi
export TESSERA_PYTHON="$ROOT/.venv/bin/python"
phase_done pip

# --- build, lint, then test -----------------------------------------------------------------------------------------
phase "swift build"
swift build --build-tests
TESSERA_BIN="$(swift build --show-bin-path)/tessera"
export TESSERA_BIN
phase_done build

phase "swift format lint"
swift format lint --strict --recursive --parallel Sources
phase_done lint

# The benchmark smoke: malloc thresholds of the hot paths (debug build, seconds; no release build, no timing).
phase "benchmark smoke (mallocs)"
Scripts/bench-smoke.sh
phase_done "benchmark smoke"

# The public test vectors (Wycheproof) are in Tests/vectors; TESSERA_SHARED may name another folder holding vectors/.
# Without them the vector suite skips, saying so; under CI=true it fails.

if [ $# -gt 0 ]; then
  phase "swift test $*"
  swift test --skip-build "$@"
  phase_done "swift test $*"
  exit 0
fi
# One run per test target (Package.swift), each timed; the first failure stops the script after the rest ran.
# The test targets are read from `swift package dump-package` (every .testTarget, whatever its name or layout).
targets=$(swift package dump-package | "$TESSERA_PYTHON" -c \
  'import json, sys; print("\n".join(t["name"] for t in json.load(sys.stdin)["targets"] if t["type"] == "test"))')
if [ -z "$targets" ]; then
  log "no test targets found in Package.swift"
  exit 1
fi
failed=()
for target in $targets; do
  phase "swift test: $target"
  if ! swift test --skip-build --filter "^$target\\."; then failed+=("$target"); fi
  phase_done "$target"
done
if [ ${#failed[@]} -gt 0 ]; then
  log "failed: ${failed[*]}"
  exit 1
fi

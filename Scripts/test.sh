#!/usr/bin/env bash
# The test command (README; .ci/run calls it). On a fresh Debian machine it installs what the suites need:
# Glewlwyd, sqlite3, openssl, curl, python3-venv (apt) and the pinned Python peers (a venv in .venv); then it builds,
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

# --- system packages -------------------------------------------------------------------------------------------------
missing=()
phase apt
for pkg in glewlwyd sqlite3 openssl curl python3-venv ca-certificates; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  for attempt in 1 2 3; do
    $SUDO apt-get -o Acquire::Retries=3 update -qq && break
    sleep $((attempt * 5))
  done
  for attempt in 1 2 3; do
    $SUDO apt-get -o Acquire::Retries=3 install -y -qq --no-install-recommends "${missing[@]}" && break
    sleep $((attempt * 5))
  done
fi
# Debian's glewlwyd package may start a system instance on 4593; our tests start their own on free ports.
phase_done apt

# --- Python peers ----------------------------------------------------------------------------------------------------
phase pip
if [ ! -x .venv/bin/python ] || ! cmp -s Scripts/requirements.txt .venv/requirements.installed; then
  log "installing Python peers into .venv"
  python3 -m venv .venv
  for attempt in 1 2 3; do
    .venv/bin/pip install -q --disable-pip-version-check -r Scripts/requirements.txt && break
    sleep $((attempt * 5))
  done
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

# The public test vectors (Wycheproof) live beside the checkout in ../shared, or wherever TESSERA_SHARED says; the
# vector suites skip without them, and under CI=true they are required.
if [ -z "${TESSERA_SHARED:-}" ] && [ -d "$ROOT/../shared" ]; then
  TESSERA_SHARED=$(cd "$ROOT/../shared" && pwd)
  export TESSERA_SHARED
fi

if [ $# -gt 0 ]; then
  phase "swift test $*"
  swift test --skip-build "$@"
  phase_done "swift test $*"
  exit 0
fi
# One run per test target (Package.swift), each timed; the first failure stops the script after the rest ran.
failed=()
for target in $(sed -n 's/^ *name: "\([A-Za-z]*Tests\)",$/\1/p' Package.swift); do
  phase "swift test: $target"
  if ! swift test --skip-build --filter "^$target\\."; then failed+=("$target"); fi
  phase_done "$target"
done
if [ ${#failed[@]} -gt 0 ]; then
  log "failed: ${failed[*]}"
  exit 1
fi

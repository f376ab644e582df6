#!/usr/bin/env bash
# The test command (README; .ci/run calls it). On a fresh Debian machine it installs what the suites need:
# Glewlwyd, sqlite3, openssl, curl, python3-venv (apt) and the pinned Python peers (a venv in .venv); then it builds,
# exports the built binary's path for tests that run a process, and runs `swift test`.
# No test builds or runs `swift`: `swift test` holds the build lock (BRIEF §9).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

log() { printf '\n== %s\n' "$*" >&2; }

# --- system packages -------------------------------------------------------------------------------------------------
missing=()
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

# --- Python peers ----------------------------------------------------------------------------------------------------
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

# --- build, then test ------------------------------------------------------------------------------------------------
log "swift build"
swift build --build-tests
TESSERA_BIN="$(swift build --show-bin-path)/tessera"
export TESSERA_BIN
# ../shared (BRIEF, vectors, interop scripts) sits beside the checkout; a clone elsewhere falls back to /work/shared.
if [ -z "${TESSERA_SHARED:-}" ]; then
  for candidate in "$ROOT/../shared" /work/shared; do
    if [ -d "$candidate" ]; then TESSERA_SHARED=$(cd "$candidate" && pwd); break; fi
  done
fi
export TESSERA_SHARED="${TESSERA_SHARED:-$ROOT/../shared}"

log "swift test"
swift test --skip-build "$@"

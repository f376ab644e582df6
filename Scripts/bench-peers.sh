#!/usr/bin/env bash
# The side-by-side benchmark (issue 18; README, "Performance"): Tessera's hot paths next to MSAL Python, PyJWT,
# Glewlwyd and the hardware, in one run on this machine. Release builds; every phase prints its wall time.
#
#   Scripts/bench-peers.sh
#
# 1. swift build -c release (tessera, TesseraBenchProbe) — timed apart, not counted in the ~15 minutes of the rest
# 2. installs what is missing: wrk, glewlwyd, sqlite3, valgrind (apt), the pinned Python peers (.venv)
# 3. the package-benchmark suite → bench-results/package-benchmark.md (a failure is recorded, the run goes on)
# 4. TesseraBenchProbe hits / validate / cold (one JSON object each)
# 5. MSAL Python's cache hit on its own benchmark's shapes, and a cold acquisition against the emulator
# 6. PyJWT jwt.decode of the same token with the same checks
# 7. openssl speed rsa2048
# 8. wrk: the emulator and Glewlwyd (secret, private_key_jwt: a fresh pre-signed assertion per request) and the
#    probe's /plain, /protected, /protected-cached
# 9. the daemon (tessera run): exec → first token logged, p50 of 20; VmRSS holding 1,000 tokens for 1,000 tenants;
#    both again for the profile-ordered build of Scripts/build-layout.sh (built after the install, not counted)
# 10. instruction counts with valgrind --tool=callgrind (BENCH_CALLGRIND=0 skips)
# 11. bench-results/peers.json, BENCHMARKS.md, bench-results/hit-latency.svg, bench-results/tokens-per-second.svg
#
# Knobs: BENCH_SKIP_BUILD=1 (use the release binaries as they are; BENCH_BIN=DIR takes them from DIR; the ordered
# layout's from BENCH_LAYOUT_BIN, default .build-layout/release/tessera, if built), BENCH_LAYOUT=0 (no ordered layout),
# BENCH_PACKAGE_BENCHMARK=0, BENCH_CALLGRIND=0, BENCH_TLS=1 (token-endpoint loads over HTTPS for both servers;
# default plain HTTP for both), BENCH_WRK_SECONDS (10),
# BENCH_MSAL_BUDGET (seconds to fill MSAL's app objects per shape, 240), BENCH_ASSERTIONS_MAX (120000),
# BENCH_KEEP=1 (keep the work folder), BENCH_ONLY=daemon (only that group of phases, after the build and the install:
# its raw JSON on stderr, no peers.json, BENCHMARKS.md or charts written), BENCH_QUICK=1 (a short smoke of the harness: 3-s loads, fewer samples, no
# 10,000-tenant MSAL shape), BENCH_RESULTS=DIR and BENCH_MARKDOWN=FILE (write elsewhere than bench-results/ and
# BENCHMARKS.md). Every process it starts is stopped at exit; ports are free ones on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${BENCH_RESULTS:-$ROOT/bench-results}
MARKDOWN=${BENCH_MARKDOWN:-$ROOT/BENCHMARKS.md}
QUICK=${BENCH_QUICK:-0}
BENCH=$ROOT/Scripts/bench
BIN=${BENCH_BIN:-$ROOT/.build/release}   # BENCH_BIN: binaries built elsewhere (with BENCH_SKIP_BUILD=1)
TESSERA=$BIN/tessera
PROBE=$BIN/TesseraBenchProbe
PY=$ROOT/.venv/bin/python
SHARED=${TESSERA_SHARED:-$ROOT/../shared}
WRK_SECONDS=${BENCH_WRK_SECONDS:-10}
PROBE_HITS_ARGS=()
PROBE_VALIDATE_ARGS=()
MSAL_SHAPES=1x10,1000x10,10000x10
MSAL_SAMPLES=20000
if [ "$QUICK" = 1 ]; then   # a smoke of the harness (a minute or two of load); its figures are not the benchmark
  WRK_SECONDS=${BENCH_WRK_SECONDS:-3}
  PROBE_HITS_ARGS=(--iterations 100000)
  PROBE_VALIDATE_ARGS=(--iterations 1000)
  MSAL_SHAPES=1x10,1000x10
  MSAL_SAMPLES=5000
fi
TLS=${BENCH_TLS:-0}
WORK=$(mktemp -d /tmp/tessera-bench-XXXXXX)   # 0700: the emulator's state folders and secrets live here
RAW=$WORK/raw
mkdir -p "$RAW" "$OUT"
: >"$WORK/commands.tsv"

log() { printf '\n== %s\n' "$*" >&2; }
note() { printf '   %s\n' "$*" >&2; }

# --- processes and clean-up ------------------------------------------------------------------------------------------
PIDS=()
track() { PIDS+=("$1"); }
# shellcheck source=Scripts/bench/processes.sh
source "$BENCH/processes.sh"   # stop_pid, await_emulator
PHASES=()
PHASES_JSON=()
cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  wait 2>/dev/null || true
  if [ ${#PHASES[@]} -gt 0 ]; then
    printf '\n== phase timings (wall)\n' >&2
    printf '   %s\n' "${PHASES[@]}" >&2
  fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then note "work folder kept: $WORK"; else rm -rf "$WORK" "${GLEWLWYD_TMP:-}"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- phases: wall time of each; a measuring phase that fails is recorded and the run goes on ------------------------
phase_started=0
phase() { phase_started=$(date +%s%N); log "$1"; }
phase_done() {
  local name=$1 status=${2:-0} tenths seconds
  tenths=$((($(date +%s%N) - phase_started) / 100000000))
  seconds="$((tenths / 10)).$((tenths % 10))"
  local mark=""
  [ "$status" = 0 ] || mark=" (FAILED, exit $status)"
  PHASES+=("$(printf '%-34s %8ss%s' "$name" "$seconds" "$mark")")
  PHASES_JSON+=("\"$name\": $seconds")
  log "$name: ${seconds}s$mark"
}
# measure NAME FUNCTION…: runs the function in a subshell with set -e; its failure is logged, not fatal.
FAILED=()
measure() {
  local name=$1 status
  shift
  phase "$name"
  set +e
  (set -e; "$@")
  status=$?
  set -e
  [ "$status" = 0 ] || FAILED+=("$name")
  phase_done "$name" "$status"
}

free_port() { "$PY" "$BENCH/fixtures.py" free-port; }
# command_line LABEL WORDS…: prints a command line and keeps it for peers.json ("commands"; a file, so that the
# phases' subshells add to it too).
command_line() {
  local label=$1
  shift
  printf '%s\t%s\n' "$label" "$*" >>"$WORK/commands.tsv"
  note "$label: $*"
}
retry() {
  local attempts=$1 attempt=1
  shift
  until "$@"; do
    [ "$attempt" -ge "$attempts" ] && return 1
    sleep $((attempt * 5))
    attempt=$((attempt + 1))
  done
}
json_field() { "$PY" -c 'import json,sys; v=json.load(open(sys.argv[1])); [v := v[k] for k in sys.argv[2:]]; print(v)' "$@"; }

# --- 1. build -------------------------------------------------------------------------------------------------------
build() {
  if [ "${BENCH_SKIP_BUILD:-0}" = 1 ]; then
    note "BENCH_SKIP_BUILD=1: using $TESSERA and $PROBE as built"
  else
    swift build -c release --product tessera
    [ -n "${BENCH_ONLY:-}" ] || swift build -c release --product TesseraBenchProbe   # the daemon group needs tessera
  fi
  [ -x "$TESSERA" ] && { [ -n "${BENCH_ONLY:-}" ] || [ -x "$PROBE" ]; }
}
# The profile-ordered daemon (Scripts/build-layout.sh: a section per function, profiled under callgrind, linked in
# the order it ran) → LAYOUT_TESSERA. BENCH_LAYOUT=0 skips it; with BENCH_SKIP_BUILD=1 a binary already built
# (BENCH_LAYOUT_BIN, default .build-layout/release/tessera, with the BIN.ordered mark build-layout.sh leaves after the
# ordered link) is used if there is one. LAYOUT_SCRATCH is passed on to build-layout.sh.
LAYOUT_TESSERA=""
layout_build() {
  local built
  [ "${BENCH_LAYOUT:-1}" = 1 ] || { note "BENCH_LAYOUT=0: no ordered-layout build"; return 0; }
  if [ "${BENCH_SKIP_BUILD:-0}" = 1 ]; then
    built=${BENCH_LAYOUT_BIN:-$ROOT/.build-layout/release/tessera}
    [ -x "$built" ] && [ -e "$built.ordered" ] ||
      { note "no ordered-layout build at $built (Scripts/build-layout.sh)"; return 0; }
  else
    built=${LAYOUT_SCRATCH:-$ROOT/.build-layout}/release/tessera   # where build-layout.sh links it
    LAYOUT_PYTHON=$PY "$ROOT/Scripts/build-layout.sh" || return 1
  fi
  LAYOUT_TESSERA=$built
  note "ordered layout: $LAYOUT_TESSERA"
}

# --- 2. what the peers need -----------------------------------------------------------------------------------------
install_peers() {
  local missing=() pkg
  local wanted=(wrk glewlwyd sqlite3 openssl curl python3-venv ca-certificates)
  { [ "${BENCH_CALLGRIND:-1}" = 1 ] || [ "${BENCH_LAYOUT:-1}" = 1 ]; } && wanted+=(valgrind binutils gcc libc6-dev)
  for pkg in "${wanted[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ ${#missing[@]} -gt 0 ]; then
    note "installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    retry 3 $sudo apt-get -o Acquire::Retries=3 update -qq
    retry 3 $sudo apt-get -o Acquire::Retries=3 install -y -qq --no-install-recommends "${missing[@]}"
  fi
  if [ ! -x "$PY" ] || ! cmp -s Scripts/requirements.txt .venv/requirements.installed; then
    note "installing the pinned Python peers into .venv"
    python3 -m venv .venv
    retry 3 .venv/bin/pip install -q --disable-pip-version-check -r Scripts/requirements.txt
    cp Scripts/requirements.txt .venv/requirements.installed
  fi
  "$PY" -c 'import msal, jwt, cryptography; print("msal", msal.__version__, "PyJWT", jwt.__version__)' >&2
  swift --version 2>/dev/null | head -1 >"$RAW/swift-version.txt" || true
}

# --- 3. package-benchmark -------------------------------------------------------------------------------------------
package_benchmark() {
  if [ "${BENCH_PACKAGE_BENCHMARK:-1}" != 1 ]; then
    echo '{"status": "skipped (BENCH_PACKAGE_BENCHMARK=0)"}' >"$RAW/package-benchmark.json"
    return 0
  fi
  local started status=0 seconds
  started=$(date +%s)
  swift package --disable-sandbox benchmark --target TesseraBenchmarks --no-progress --format markdown \
    >"$WORK/package-benchmark.out" 2>"$WORK/package-benchmark.err" || status=$?
  seconds=$(($(date +%s) - started))
  {
    echo "<!-- swift package --disable-sandbox benchmark --target TesseraBenchmarks --no-progress --format markdown -->"
    echo "<!-- $(date -u +%Y-%m-%dT%H:%M:%SZ), exit $status, ${seconds}s -->"
    echo
    cat "$WORK/package-benchmark.out"
    if [ "$status" != 0 ]; then
      printf '\n**The suite failed (exit %s).** Last lines of its stderr:\n\n```\n' "$status"
      tail -40 "$WORK/package-benchmark.err"
      printf '```\n'
    fi
  } >"$OUT/package-benchmark.md"
  local verdict=ok
  [ "$status" = 0 ] || verdict=failed
  printf '{"status": "%s", "exit_code": %s, "seconds": %s}\n' "$verdict" "$status" "$seconds" >"$RAW/package-benchmark.json"
  [ "$status" = 0 ] || note "package-benchmark failed (exit $status): see bench-results/package-benchmark.md"
}

# --- fixtures and the emulators --------------------------------------------------------------------------------------
FIX=$WORK/fixtures
fixtures() {
  mkdir -p "$FIX"
  chmod 700 "$FIX"
  "$PY" "$BENCH/fixtures.py" token "$FIX"
  "$PY" "$BENCH/fixtures.py" certificate "$FIX"
  "$PY" "$BENCH/fixtures.py" directory "$FIX/directory.json" --tenants 1
  "$PY" "$BENCH/fixtures.py" directory "$FIX/directory-1000.json" --tenants 1000
  TOKEN_ISSUER=$(json_field "$FIX/token.json" issuer)
  TOKEN_AUDIENCE=$(json_field "$FIX/token.json" audience)
  HOME_TENANT=$("$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import fixtures; print(fixtures.HOME_TENANT)' "$BENCH")
  CLIENT_ID=$("$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import fixtures; print(fixtures.CLIENT_ID)' "$BENCH")
  GRAPH_SCOPE=https://graph.microsoft.com/.default
}

# start_emulator NAME DIRECTORY_FILE http|https → sets EMU_<NAME>_BASE, EMU_<NAME>_CA, EMU_<NAME>_PID
start_emulator() {
  local name=$1 directory=$2 scheme=$3 port state flags=() pid base
  port=$(free_port)
  state=$WORK/emulator-$name
  mkdir -p "$state"
  chmod 700 "$state"
  [ "$scheme" = http ] && flags+=(--http)
  "$TESSERA" emulator "${flags[@]}" --port "$port" --config "$directory" --state-dir "$state" \
    >"$WORK/emulator-$name.out" 2>"$WORK/emulator-$name.err" &
  pid=$!
  track "$pid"
  await_emulator "$pid" "$WORK/emulator-$name.out" "$state" "$WORK/emulator-$name.err"
  base=$(json_field "$state/connection.json" baseURL)
  local curl=(curl -fsS -o /dev/null)
  [ "$scheme" = https ] && curl+=(--cacert "$state/ca.pem")
  "${curl[@]}" "$base/$HOME_TENANT/v2.0/.well-known/openid-configuration"
  printf -v "EMU_${name}_BASE" %s "$base"
  printf -v "EMU_${name}_CA" %s "$state/ca.pem"
  printf -v "EMU_${name}_PID" %s "$pid"
  command_line "emulator $name ($base)" "$TESSERA" emulator "${flags[@]}" --port "$port" --config "$directory" --state-dir "$state"
}

# --- 4. the probe ---------------------------------------------------------------------------------------------------
probe_hits() {
  "$PROBE" hits --entries 10,10000,100000 "${PROBE_HITS_ARGS[@]}" >"$RAW/probe-hits.json"
  cat "$RAW/probe-hits.json" >&2
}
probe_validate() {
  "$PROBE" validate --token "$FIX/token.jwt" --jwks "$FIX/jwks.json" --issuer "$TOKEN_ISSUER" \
    --audience "$TOKEN_AUDIENCE" "${PROBE_VALIDATE_ARGS[@]}" >"$RAW/probe-validate.json"
  cat "$RAW/probe-validate.json" >&2
}
probe_cold() {
  local authority=(--authority "$EMU_A_BASE" --tenant "$HOME_TENANT")
  # The contract is --authority <host> --tenant <t>; a probe without --tenant takes the tenant in the authority URL.
  "$PROBE" help cold 2>&1 | grep -q -- '--tenant' || authority=(--authority "$EMU_A_BASE/$HOME_TENANT")
  "$PROBE" cold "${authority[@]}" --client-id "$CLIENT_ID" --secret-file "$FIX/client-secret" \
    --scope "$GRAPH_SCOPE" --ca-file "$EMU_A_CA" --count 20 >"$RAW/probe-cold.json"
  cat "$RAW/probe-cold.json" >&2
}

# --- 5. MSAL Python -------------------------------------------------------------------------------------------------
msal_hits() {
  "$PY" "$BENCH/msal_cache_hit.py" hits --shapes "$MSAL_SHAPES" --samples "$MSAL_SAMPLES" \
    --budget-seconds "${BENCH_MSAL_BUDGET:-240}" >"$RAW/msal-hits.json"
}
msal_cold() {
  "$PY" "$BENCH/msal_cache_hit.py" cold --authority "$EMU_A_BASE" --tenant "$HOME_TENANT" --client-id "$CLIENT_ID" \
    --secret-file "$FIX/client-secret" --scope "$GRAPH_SCOPE" --ca-file "$EMU_A_CA" --count 20 >"$RAW/msal-cold.json"
  cat "$RAW/msal-cold.json" >&2
}

# --- 6. PyJWT -------------------------------------------------------------------------------------------------------
pyjwt() {
  "$PY" "$BENCH/pyjwt_decode.py" --token "$FIX/token.jwt" --jwks "$FIX/jwks.json" --issuer "$TOKEN_ISSUER" \
    --audience "$TOKEN_AUDIENCE" >"$RAW/pyjwt.json"
  cat "$RAW/pyjwt.json" >&2
}

# --- 7. the hardware ------------------------------------------------------------------------------------------------
openssl_speed() {
  openssl speed -seconds 3 rsa2048 >"$WORK/openssl.txt" 2>&1
  "$PY" - "$WORK/openssl.txt" >"$RAW/openssl.json" <<'PY'
import json, re, subprocess, sys
text = open(sys.argv[1]).read()
m = re.search(r"^rsa\s+2048 bits\s+([0-9.]+)s\s+([0-9.]+)s\s+([0-9.]+)\s+([0-9.]+)", text, re.M)
if not m:
    raise SystemExit("cannot read openssl speed's output:\n" + text[-800:])
version = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
print(json.dumps({"openssl": version, "command": "openssl speed -seconds 3 rsa2048",
                  "sign_s": float(m.group(1)), "verify_s": float(m.group(2)),
                  "sign_per_s": float(m.group(3)), "verify_per_s": float(m.group(4))}))
PY
  cat "$RAW/openssl.json" >&2
}

# --- 8. wrk ---------------------------------------------------------------------------------------------------------
# run_wrk NAME TARGET KIND CONNECTIONS URL [wrk options…]; the WRK_* environment feeds token_request.lua.
run_wrk() {
  local name=$1 target=$2 kind=$3 connections=$4 url=$5
  shift 5
  local transport=http
  case $url in https:*) transport=https ;; esac
  WRK_THREADS=2 wrk -t2 -c"$connections" -d"${WRK_SECONDS}s" --timeout 10s --latency "$@" "$url" \
    >"$WORK/wrk-$name.txt" 2>&1 || true
  "$PY" "$BENCH/wrk_result.py" "$WORK/wrk-$name.txt" --name "$name" --target "$target" --kind "$kind" \
    --transport "$transport" --connections "$connections" --threads 2 --duration "$WRK_SECONDS" >"$RAW/wrk-$name.json"
  "$PY" - "$RAW/wrk-$name.json" >&2 <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
if r["valid"]:
    print("   %-24s %.0f/s" % (r["name"], r["requests_per_s"]))
else:
    print("   %-24s INVALID: %s (wrk said %s/s)" % (r["name"], r["invalid_reason"], r.get("invalid_requests_per_s")))
PY
}
warm_up() { WRK_THREADS=2 wrk -t2 -c"$1" -d2s --timeout 10s "${@:3}" "$2" >/dev/null 2>&1 || true; }

ASSERTION_TYPE=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer
# assertions_for SECRET_RESULT_JSON → how many assertions a run needs: 1.5× what the secret run reached, or the cap.
assertions_for() {
  "$PY" - "$1" "${BENCH_ASSERTIONS_MAX:-120000}" "$WRK_SECONDS" <<'PY'
import json, math, sys
try:
    r = json.load(open(sys.argv[1]))
    rate = r.get("requests_per_s") or r.get("invalid_requests_per_s")
except (OSError, ValueError):
    rate = None
cap, seconds = int(sys.argv[2]), int(sys.argv[3])
print(cap if not rate else min(cap, max(20000, math.ceil(rate * seconds * 1.5) + 2000)))
PY
}
# sign_assertions FILE ALG AUDIENCE CLIENT_ID KEY [CERT] COUNT — just before the run that uses them.
sign_assertions() {
  local file=$1 alg=$2 audience=$3 client=$4 key=$5 cert=$6 count=$7 args=()
  [ -n "$cert" ] && args+=(--cert "$cert")
  "$PY" "$BENCH/fixtures.py" assertions "$file" --algorithm "$alg" --audience "$audience" --client-id "$client" \
    --key "$key" "${args[@]}" --count "$count" >&2
}

wrk_emulator() {
  local base=$EMU_W_BASE endpoint count alg
  endpoint="$base/$HOME_TENANT/oauth2/v2.0/token"
  local secret
  secret=$(cat "$FIX/client-secret")
  local scope=https%3A%2F%2Fgraph.microsoft.com%2F.default
  note "emulator token endpoint: $endpoint (client_secret_post; private_key_jwt with x5t#S256 of the registered certificate)"
  export WRK_BODY="grant_type=client_credentials&client_id=$CLIENT_ID&client_secret=$secret&scope=$scope"
  warm_up 32 "$endpoint" -s "$BENCH/token_request.lua"
  run_wrk emulator-secret emulator secret 32 "$endpoint" -s "$BENCH/token_request.lua"
  unset WRK_BODY
  count=$(assertions_for "$RAW/wrk-emulator-secret.json")
  for alg in RS256 PS256; do
    local lower
    lower=$(echo "$alg" | tr 'A-Z' 'a-z')
    sign_assertions "$WORK/emulator-$lower.txt" "$alg" "$endpoint" "$CLIENT_ID" "$FIX/client-key.pem" \
      "$FIX/client-cert.pem" "$count"
    WRK_ASSERTIONS="$WORK/emulator-$lower.txt" \
      WRK_BODY_PREFIX="grant_type=client_credentials&client_id=$CLIENT_ID&scope=$scope&client_assertion_type=$ASSERTION_TYPE&client_assertion=" \
      run_wrk "emulator-$lower" emulator "$lower" 32 "$endpoint" -s "$BENCH/token_request.lua"
    rm -f "$WORK/emulator-$lower.txt"
  done
}

GLEWLWYD_W=""
GLEWLWYD_TMP=""   # a folder this script made on /dev/shm, removed at exit
start_glewlwyd() {
  local port line setup=$SHARED/interop/glewlwyd-setup.sh
  port=$(free_port)
  # The database on tmpfs when there is one: Glewlwyd writes every token it issues to SQLite, and on this
  # machine's disk its fsyncs, not its CPU, bound it (73–130 tokens/s instead of ~280). The peer at its fastest.
  if [ -z "${BENCH_GLEWLWYD_DIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    GLEWLWYD_W=$(mktemp -d /dev/shm/tessera-bench-glewlwyd-XXXXXX)
    GLEWLWYD_TMP=$GLEWLWYD_W
    GLEWLWYD_DB="tmpfs (/dev/shm)"
  else
    GLEWLWYD_W=${BENCH_GLEWLWYD_DIR:-$WORK/glewlwyd}
    mkdir -p "$GLEWLWYD_W"
    GLEWLWYD_DB="disk ($GLEWLWYD_W)"
  fi
  if [ -f "$setup" ]; then
    command_line "Glewlwyd" W="$GLEWLWYD_W" PORT="$port" TLS="$TLS" bash "$setup"
    line=$(W=$GLEWLWYD_W PORT=$port TLS=$TLS bash "$setup" | tail -1)
    GLEWLWYD_KEY=$GLEWLWYD_W/client.key
    GLEWLWYD_CA=$GLEWLWYD_W/ca.pem
  else
    # Without shared/: the suite's own starter (plain HTTP), with a key pair made here.
    note "no $setup: using Scripts/interop/glewlwyd.sh (plain HTTP)"
    openssl genrsa -out "$GLEWLWYD_W/client.key" 2048 2>/dev/null
    openssl rsa -in "$GLEWLWYD_W/client.key" -pubout -out "$GLEWLWYD_W/client.pub" 2>/dev/null
    line=$(STATE=$GLEWLWYD_W/state PORT=$port CLIENT_PUBKEY=$GLEWLWYD_W/client.pub bash Scripts/interop/glewlwyd.sh | tail -1)
    GLEWLWYD_KEY=$GLEWLWYD_W/client.key
    GLEWLWYD_CA=""
  fi
  GLEWLWYD_PID=$(sed -n 's/.*GLEWLWYD_PID=\([0-9]*\).*/\1/p' <<<"$line")
  GLEWLWYD_ISSUER=$(sed -n 's/.*GLEWLWYD_ISSUER=\([^ ]*\).*/\1/p' <<<"$line")
  [ -n "$GLEWLWYD_PID" ] && [ -n "$GLEWLWYD_ISSUER" ] || { echo "Glewlwyd did not start: $line" >&2; return 1; }
  track "$GLEWLWYD_PID"
  local curl=(curl -fsS)
  [ -n "$GLEWLWYD_CA" ] && [ -f "$GLEWLWYD_CA" ] && curl+=(--cacert "$GLEWLWYD_CA")
  GLEWLWYD_TOKEN=$("${curl[@]}" "$GLEWLWYD_ISSUER/.well-known/openid-configuration" |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["token_endpoint"])')
  local version
  version=$(dpkg-query -W -f='${Version}' glewlwyd 2>/dev/null || echo unknown)
  printf '{"version": "%s", "database": "%s", "token_endpoint": "%s"}\n' "$version" "$GLEWLWYD_DB" "$GLEWLWYD_TOKEN" \
    >"$RAW/glewlwyd.json"
  note "Glewlwyd $version on $GLEWLWYD_TOKEN (pid $GLEWLWYD_PID, database on $GLEWLWYD_DB)"
}

wrk_glewlwyd() {
  local endpoint=$GLEWLWYD_TOKEN count
  export WRK_BODY="grant_type=client_credentials&client_id=daemon-secret&client_secret=s3cr3t-value&scope=api.read"
  warm_up 32 "$endpoint" -s "$BENCH/token_request.lua"
  run_wrk glewlwyd-secret glewlwyd secret 32 "$endpoint" -s "$BENCH/token_request.lua"
  unset WRK_BODY
  count=$(assertions_for "$RAW/wrk-glewlwyd-secret.json")
  # Glewlwyd refuses a reused jti and a decimal exp: integer times, one fresh assertion per request, aud = its endpoint.
  sign_assertions "$WORK/glewlwyd-rs256.txt" RS256 "$endpoint" daemon-cert "$GLEWLWYD_KEY" "" "$count"
  WRK_ASSERTIONS="$WORK/glewlwyd-rs256.txt" \
    WRK_BODY_PREFIX="grant_type=client_credentials&client_id=daemon-cert&scope=api.read&client_assertion_type=$ASSERTION_TYPE&client_assertion=" \
    run_wrk glewlwyd-rs256 glewlwyd rs256 32 "$endpoint" -s "$BENCH/token_request.lua"
  rm -f "$WORK/glewlwyd-rs256.txt"
}

start_probe_server() {
  local port
  port=$(free_port)
  "$PROBE" serve --port "$port" --jwks "$FIX/jwks.json" --issuer "$TOKEN_ISSUER" --audience "$TOKEN_AUDIENCE" \
    >"$WORK/serve.out" 2>"$WORK/serve.err" &
  SERVE_PID=$!
  track "$SERVE_PID"
  for _ in $(seq 1 200); do
    grep -q '"listening"' "$WORK/serve.out" 2>/dev/null && break
    kill -0 "$SERVE_PID" 2>/dev/null || { tail -20 "$WORK/serve.err" >&2; return 1; }
    sleep 0.05
  done
  grep -q '"listening"' "$WORK/serve.out"
  SERVE_BASE="http://127.0.0.1:$port"
}

wrk_probe() {
  # The same request everywhere (the Bearer token too); only what the route does differs.
  local auth=(-H "Authorization: Bearer $(cat "$FIX/token.jwt")")
  curl -fsS -o /dev/null "${auth[@]}" "$SERVE_BASE/protected"
  curl -fsS -o /dev/null "${auth[@]}" "$SERVE_BASE/protected-cached"
  warm_up 64 "$SERVE_BASE/plain" "${auth[@]}"
  run_wrk probe-plain probe plain 64 "$SERVE_BASE/plain" "${auth[@]}"
  run_wrk probe-protected probe protected 64 "$SERVE_BASE/protected" "${auth[@]}"
  run_wrk probe-protected-cached probe protected-cached 64 "$SERVE_BASE/protected-cached" "${auth[@]}"
}

# --- 9. the daemon --------------------------------------------------------------------------------------------------
daemon_starts() { # daemon_starts [BINARY RAW_SUFFIX]: the release build, or another one (the ordered layout)
  local tessera=${1:-$TESSERA} suffix=${2:-}
  "$PY" "$BENCH/fixtures.py" daemon-config "$WORK/daemon-1" --base-url "$EMU_A_BASE" --secret-dir "$FIX" --schedule once
  command_line "daemon start$suffix (x21, the first not counted)" "$tessera" run --config "$WORK/daemon-1/daemon.json" --ca-file "$EMU_A_CA" --log-level debug
  "$PY" "$BENCH/daemon_bench.py" starts --tessera "$tessera" --config "$WORK/daemon-1/daemon.json" \
    --ca-file "$EMU_A_CA" --count 20 >"$RAW/daemon-starts$suffix.json"
  cat "$RAW/daemon-starts$suffix.json" >&2
}
daemon_rss() { # daemon_rss [BINARY RAW_SUFFIX]
  local tessera=${1:-$TESSERA} suffix=${2:-} port
  port=$(free_port)
  "$PY" "$BENCH/fixtures.py" daemon-config "$WORK/daemon-1000" --base-url "$EMU_B_BASE" --secret-dir "$FIX" \
    --tenants 1000 --schedule "every 1h"
  command_line "daemon$suffix, 1,000 tenants" "$tessera" run --config "$WORK/daemon-1000/daemon.json" --ca-file "$EMU_B_CA" --metrics-port "$port" --log-level info
  "$PY" "$BENCH/daemon_bench.py" rss --tessera "$tessera" --config "$WORK/daemon-1000/daemon.json" \
    --ca-file "$EMU_B_CA" --metrics-port "$port" --tokens 1000 --hold 10 --log "$WORK/daemon-1000$suffix.err" \
    >"$RAW/daemon-rss$suffix.json"
  cat "$RAW/daemon-rss$suffix.json" >&2
}
# The same two measures on the profile-ordered build (Scripts/build-layout.sh), when there is one.
daemon_layout() { [ -z "$LAYOUT_TESSERA" ] || "$1" "$LAYOUT_TESSERA" -layout; }

# --- 10. instruction counts -----------------------------------------------------------------------------------------
# Debian 12's valgrind 3.19 cannot read the DWARF 5 of Swift's binaries (it gives up), so it runs copies without debug
# sections (symbols stay); and it faults on the read-only signal mask libdispatch passes to rt_sigsuspend (every Swift
# async main parks its main thread there), so Scripts/bench/sigsuspend_shim.c is preloaded into the program.
callgrind() {
  if [ "${BENCH_CALLGRIND:-1}" != 1 ]; then
    echo '{"status": "skipped (BENCH_CALLGRIND=0)"}' >"$RAW/callgrind.json"
    return 0
  fi
  local dir=$WORK/callgrind lib
  mkdir -p "$dir"
  cc -O2 -shared -fPIC -o "$dir/sigsuspend_shim.so" "$BENCH/sigsuspend_shim.c"
  objcopy --strip-debug "$PROBE" "$dir/TesseraBenchProbe"
  # The probe's own shared libraries from .build/release (found through its $ORIGIN run path), stripped likewise.
  for lib in $(ldd "$PROBE" | awk -v bin="$BIN" 'index($3, bin) == 1 { print $3 }'); do
    objcopy --strip-debug "$lib" "$dir/$(basename "$lib")"
  done
  local runs=() hits_n=20000 validate_n=200 contenders="" validators=""
  "$PROBE" help hits 2>&1 | grep -q -- '--only' && contenders="bound keyed floor"
  "$PROBE" help validate 2>&1 | grep -q -- '--only' && validators="validate raw malformed cached"
  cg() { # cg NAME ARGS… → total Ir of the run
    LD_PRELOAD="$dir/sigsuspend_shim.so" valgrind --tool=callgrind --callgrind-out-file="$dir/$1.out" \
      "$dir/TesseraBenchProbe" "${@:2}" >"$dir/$1.stdout" 2>"$dir/$1.stderr" ||
      { tail -5 "$dir/$1.stderr" >&2; return 1; }
    sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$dir/$1.out" | head -1 >"$dir/$1.ir"
    runs+=("$1")
  }
  local validate_args=(--token "$FIX/token.jwt" --jwks "$FIX/jwks.json" --issuer "$TOKEN_ISSUER" --audience "$TOKEN_AUDIENCE")
  cg hits-0 hits --entries 10 --iterations 0
  if [ -n "$contenders" ]; then
    for c in $contenders; do cg "hits-$c" hits --entries 10 --iterations "$hits_n" --only "$c"; done
  else
    cg hits-all hits --entries 10 --iterations "$hits_n"
  fi
  cg validate-0 validate "${validate_args[@]}" --iterations 0
  if [ -n "$validators" ]; then
    for v in $validators; do cg "validate-$v" validate "${validate_args[@]}" --iterations "$validate_n" --only "$v"; done
  else
    cg validate-all validate "${validate_args[@]}" --iterations "$validate_n"
  fi
  "$PY" - "$dir" "$hits_n" "$validate_n" >"$RAW/callgrind.json" <<'PY'
import glob, json, os, sys
folder, hits_n, validate_n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ir = {os.path.basename(p)[:-3]: int(open(p).read().strip() or 0) for p in glob.glob(os.path.join(folder, "*.ir"))}
per, note = {}, []
for name, total in sorted(ir.items()):
    group, _, which = name.partition("-")
    if which == "0":
        continue
    count = hits_n if group == "hits" else validate_n
    if group == "validate" and which in ("malformed", "cached"):
        count *= 10  # the probe runs malformed and cached 10× the iterations
    per["%s_%s" % ("hit_10_entries" if group == "hits" else "validation", which)] = round((total - ir[group + "-0"]) / count)
if "hits-all" in ir:
    note.append("hit_10_entries_all = one bound + one keyed + one floor lookup per iteration (the probe has no --only)")
if "validate-all" in ir:
    note.append("validation_all = 1 validate + 1 raw verify + 10 malformed + 10 cached per iteration (no --only)")
print(json.dumps({"status": "ok", "valgrind": os.popen("valgrind --version").read().strip(),
                  "iterations": {"hits": hits_n, "validate": validate_n},
                  "totals_ir": ir, "per_operation_ir": per, "note": "; ".join(note)}))
PY
  cat "$RAW/callgrind.json" >&2
}

# --- 11. peers.json, BENCHMARKS.md, the charts ----------------------------------------------------------------------
report() {
  local IFS=,
  printf '{%s}\n' "${PHASES_JSON[*]}" >"$RAW/phases.json"
  unset IFS
  "$PY" -c 'import json,sys; print(json.dumps(dict(l.rstrip("\n").split("\t", 1) for l in open(sys.argv[1]))))' \
    "$WORK/commands.tsv" >"$RAW/commands.json"
  "$PY" "$BENCH/collect.py" "$RAW" "$OUT/peers.json"
  "$PY" "$BENCH/report.py" --peers "$OUT/peers.json" --markdown "$MARKDOWN" --charts "$OUT"
  "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1]))["ratios"]; [print("   %-50s %s" % (k, v)) for k, v in r.items()]' \
    "$OUT/peers.json" >&2
}

# --- the run --------------------------------------------------------------------------------------------------------
phase "release build (not counted)"
build
phase_done "release build (not counted)"
RUN_STARTED=$(date +%s)

phase install
install_peers
phase_done install

layout_started=$(date +%s)
phase "ordered-layout build and profile (not counted)"
layout_status=0
layout_build || { layout_status=$?; FAILED+=("ordered-layout build"); LAYOUT_TESSERA=""; }
phase_done "ordered-layout build and profile (not counted)" "$layout_status"
RUN_STARTED=$((RUN_STARTED + $(date +%s) - layout_started))

if [ -n "${BENCH_ONLY:-}" ]; then   # one group of phases, for working on it; the report needs every phase
  phase fixtures
  fixtures
  phase_done fixtures
  for group in ${BENCH_ONLY//,/ }; do
    case $group in
      daemon)
        start_emulator A "$FIX/directory.json" https
        measure "daemon starts" daemon_starts
        measure "daemon starts (ordered layout)" daemon_layout daemon_starts
        stop_pid "$EMU_A_PID"
        start_emulator B "$FIX/directory-1000.json" https
        measure "daemon RSS" daemon_rss
        measure "daemon RSS (ordered layout)" daemon_layout daemon_rss
        stop_pid "$EMU_B_PID"
        ;;
      *) log "BENCH_ONLY: no group '$group' (there is: daemon)"; exit 2 ;;
    esac
  done
  [ ${#FAILED[@]} -eq 0 ] || { log "phases that failed: ${FAILED[*]}"; exit 1; }
  exit 0
fi

measure package-benchmark package_benchmark

phase "fixtures and emulator"
fixtures
start_emulator A "$FIX/directory.json" https
phase_done "fixtures and emulator"

measure "probe hits" probe_hits
measure "probe validate" probe_validate
measure "MSAL Python hits" msal_hits
measure "PyJWT decode" pyjwt
measure "openssl speed" openssl_speed
measure "probe cold" probe_cold
measure "MSAL Python cold" msal_cold

phase "wrk emulator (start)"
if [ "$TLS" = 1 ]; then EMU_W_BASE=$EMU_A_BASE; else start_emulator W "$FIX/directory.json" http; fi
phase_done "wrk emulator (start)"
measure "wrk emulator" wrk_emulator
[ "$TLS" = 1 ] || stop_pid "$EMU_W_PID"

phase "glewlwyd (start)"
start_glewlwyd
phase_done "glewlwyd (start)"
measure "wrk glewlwyd" wrk_glewlwyd
stop_pid "$GLEWLWYD_PID"

phase "probe serve (start)"
start_probe_server
phase_done "probe serve (start)"
measure "wrk probe routes" wrk_probe
stop_pid "$SERVE_PID"

measure "daemon starts" daemon_starts
measure "daemon starts (ordered layout)" daemon_layout daemon_starts
stop_pid "$EMU_A_PID"
phase "emulator, 1,000 tenants (start)"
start_emulator B "$FIX/directory-1000.json" https
phase_done "emulator, 1,000 tenants (start)"
measure "daemon RSS" daemon_rss
measure "daemon RSS (ordered layout)" daemon_layout daemon_rss
stop_pid "$EMU_B_PID"

measure callgrind callgrind

phase report
report
phase_done report
elapsed=$(($(date +%s) - RUN_STARTED))
log "measured in ${elapsed} s after the build; results: $OUT/peers.json, $MARKDOWN"
[ "$elapsed" -le 900 ] || log "over the 15-minute budget (issue 18) by $((elapsed - 900)) s: see the phase timings"
if [ ${#FAILED[@]} -gt 0 ]; then
  log "phases that failed (recorded, see above): ${FAILED[*]}"
  exit 1
fi

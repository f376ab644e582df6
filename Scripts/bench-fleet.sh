#!/usr/bin/env bash
# The fleet benchmark (README, "Performance"): token requests per simulated hour for 50 replicas × 1,000 tenants over
# 2 simulated hours, without and with the PostgreSQL shared cache, and the latency of an L2 hit. Starts a throwaway
# PostgreSQL 15 (Debian's binaries; as root the server runs as `postgres`) on a free loopback port, removed at exit.
#   Scripts/bench-fleet.sh [debug|release]     (default debug; FLEET_REPLICAS, FLEET_TENANTS, FLEET_HOURS pass through)
set -euo pipefail
cd "$(dirname "$0")/.."
configuration=${1:-debug}
bin=/usr/lib/postgresql/15/bin
[ -x "$bin/postgres" ] || { echo "PostgreSQL 15 is missing: apt-get install postgresql-15" >&2; exit 1; }
run_as=(); [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
folder=$(mktemp -d /tmp/tessera-bench-pg-XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres:postgres "$folder"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { "${run_as[@]}" "$bin/pg_ctl" -D "$folder/data" stop -m immediate >/dev/null 2>&1 || true; rm -rf "$folder"; }
trap cleanup EXIT
"${run_as[@]}" "$bin/initdb" -D "$folder/data" -A trust --no-sync -U postgres >/dev/null
"${run_as[@]}" "$bin/pg_ctl" -D "$folder/data" -l "$folder/log" -w start \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $folder -c fsync=off -c max_connections=200" >/dev/null
"${run_as[@]}" "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -q -c "CREATE ROLE tessera LOGIN" \
  -c "CREATE DATABASE tessera OWNER tessera"
swift build -c "$configuration" --product FleetSimulation
echo "PostgreSQL 15 on 127.0.0.1:$port, FleetSimulation ($configuration build), $(nproc) cores"
FLEET_CACHE="postgres://tessera@127.0.0.1:$port/tessera?sslmode=disable" ".build/$configuration/FleetSimulation"

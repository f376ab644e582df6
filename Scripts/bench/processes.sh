# shellcheck shell=bash
# Process helpers sourced by Scripts/bench-peers.sh and Scripts/build-layout.sh (bash).

# stop_pid PID [SECONDS]: SIGTERM (every server and daemon here shuts down gracefully on it; valgrind passes it on),
# then SIGKILL after SECONDS (default 5), so that nothing outlives the script; reaped when it is our child.
stop_pid() {
  local pid=$1 tenths=$((${2:-5} * 10))
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 "$tenths"); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# await_emulator PID OUT STATE ERR: until the `tessera emulator` at PID has printed "listening on" to OUT and written
# STATE/connection.json (30 s); fails, with ERR's last lines, if it exits or does not get there.
await_emulator() {
  local pid=$1 out=$2 state=$3 err=$4
  for _ in $(seq 1 300); do
    grep -q "listening on" "$out" 2>/dev/null && [ -s "$state/connection.json" ] && return 0
    kill -0 "$pid" 2>/dev/null || { tail -20 "$err" >&2; return 1; }
    sleep 0.1
  done
  echo "${0##*/}: the emulator (pid $pid) did not start in 30 s; $err:" >&2
  tail -20 "$err" >&2
  return 1
}

"""The daemon's start-up and memory (Scripts/bench-peers.sh), on the release `tessera run`.

  daemon_bench.py starts --tessera BIN --config daemon.json --ca-file PEM [--count 20]
      Each start: the clock starts just before exec (subprocess.Popen), the daemon runs with --log-level debug, and the
      clock stops when its stderr shows the client's "token acquired" line (IdentityProviderTokenSource, debug level:
      the token answer parsed). The log's own timestamps have one-second resolution (swift-log's StreamLogHandler and
      the CLI's JSON handler alike), so the time is taken by this reader of the pipe, not from the line.
  daemon_bench.py rss --tessera BIN --config daemon.json --ca-file PEM --metrics-port N [--tokens 1000] [--hold 10]
      Starts the daemon (a PerTenant job over 1,000 tenants), polls /metrics until tessera_token_requests_total
      {result="success"} reaches --tokens, waits --hold seconds, and reads VmRSS / VmHWM from /proc/<pid>/status.

Each prints one JSON object on stdout.
"""
import argparse
import json
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

TOKEN_LINE = "token acquired"
SUCCESS = re.compile(r'^tessera_token_requests_total\{result="success"\}\s+([0-9.eE+]+)\s*$', re.M)


def percentile(values, fraction):
    values = sorted(values)
    index = min(len(values) - 1, max(0, int(round(fraction * (len(values) - 1)))))
    return values[index]


def stop(process, timeout=10):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def one_start(args):
    command = [args.tessera, "run", "--config", args.config, "--ca-file", args.ca_file, "--log-level", "debug"]
    started = time.monotonic_ns()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + args.timeout
    buffer = b""
    seen = None
    tail = []
    fd = process.stderr.fileno()
    try:
        while seen is None and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                text = line.decode(errors="replace")
                tail = (tail + [text])[-20:]
                if TOKEN_LINE in text:
                    seen = time.monotonic_ns()
                    break
        # The job ("once") goes on to call the API and exit; drain stderr meanwhile so it never blocks on the pipe.
        while process.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready and not os.read(fd, 65536):
                break
    finally:
        code = stop(process)
    if seen is None:
        raise SystemExit("no '%s' line from the daemon within %ss (exit %s); its last lines:\n%s"
                         % (TOKEN_LINE, args.timeout, code, "\n".join(tail)))
    return (seen - started) / 1e6, code


def cmd_starts(args):
    floor = []
    for _ in range(5):  # the cost of exec'ing the binary at all: `tessera --help`
        t0 = time.monotonic_ns()
        subprocess.run([args.tessera, "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        floor.append((time.monotonic_ns() - t0) / 1e6)
    one_start(args)  # warm the page cache (not counted)
    times, codes = [], []
    for _ in range(args.count):
        elapsed, code = one_start(args)
        times.append(elapsed)
        codes.append(code)
    print(json.dumps({
        "count": args.count,
        "measured": "exec (Popen) to the first stderr line containing '%s', read from the pipe" % TOKEN_LINE,
        "first_token_p50_ms": round(percentile(times, 0.5), 2),
        "first_token_p99_ms": round(percentile(times, 0.99), 2),
        "first_token_min_ms": round(min(times), 2),
        "first_token_mean_ms": round(statistics.fmean(times), 2),
        "exec_help_p50_ms": round(percentile(floor, 0.5), 2),
        "exit_codes": sorted(set(codes)),
    }))


def metrics(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as response:
        return response.read().decode()


def status(pid):
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
                fields[key] = value.strip()
    return fields


def rss_by_mapping(pid, top=8):
    """Resident MB per mapped file (anonymous memory as "[anon]"), largest first: what VmRSS is made of."""
    totals, current = {}, None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            parts = line.split(None, 5)  # a mapping's path may contain spaces (and " (deleted)")
            if parts and "-" in parts[0] and not parts[0].endswith(":") and len(parts) >= 5:
                path = parts[5].strip() if len(parts) > 5 else "[anon]"
                current = os.path.basename(path) or path
            elif parts and parts[0] == "Rss:" and current is not None:
                totals[current] = totals.get(current, 0) + int(parts[1])
    ranked = sorted(totals.items(), key=lambda item: -item[1])[:top]
    return {name: round(kb / 1024, 1) for name, kb in ranked}


def kib(value):
    return int(value.split()[0]) if value else None


def cmd_rss(args):
    command = [args.tessera, "run", "--config", args.config, "--ca-file", args.ca_file,
               "--metrics-port", str(args.metrics_port), "--log-level", "info"]
    errors = open(args.log, "wb") if args.log else subprocess.DEVNULL
    started = time.monotonic()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors)
    tokens = 0.0
    try:
        while time.monotonic() - started < args.timeout:
            if process.poll() is not None:
                raise SystemExit("the daemon exited (%s) before holding %d tokens" % (process.returncode, args.tokens))
            try:
                match = SUCCESS.search(metrics(args.metrics_port))
                tokens = float(match.group(1)) if match else 0.0
            except OSError:
                pass
            if tokens >= args.tokens:
                break
            time.sleep(0.2)
        if tokens < args.tokens:
            raise SystemExit("only %d of %d tokens after %ss" % (tokens, args.tokens, args.timeout))
        filled = time.monotonic() - started
        at_fill = status(process.pid)
        time.sleep(args.hold)
        held = status(process.pid)
        mappings = rss_by_mapping(process.pid)
        text = metrics(args.metrics_port)
        match = SUCCESS.search(text)
        final_tokens = float(match.group(1)) if match else 0.0
    finally:
        code = stop(process)
    print(json.dumps({
        "tenants": args.tokens, "tokens_requested": int(final_tokens), "seconds_to_tokens": round(filled, 2),
        "hold_seconds": args.hold,
        "vm_rss_mb": round(kib(held.get("VmRSS")) / 1024, 1),
        "vm_hwm_mb": round(kib(held.get("VmHWM")) / 1024, 1),
        "rss_anon_mb": round(kib(held.get("RssAnon")) / 1024, 1) if held.get("RssAnon") else None,
        "rss_file_mb": round(kib(held.get("RssFile")) / 1024, 1) if held.get("RssFile") else None,
        "vm_rss_at_tokens_mb": round(kib(at_fill.get("VmRSS")) / 1024, 1),
        "threads": int(held.get("Threads", "0")),
        "rss_by_mapping_mb": mappings,
        "exit_code": code,
    }))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func in (("starts", cmd_starts), ("rss", cmd_rss)):
        p = sub.add_parser(name)
        p.add_argument("--tessera", required=True)
        p.add_argument("--config", required=True)
        p.add_argument("--ca-file", required=True)
        p.add_argument("--timeout", type=float, default=30 if name == "starts" else 300)
        p.set_defaults(func=func)
        if name == "starts":
            p.add_argument("--count", type=int, default=20)
        else:
            p.add_argument("--metrics-port", type=int, required=True)
            p.add_argument("--tokens", type=int, default=1000)
            p.add_argument("--hold", type=float, default=10)
            p.add_argument("--log", help="where the daemon's stderr goes")
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()

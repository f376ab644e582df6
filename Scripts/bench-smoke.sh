#!/usr/bin/env bash
# The benchmark smoke (CI, a few seconds): runs the package-benchmark suite's debug build standalone and checks the
# malloc counts of the bound hit, the keyed hit and validation against Benchmarks/Thresholds/debug-mallocs.json.
# Mallocs (MallocInterposer) are deterministic; times are not, and are never checked here (Scripts/bench-peers.sh
# measures them, in release).
#   Scripts/bench-smoke.sh            check (needs `swift build`: the debug TesseraBenchmarks executable)
#   Scripts/bench-smoke.sh --update   record the current counts as the thresholds
# Why standalone: under Swift 6.3 on Linux, `swift package benchmark --benchmark-build-configuration debug` crashes the
# benchmark process (signal 11) when the plugin drives it — package-benchmark's runtime interposer for 6.3
# (ordo-one/benchmark#349) needs swift-runtime-interposer, which this machine's package mirror lacks. Run directly, the
# same executable measures and prints each benchmark's histograms ("debug mode"), which this script reads.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BENCH_SMOKE_BIN:-$(swift build --show-bin-path)/TesseraBenchmarks}
THRESHOLDS=Benchmarks/Thresholds/debug-mallocs.json
PY=${TESSERA_PYTHON:-python3}
[ -x "$BIN" ] || { echo "bench-smoke: $BIN is missing; run swift build first" >&2; exit 1; }
"$BIN" --filter 'Bound hit.*' --filter 'Cache hit.*' --filter 'Validate an app token.*' >"${TMPDIR:-/tmp}/bench-smoke.out" 2>&1 ||
  { tail -20 "${TMPDIR:-/tmp}/bench-smoke.out" >&2; echo "bench-smoke: the benchmark executable failed" >&2; exit 1; }
"$PY" - "${TMPDIR:-/tmp}/bench-smoke.out" "$THRESHOLDS" "${1:-}" <<'PY'
import json, re, sys
output, path, mode = sys.argv[1], sys.argv[2], sys.argv[3]
counts, name, in_malloc = {}, None, False
for line in open(output, errors="replace"):
    header = re.match(r"Debug results for (.*):\s*$", line)
    if header:
        name, in_malloc = header.group(1), False
    elif line.startswith("Malloc (total)"):
        in_malloc = True
    elif in_malloc and name and name not in counts:
        mean = re.match(r"#\[Mean\s*=\s*([0-9.]+)", line)
        if mean:
            counts[name], in_malloc = float(mean.group(1)), False
expected = ["Bound hit: BoundTokenSource.token()", "Cache hit: CachingTokenSource.token(for:)",
            "Validate an app token: TokenValidator.validate"]
missing = [n for n in expected if n not in counts]
if missing:
    sys.exit("bench-smoke: no malloc figures for %s (the suite's names or output changed)" % ", ".join(missing))
if mode == "--update":
    json.dump({n: counts[n] for n in expected}, open(path, "w"), indent=2, sort_keys=True)
    open(path, "a").write("\n")
    print("bench-smoke: thresholds recorded in %s: %s" % (path, counts))
    sys.exit(0)
thresholds = json.load(open(path))
failed = False
for n in expected:
    limit = thresholds[n]
    # Deterministic counts; 5% (and one malloc) of slack for the runtime's slab refills.
    ok = counts[n] <= limit * 1.05 + 1
    failed |= not ok
    print("bench-smoke: %-50s %10.1f mallocs per sample (threshold %.1f) %s" % (n, counts[n], limit, "ok" if ok else "OVER"))
if failed:
    sys.exit("bench-smoke: a hot path allocates more than its recorded threshold (debug build); find the new "
             "allocation, or, if it is intended, record new thresholds with Scripts/bench-smoke.sh --update")
PY

"""One wrk run's output → one JSON object (Scripts/bench-peers.sh).

  wrk_result.py OUTPUT_FILE --name NAME --target emulator|glewlwyd|probe --kind secret|rs256|ps256|plain|… \
      [--transport http|https] [--note TEXT]

A figure counts (valid: true) only if wrk printed no "Non-2xx or 3xx responses" line, no socket errors, and the Lua
script (when it fed pre-signed assertions) did not run out of them; otherwise requests_per_s is kept under
invalid_requests_per_s and requests_per_s is null, with the reason.
"""
import argparse
import json
import re


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    parser.add_argument("--name", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--kind", required=True)
    parser.add_argument("--transport", default="http")
    parser.add_argument("--connections", type=int)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--duration", type=int)
    parser.add_argument("--note")
    args = parser.parse_args()
    with open(args.output, errors="replace") as f:
        text = f.read()
    result = {"name": args.name, "target": args.target, "kind": args.kind, "transport": args.transport,
              "connections": args.connections, "threads": args.threads, "duration_s": args.duration}
    if args.note:
        result["note"] = args.note
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.M)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    summary = re.search(r"^WRK_JSON (\{.*\})\s*$", text, re.M)
    details = json.loads(summary.group(1)) if summary else {}
    result.update({k: v for k, v in details.items()})
    reasons = []
    if not rps:
        reasons.append("no Requests/sec line (wrk failed)")
    if non2xx:
        reasons.append("%s non-2xx/3xx responses" % non2xx.group(1))
    elif details.get("non_2xx_3xx"):
        reasons.append("%s non-2xx/3xx responses" % details["non_2xx_3xx"])
    if sockets and any(int(x) for x in sockets.groups()):
        reasons.append("socket errors: connect %s, read %s, write %s, timeout %s" % sockets.groups())
    if details.get("assertions_exhausted"):
        reasons.append("ran out of pre-signed assertions (%d requests without one)" % details["assertions_exhausted"])
    value = float(rps.group(1)) if rps else None
    result["valid"] = not reasons
    result["requests_per_s"] = value if not reasons else None
    if reasons:
        result["invalid_requests_per_s"] = value
        result["invalid_reason"] = "; ".join(reasons)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

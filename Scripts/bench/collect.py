"""Merge the raw figures of one Scripts/bench-peers.sh run (RAW_DIR/*.json) into bench-results/peers.json: every raw
figure, a flat table of figures, the ratios (bigger is better for Tessera), the targets of issue 18, the machine.

  collect.py RAW_DIR OUT_JSON
"""
import datetime
import glob
import json
import os
import platform
import sys


def load(raw, name):
    path = os.path.join(raw, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read().strip()
    if not text:
        return None
    try:
        return json.loads(text.splitlines()[-1])
    except json.JSONDecodeError:
        return {"unparsed": text[-2000:]}


def machine(raw):
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    swift = None
    path = os.path.join(raw, "swift-version.txt")
    if os.path.exists(path):
        with open(path) as f:
            swift = f.read().strip().splitlines()[0] if f else None
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return {
        "nproc": os.cpu_count(), "cpu_model": cpu, "memory_gib": mem,
        "kernel": platform.release(), "os": platform.platform(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "swift_version": swift, "python": platform.python_version(),
    }


def ratio(numerator, denominator, digits=2):
    if numerator is None or denominator in (None, 0):
        return None
    return round(numerator / denominator, digits)


def main():
    raw_dir, out = sys.argv[1], sys.argv[2]
    raw = {}
    for path in sorted(glob.glob(os.path.join(raw_dir, "*.json"))):
        name = os.path.basename(path)[:-5]
        raw[name] = load(raw_dir, name)
    f = {}

    hits = (raw.get("probe-hits") or {}).get("hits") or []
    for row in hits:
        n = row.get("entries")
        for kind in ("bound", "keyed", "floor"):
            for q in ("p50", "p99"):
                f["tessera_%s_hit_%s_ns_%d" % (kind, q, n)] = row.get("%s_%s_ns" % (kind, q))
    msal = raw.get("msal-hits") or {}
    for shape in msal.get("shapes") or []:
        key = "%dx%d" % (shape["tenants"], shape["tokens_per_tenant"])
        f["msal_hit_p50_ns_" + key] = shape.get("p50_ns")
        f["msal_hit_p99_ns_" + key] = shape.get("p99_ns")
        f["msal_tenants_populated_" + key] = shape.get("tenants_populated")
        f["msal_truncated_" + key] = shape.get("truncated")

    v = raw.get("probe-validate") or {}
    f["tessera_validate_p50_ns"] = v.get("validate_p50_ns")
    f["tessera_raw_verify_p50_ns"] = v.get("raw_verify_p50_ns")
    f["tessera_malformed_p50_ns"] = v.get("malformed_p50_ns")
    f["tessera_cached_validate_p50_ns"] = v.get("cached_p50_ns")
    p = raw.get("pyjwt") or {}
    f["pyjwt_decode_p50_ns"] = p.get("decode_p50_ns")
    f["pyjwt_decode_p99_ns"] = p.get("decode_p99_ns")
    f["pyjwt_malformed_p50_ns"] = p.get("malformed_p50_ns")
    o = raw.get("openssl") or {}
    f["openssl_rsa2048_sign_per_s"] = o.get("sign_per_s")
    f["openssl_rsa2048_verify_per_s"] = o.get("verify_per_s")
    f["openssl_rsa2048_verify_ns"] = round(1e9 / o["verify_per_s"]) if o.get("verify_per_s") else None

    c = raw.get("probe-cold") or {}
    f["tessera_cold_p50_ms"] = c.get("cold_p50_ms")
    f["tessera_cold_p99_ms"] = c.get("cold_p99_ms")
    mc = raw.get("msal-cold") or {}
    f["msal_cold_p50_ms"] = mc.get("cold_p50_ms")
    f["msal_cold_p99_ms"] = mc.get("cold_p99_ms")

    for name, value in raw.items():
        if name.startswith("wrk-") and isinstance(value, dict):
            f[name[4:].replace("-", "_") + "_per_s"] = value.get("requests_per_s")
    # The release build ("daemon_…") and the profile-ordered build of Scripts/build-layout.sh ("daemon_layout_…").
    for suffix, prefix in (("", "daemon_"), ("-layout", "daemon_layout_")):
        d = raw.get("daemon-starts" + suffix) or {}
        f[prefix + "first_token_p50_ms"] = d.get("first_token_p50_ms")
        f[prefix + "first_token_p99_ms"] = d.get("first_token_p99_ms")
        f[prefix + "exec_help_p50_ms"] = d.get("exec_help_p50_ms")
        r = raw.get("daemon-rss" + suffix) or {}
        f[prefix + "vm_rss_mb"] = r.get("vm_rss_mb")
        f[prefix + "rss_anon_mb"] = r.get("rss_anon_mb")
        f[prefix + "rss_file_mb"] = r.get("rss_file_mb")
        f[prefix + "tokens_held"] = r.get("tokens_requested")
    cg = raw.get("callgrind") or {}
    for key, value in (cg.get("per_operation_ir") or {}).items():
        f["callgrind_ir_" + key] = value

    g = lambda key: f.get(key)  # noqa: E731
    ratios = {
        "cache_hit_speedup_vs_msal_python_1": ratio(g("msal_hit_p50_ns_1x10"), g("tessera_keyed_hit_p50_ns_10")),
        "cache_hit_speedup_vs_msal_python_10k": ratio(g("msal_hit_p50_ns_1000x10"), g("tessera_keyed_hit_p50_ns_10000")),
        "bound_hit_speedup_vs_msal_python": ratio(g("msal_hit_p50_ns_1x10"), g("tessera_bound_hit_p50_ns_10")),
        "cold_acquisition_speedup_vs_msal_python": ratio(g("msal_cold_p50_ms"), g("tessera_cold_p50_ms")),
        "emulator_tokens_per_s_vs_glewlwyd_secret": ratio(g("emulator_secret_per_s"), g("glewlwyd_secret_per_s")),
        "emulator_tokens_per_s_vs_glewlwyd_private_key_jwt": ratio(g("emulator_rs256_per_s"), g("glewlwyd_rs256_per_s")),
        "raw_rsa_verify_cost_vs_validation_cost": ratio(g("tessera_raw_verify_p50_ns"), g("tessera_validate_p50_ns"), 3),
        "validation_speedup_vs_pyjwt": ratio(g("pyjwt_decode_p50_ns"), g("tessera_validate_p50_ns")),
        "protected_vs_plaintext_uncached": ratio(g("probe_protected_per_s"), g("probe_plain_per_s"), 3),
        "protected_vs_plaintext_cached": ratio(g("probe_protected_cached_per_s"), g("probe_plain_per_s"), 3),
    }
    # Costs relative to a floor (smaller is better; the targets are stated this way).
    costs = {}
    for n in (10, 10000, 100000):
        costs["keyed_hit_vs_locked_dictionary_%d" % n] = ratio(g("tessera_keyed_hit_p50_ns_%d" % n),
                                                              g("tessera_floor_hit_p50_ns_%d" % n))
    costs["keyed_hit_100000_vs_10"] = ratio(g("tessera_keyed_hit_p50_ns_100000"), g("tessera_keyed_hit_p50_ns_10"))
    costs["validation_vs_raw_rsa_verify"] = ratio(g("tessera_validate_p50_ns"), g("tessera_raw_verify_p50_ns"))
    costs["msal_hit_10000x10_vs_tessera_keyed_100000"] = ratio(g("msal_hit_p50_ns_10000x10"),
                                                              g("tessera_keyed_hit_p50_ns_100000"))

    result = {
        "schema": 1,
        "machine": machine(raw_dir),
        "phases": raw.get("phases"),
        "figures": f,
        "ratios": ratios,
        "costs_vs_floor": costs,
        "raw": {k: v for k, v in raw.items() if k != "phases"},
    }
    with open(out, "w") as fh:
        json.dump(result, fh, indent=2)
        fh.write("\n")


if __name__ == "__main__":
    main()

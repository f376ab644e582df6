"""BENCHMARKS.md and its two charts from bench-results/peers.json (rerun alone: python3 Scripts/bench/report.py).

  report.py [--peers bench-results/peers.json] [--markdown BENCHMARKS.md] [--charts bench-results]

Pure Python (no matplotlib): the charts are SVG files written by hand —
  hit-latency.svg        hit latency (ns, log) against cache entries (10 … 100,000, log): bound source, keyed hit,
                         locked-dictionary floor, MSAL Python
  tokens-per-second.svg  tokens per second per credential kind: the emulator and Glewlwyd
"""
import argparse
import json
import math
import os
from html import escape

COLORS = {"bound": "#1b9e77", "keyed": "#d95f02", "floor": "#7570b3", "msal": "#e7298a",
          "emulator": "#1f78b4", "glewlwyd": "#b2b2b2"}
FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'


# --- formatting -----------------------------------------------------------------------------------------------------

def ns(value):
    if value is None:
        return "—"
    if value >= 1e6:
        return "%.3g ms" % (value / 1e6)
    if value >= 1e3:
        return "%.3g µs" % (value / 1e3)
    return "%.3g ns" % value


def ms(value):
    return "—" if value is None else "%.3g ms" % value


def per_s(value):
    return "—" if value is None else "{:,.0f}/s".format(value)


def mb(value):
    return "—" if value is None else "%.1f MB" % value


def times(value):
    return "—" if value is None else ("%.3g×" % value)


def plain(value):
    return "—" if value is None else "%.3g" % value


# --- SVG ------------------------------------------------------------------------------------------------------------

class Svg:
    def __init__(self, width, height):
        self.width, self.height = width, height
        self.parts = []

    def add(self, text):
        self.parts.append(text)

    def text(self, x, y, content, size=12, anchor="start", color="#222", weight="normal", rotate=None):
        transform = ' transform="rotate(%d %.1f %.1f)"' % (rotate, x, y) if rotate else ""
        self.add('<text x="%.1f" y="%.1f" font-size="%d" text-anchor="%s" fill="%s" font-weight="%s" %s%s>%s</text>'
                 % (x, y, size, anchor, color, weight, FONT, transform, escape(str(content))))

    def line(self, x1, y1, x2, y2, color="#ccc", width=1, dash=None):
        dash_attr = ' stroke-dasharray="%s"' % dash if dash else ""
        self.add('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%s"%s/>'
                 % (x1, y1, x2, y2, color, width, dash_attr))

    def render(self):
        return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">\n'
                '<rect width="100%%" height="100%%" fill="white"/>\n%s\n</svg>\n'
                % (self.width, self.height, self.width, self.height, "\n".join(self.parts)))


def hit_latency_chart(figures, machine):
    series = [
        ("bound", "Tessera bound source (tokenSource)", {n: figures.get("tessera_bound_hit_p50_ns_%d" % n) for n in (10, 10000, 100000)}),
        ("keyed", "Tessera keyed hit (token(for:))", {n: figures.get("tessera_keyed_hit_p50_ns_%d" % n) for n in (10, 10000, 100000)}),
        ("floor", "Locked-dictionary floor (Mutex<[String: AccessToken]>)", {n: figures.get("tessera_floor_hit_p50_ns_%d" % n) for n in (10, 10000, 100000)}),
        ("msal", "MSAL Python (1×10, 1,000×10, 10,000×10)", {10: figures.get("msal_hit_p50_ns_1x10"),
                                                          10000: figures.get("msal_hit_p50_ns_1000x10"),
                                                          100000: figures.get("msal_hit_p50_ns_10000x10")}),
    ]
    values = [v for _, _, points in series for v in points.values() if v]
    low = 10 ** math.floor(math.log10(min(values))) if values else 10
    high = 10 ** math.ceil(math.log10(max(values))) if values else 1e5
    if high <= low:
        high = low * 10
    svg = Svg(860, 470)
    left, top, right, bottom = 80, 50, 520, 400
    svg.text(20, 28, "Cache hit latency, p50 (log–log)", 16, weight="bold")
    xlog = lambda n: left + (math.log10(n) - 1) / 4 * (right - left)  # noqa: E731  10 … 100,000
    ylog = lambda v: bottom - (math.log10(v) - math.log10(low)) / (math.log10(high) - math.log10(low)) * (bottom - top)  # noqa: E731
    for exponent in range(1, 6):
        x = xlog(10 ** exponent)
        svg.line(x, top, x, bottom, "#eee")
        svg.text(x, bottom + 18, "{:,}".format(10 ** exponent), 11, "middle")
    decade = low
    while decade <= high * 1.0001:
        y = ylog(decade)
        svg.line(left, y, right, y, "#eee")
        svg.text(left - 8, y + 4, ns(decade), 11, "end")
        decade *= 10
    svg.line(left, bottom, right, bottom, "#444")
    svg.line(left, top, left, bottom, "#444")
    svg.text((left + right) / 2, bottom + 40, "cache entries (tenants × 10 scopes)", 12, "middle")
    svg.text(22, (top + bottom) / 2, "latency per hit", 12, "middle", rotate=-90)
    for index, (key, label, points) in enumerate(series):
        color = COLORS[key]
        coordinates = [(xlog(n), ylog(v)) for n, v in sorted(points.items()) if v]
        if len(coordinates) > 1:
            svg.add('<polyline fill="none" stroke="%s" stroke-width="2.5" points="%s"/>'
                    % (color, " ".join("%.1f,%.1f" % c for c in coordinates)))
        for x, y in coordinates:
            svg.add('<circle cx="%.1f" cy="%.1f" r="4.5" fill="%s"/>' % (x, y, color))
        ly = top + 10 + index * 44
        svg.line(540, ly, 565, ly, color, 3)
        svg.text(572, ly + 4, label.split(" (")[0], 12)
        if " (" in label:
            svg.text(572, ly + 19, "(" + label.split(" (", 1)[1], 11, color="#555")
    svg.text(540, top + 200, "MSAL Python: one app object per tenant (its API", 10, color="#555")
    svg.text(540, top + 214, "binds an app to one authority), each with its own", 10, color="#555")
    svg.text(540, top + 228, "cache of 11 tokens; x = tenants × 10", 10, color="#555")
    svg.text(540, top + 250, "Tessera: one cache of that many entries", 10, color="#555")
    svg.text(20, 458, "%s, %s cores, %s" % (machine.get("cpu_model") or "?", machine.get("nproc") or "?",
                                            (machine.get("date") or "")[:10]), 10, color="#777")
    return svg.render()


def tokens_chart(figures, raw, machine):
    kinds = [("secret", "client secret"), ("rs256", "private_key_jwt RS256"), ("ps256", "private_key_jwt PS256")]
    targets = [("emulator", "Tessera emulator"), ("glewlwyd", "Glewlwyd 2.7")]
    values = [figures.get("%s_%s_per_s" % (t, k)) for t, _ in targets for k, _ in kinds]
    top_value = max([v for v in values if v] + [1])
    scale_max = 10 ** math.floor(math.log10(top_value))
    for step in (1, 2, 2.5, 5, 10):
        if step * scale_max >= top_value:
            scale_max *= step
            break
    secret_run = raw.get("wrk-emulator-secret") or {}
    svg = Svg(860, 430)
    left, top, right, bottom = 80, 50, 600, 350
    svg.text(20, 28, "Token endpoint throughput (wrk, 2 threads, 32 connections, %s s)"
             % (secret_run.get("duration_s") or 10), 16, weight="bold")
    for i in range(6):
        value = scale_max * i / 5
        y = bottom - (bottom - top) * i / 5
        svg.line(left, y, right, y, "#eee")
        svg.text(left - 8, y + 4, "{:,.0f}".format(value), 11, "end")
    svg.line(left, bottom, right, bottom, "#444")
    svg.text(22, (top + bottom) / 2, "tokens per second", 12, "middle", rotate=-90)
    group = (right - left) / len(kinds)
    bar = group / 3.2
    for gi, (kind, label) in enumerate(kinds):
        gx = left + gi * group + group / 2
        svg.text(gx, bottom + 20, label, 12, "middle")
        for ti, (target, _) in enumerate(targets):
            x = gx - bar - 2 if ti == 0 else gx + 2
            value = figures.get("%s_%s_per_s" % (target, kind))
            entry = raw.get("wrk-%s-%s" % (target, kind))
            if value:
                height = (bottom - top) * value / scale_max
                svg.add('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>'
                        % (x, bottom - height, bar, height, COLORS[target]))
                svg.text(x + bar / 2, bottom - height - 5, "{:,.0f}".format(value), 11, "middle")
            else:
                reason = "invalid" if isinstance(entry, dict) and entry.get("invalid_reason") else "n/a"
                svg.text(x + bar / 2, bottom - 6, reason, 10, "middle", color="#999")
    for ti, (target, label) in enumerate(targets):
        y = top + 10 + ti * 22
        svg.add('<rect x="615" y="%.1f" width="14" height="14" fill="%s"/>' % (y - 11, COLORS[target]))
        svg.text(636, y, label, 12)
    transport = secret_run.get("transport", "http")
    for i, line in enumerate([
            "%s on 127.0.0.1, both servers;" % transport.upper(),
            "client_secret_post for secrets;",
            "private_key_jwt: a fresh pre-signed",
            "assertion (new jti) per request.",
            "A run with any non-2xx answer",
            "is invalid and not drawn.",
            "Glewlwyd: RS256 assertions only."]):
        svg.text(615, top + 70 + 14 * i, line, 10, color="#555")
    svg.text(20, 418, "%s, %s cores, %s" % (machine.get("cpu_model") or "?", machine.get("nproc") or "?",
                                            (machine.get("date") or "")[:10]), 10, color="#777")
    return svg.render()


# --- the table ------------------------------------------------------------------------------------------------------

def met(value, op, target):
    if value is None:
        return "—"
    ok = value <= target if op == "<=" else value >= target
    return "yes" if ok else "**no**"


def rows(f, r, c):
    probe = ".build/release/TesseraBenchProbe"
    hits_cmd = "`%s hits --entries 10,10000,100000`; `Scripts/bench/msal_cache_hit.py hits`" % probe
    probe_hits = "`%s hits --entries 10,10000,100000`" % probe
    raw = r.get("_raw", {})

    def wrk_cmd(name, connections):
        seconds = (raw.get(name) or {}).get("duration_s") or 10
        return "`wrk -t2 -c%d -d%ds`" % (connections, seconds)
    out = []

    def add(figure, tessera, peer, ratio_text, target, ok, command):
        out.append((figure, tessera, peer, ratio_text, target, ok, command))

    add("Bound hit p50, 1 tenant × 10 (vs MSAL Python 1×10)", ns(f.get("tessera_bound_hit_p50_ns_10")),
        ns(f.get("msal_hit_p50_ns_1x10")), times(r.get("bound_hit_speedup_vs_msal_python")),
        "≤ 100 ns; ≥ 100×",
        "%s; %s" % (met(f.get("tessera_bound_hit_p50_ns_10"), "<=", 100),
                    met(r.get("bound_hit_speedup_vs_msal_python"), ">=", 100)), hits_cmd)
    for n, shape, key in ((10, "1x10", "cache_hit_speedup_vs_msal_python_1"),
                          (10000, "1000x10", "cache_hit_speedup_vs_msal_python_10k"),
                          (100000, "10000x10", None)):
        speedup = r.get(key) if key else c.get("msal_hit_10000x10_vs_tessera_keyed_100000")
        tenants, tokens = shape.split("x")
        add("Keyed hit p50, {:,} entries (vs MSAL Python {:,}×{})".format(n, int(tenants), tokens),
            ns(f.get("tessera_keyed_hit_p50_ns_%d" % n)), ns(f.get("msal_hit_p50_ns_" + shape)), times(speedup),
            "—", "—", hits_cmd)
    for n in (10, 10000, 100000):
        cost = c.get("keyed_hit_vs_locked_dictionary_%d" % n)
        add("Keyed hit vs locked-dictionary floor, {:,} entries (cost)".format(n),
            ns(f.get("tessera_keyed_hit_p50_ns_%d" % n)), ns(f.get("tessera_floor_hit_p50_ns_%d" % n)),
            times(cost), "≤ 1.5×", met(cost, "<=", 1.5), probe_hits)
    add("Keyed hit p99, 100,000 entries", ns(f.get("tessera_keyed_hit_p99_ns_100000")), "", "", "≤ 10 µs",
        met(f.get("tessera_keyed_hit_p99_ns_100000"), "<=", 10000), probe_hits)
    add("Keyed hit, 100,000 vs 10 entries (flatness)", "", "", times(c.get("keyed_hit_100000_vs_10")), "≤ 2×",
        met(c.get("keyed_hit_100000_vs_10"), "<=", 2), probe_hits)
    add("Cold acquisition p50 (new client, HTTPS emulator)", ms(f.get("tessera_cold_p50_ms")),
        ms(f.get("msal_cold_p50_ms")) + " MSAL Python", times(r.get("cold_acquisition_speedup_vs_msal_python")),
        "—", "—", "`%s cold …`; `Scripts/bench/msal_cache_hit.py cold …`" % probe)
    add("Validation p50 vs raw RSA-2048 verify (raw/validate)", ns(f.get("tessera_validate_p50_ns")),
        ns(f.get("tessera_raw_verify_p50_ns")) + " raw verify", plain(r.get("raw_rsa_verify_cost_vs_validation_cost")),
        "≥ 0.667 (≤ 1.5× raw)", met(r.get("raw_rsa_verify_cost_vs_validation_cost"), ">=", 1 / 1.5),
        "`%s validate …`" % probe)
    add("Validation p50 vs PyJWT jwt.decode", ns(f.get("tessera_validate_p50_ns")), ns(f.get("pyjwt_decode_p50_ns")),
        times(r.get("validation_speedup_vs_pyjwt")), "≥ 3×", met(r.get("validation_speedup_vs_pyjwt"), ">=", 3),
        "`Scripts/bench/pyjwt_decode.py …`")
    add("Malformed token rejected, p50", ns(f.get("tessera_malformed_p50_ns")),
        ns(f.get("pyjwt_malformed_p50_ns")) + " PyJWT", "", "≤ 2 µs",
        met(f.get("tessera_malformed_p50_ns"), "<=", 2000), "`%s validate …`" % probe)
    add("Validated-token cache hit, p50", ns(f.get("tessera_cached_validate_p50_ns")), "", "", "≤ 1 µs",
        met(f.get("tessera_cached_validate_p50_ns"), "<=", 1000), "`%s validate …`" % probe)
    add("OpenSSL RSA-2048 (openssl speed)", "", "%s sign, %s verify" % (
        per_s(f.get("openssl_rsa2048_sign_per_s")), per_s(f.get("openssl_rsa2048_verify_per_s"))), "", "", "",
        "`openssl speed -seconds 3 rsa2048`")
    add("Protected route, uncached (vs /plain)", per_s(f.get("probe_protected_per_s")), per_s(f.get("probe_plain_per_s")),
        plain(r.get("protected_vs_plaintext_uncached")), "≥ 0.5", met(r.get("protected_vs_plaintext_uncached"), ">=", 0.5),
        "%s on `%s serve`" % (wrk_cmd("wrk-probe-protected", 64), probe))
    add("Protected route, validated-token cache (vs /plain)", per_s(f.get("probe_protected_cached_per_s")),
        per_s(f.get("probe_plain_per_s")), plain(r.get("protected_vs_plaintext_cached")), "≥ 0.85",
        met(r.get("protected_vs_plaintext_cached"), ">=", 0.85),
        "%s on `%s serve`" % (wrk_cmd("wrk-probe-protected-cached", 64), probe))
    wrk = "%s `-s Scripts/bench/token_request.lua`" % wrk_cmd("wrk-emulator-secret", 32)
    add("Emulator tokens/s, secret (vs Glewlwyd)", per_s(f.get("emulator_secret_per_s")),
        per_s(f.get("glewlwyd_secret_per_s")), times(r.get("emulator_tokens_per_s_vs_glewlwyd_secret")),
        "≥ 2,000/s; ≥ 5×", "%s; %s" % (met(f.get("emulator_secret_per_s"), ">=", 2000),
                                      met(r.get("emulator_tokens_per_s_vs_glewlwyd_secret"), ">=", 5)), wrk)
    add("Emulator tokens/s, private_key_jwt RS256 (vs Glewlwyd)", per_s(f.get("emulator_rs256_per_s")),
        per_s(f.get("glewlwyd_rs256_per_s")), times(r.get("emulator_tokens_per_s_vs_glewlwyd_private_key_jwt")),
        "≥ 1,200/s; ≥ 5×", "%s; %s" % (met(f.get("emulator_rs256_per_s"), ">=", 1200),
                                      met(r.get("emulator_tokens_per_s_vs_glewlwyd_private_key_jwt"), ">=", 5)), wrk)
    add("Emulator tokens/s, private_key_jwt PS256", per_s(f.get("emulator_ps256_per_s")), "", "", "≥ 1,200/s",
        met(f.get("emulator_ps256_per_s"), ">=", 1200), wrk)
    add("Daemon: exec → first token logged, p50 of 20", ms(f.get("daemon_first_token_p50_ms")),
        ms(f.get("daemon_exec_help_p50_ms")) + " (`tessera --help`)", "", "≤ 50 ms",
        met(f.get("daemon_first_token_p50_ms"), "<=", 50), "`Scripts/bench/daemon_bench.py starts …`")
    add("Daemon VmRSS, 1,000 tokens for 1,000 tenants, +10 s", mb(f.get("daemon_vm_rss_mb")),
        "anon %s, file %s" % (mb(f.get("daemon_rss_anon_mb")), mb(f.get("daemon_rss_file_mb"))), "", "≤ 30 MB",
        met(f.get("daemon_vm_rss_mb"), "<=", 30), "`Scripts/bench/daemon_bench.py rss …`")
    if f.get("daemon_layout_vm_rss_mb") is not None or f.get("daemon_layout_first_token_p50_ms") is not None:
        add("Daemon, ordered layout: exec → first token logged, p50 of 20",
            ms(f.get("daemon_layout_first_token_p50_ms")),
            ms(f.get("daemon_layout_exec_help_p50_ms")) + " (`tessera --help`)", "", "≤ 50 ms",
            met(f.get("daemon_layout_first_token_p50_ms"), "<=", 50),
            "`Scripts/build-layout.sh`, then `Scripts/bench/daemon_bench.py starts …`")
        add("Daemon, ordered layout: VmRSS, 1,000 tokens for 1,000 tenants, +10 s",
            mb(f.get("daemon_layout_vm_rss_mb")),
            "anon %s, file %s" % (mb(f.get("daemon_layout_rss_anon_mb")), mb(f.get("daemon_layout_rss_file_mb"))),
            "", "≤ 30 MB", met(f.get("daemon_layout_vm_rss_mb"), "<=", 30),
            "`Scripts/build-layout.sh`, then `Scripts/bench/daemon_bench.py rss …`")
    return out


def markdown(peers, charts_rel):
    f, r, c = peers["figures"], peers["ratios"], peers.get("costs_vs_floor", {})
    m = peers.get("machine", {})
    raw = peers.get("raw", {})
    lines = [
        "# Benchmarks",
        "",
        "<!-- generated by Scripts/bench/report.py from bench-results/peers.json; rerun Scripts/bench-peers.sh -->",
        "",
        "Tessera side by side with MSAL Python, PyJWT, Glewlwyd and the hardware, in one run of `Scripts/bench-peers.sh`"
        " (release builds; issue 18). Ratios are \"bigger is better for Tessera\" except where the row says *cost*.",
        "",
        "| Figure | Tessera | Peer | Ratio | Target | Met? | Command |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows(f, dict(r, _raw=raw), c):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    lines += [
        "",
        "![Cache hit latency against cache entries](%s/hit-latency.svg)" % charts_rel,
        "",
        "![Tokens per second per credential kind](%s/tokens-per-second.svg)" % charts_rel,
        "",
        "## How each figure is taken",
        "",
    ]
    notes = []
    msal = raw.get("msal-hits") or {}
    if msal.get("note"):
        notes.append("- **MSAL Python %s**: %s." % (msal.get("msal_version", ""), msal["note"]))
    for shape in msal.get("shapes") or []:
        if shape.get("truncated"):
            notes.append("- MSAL Python %d×%d: only %d app objects were filled within the time budget (%.0f s); the figure"
                         " is over those." % (shape["tenants"], shape["tokens_per_tenant"], shape["tenants_populated"],
                                               shape["populate_seconds"]))
    pyjwt = raw.get("pyjwt") or {}
    if pyjwt.get("checks"):
        notes.append("- **PyJWT %s**: `jwt.decode` with one key object reused; checks: %s." % (
            pyjwt.get("pyjwt_version", ""), pyjwt["checks"]))
    seconds = (raw.get("wrk-emulator-secret") or {}).get("duration_s") or 10
    transport = (raw.get("wrk-emulator-secret") or {}).get("transport", "http").upper()
    notes.append("- **Token endpoints**: wrk 2 threads × 32 connections × %d s over %s on 127.0.0.1 (both servers);"
                 " secret clients send client_secret_post; a private_key_jwt run sends a pre-signed"
                 " assertion with a fresh `jti` in every request (Scripts/bench/token_request.lua). A run counts only"
                 " when wrk reports no non-2xx answer and no socket error." % (seconds, transport))
    for name in sorted(raw):
        entry = raw[name]
        if name.startswith("wrk-") and isinstance(entry, dict) and entry.get("invalid_reason"):
            notes.append("- `%s` did not count: %s (wrk measured %s)." % (
                name, entry["invalid_reason"], per_s(entry.get("invalid_requests_per_s"))))
    gw = raw.get("glewlwyd") or {}
    if gw:
        notes.append("- **Glewlwyd** %s, database: %s." % (gw.get("version", ""), gw.get("database", "")))
    daemon = raw.get("daemon-starts") or {}
    if daemon.get("measured"):
        notes.append("- **Daemon start**: %s." % daemon["measured"])
    if (raw.get("daemon-rss-layout") or {}).get("vm_rss_mb") is not None:
        notes.append("- **Ordered layout**: the same sources and release flags, each function in its own section"
                     " (`-function-sections`, dependencies too), linked by GNU gold in the order a callgrind profile of"
                     " the daemon ran them (`Scripts/build-layout.sh`): the code a daemon runs shares fewer 64 KB"
                     " fault-around windows of the executable.")
    cg = raw.get("callgrind") or {}
    if cg:
        if cg.get("per_operation_ir"):
            notes.append("- **Instructions** (valgrind --tool=callgrind, total Ir of a run minus a `--iterations 0`"
                         " run, divided by the iterations): " + ", ".join(
                             "%s %s Ir" % (k, "{:,.0f}".format(v)) for k, v in sorted(cg["per_operation_ir"].items()))
                         + (". " + cg["note"] + "." if cg.get("note") else "."))
        elif cg.get("status"):
            notes.append("- **Instructions**: callgrind %s%s." % (cg["status"], (": " + cg["reason"]) if cg.get("reason") else ""))
    pb = raw.get("package-benchmark") or {}
    if pb and str(pb.get("status", "")).startswith("skipped"):
        notes.append("- **package-benchmark** suite: %s." % pb["status"])
    elif pb:
        notes.append("- **package-benchmark** suite: %s (exit %s, %s s), output in `bench-results/package-benchmark.md`."
                     % (pb.get("status"), pb.get("exit_code"), pb.get("seconds")))
    lines += notes
    commands = raw.get("commands") or {}
    if commands:
        lines += ["", "Command lines of this run (its temporary folder's paths):", ""]
        lines += ["- %s: `%s`" % (label, command) for label, command in commands.items()]
    lines += [
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
        "| CPU | %s |" % (m.get("cpu_model") or "?"),
        "| Cores (nproc) | %s |" % (m.get("nproc") or "?"),
        "| Memory | %s GiB |" % (m.get("memory_gib") or "?"),
        "| Kernel | %s |" % (m.get("kernel") or "?"),
        "| Swift | %s |" % (m.get("swift_version") or "?"),
        "| Date | %s |" % (m.get("date") or "?"),
        "",
    ]
    phases = peers.get("phases") or {}
    if phases:
        lines += ["Phase wall times: " + ", ".join("%s %ss" % (k, v) for k, v in phases.items()) + ".", ""]
    lines += [
        "## Rerun",
        "",
        "```sh",
        "Scripts/bench-peers.sh                       # release build (timed apart), then every phase; ~15 min",
        "python3 Scripts/bench/report.py              # this page and the charts again, from bench-results/peers.json",
        "```",
        "",
        "`BENCH_CALLGRIND=0` skips the instruction counts, `BENCH_PACKAGE_BENCHMARK=0` the package-benchmark suite,",
        "`BENCH_TLS=1` runs the token-endpoint loads over HTTPS (both servers). Raw figures: `bench-results/peers.json`.",
        "",
    ]
    return "\n".join(lines)


def main():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peers", default=os.path.join(root, "bench-results", "peers.json"))
    parser.add_argument("--markdown", default=os.path.join(root, "BENCHMARKS.md"))
    parser.add_argument("--charts", default=os.path.join(root, "bench-results"))
    args = parser.parse_args()
    with open(args.peers) as f:
        peers = json.load(f)
    os.makedirs(args.charts, exist_ok=True)
    with open(os.path.join(args.charts, "hit-latency.svg"), "w") as out:
        out.write(hit_latency_chart(peers["figures"], peers.get("machine", {})))
    with open(os.path.join(args.charts, "tokens-per-second.svg"), "w") as out:
        out.write(tokens_chart(peers["figures"], peers.get("raw", {}), peers.get("machine", {})))
    charts_rel = os.path.relpath(os.path.abspath(args.charts), os.path.dirname(os.path.abspath(args.markdown)))
    with open(args.markdown, "w") as out:
        out.write(markdown(peers, charts_rel))
    print("wrote %s, %s/hit-latency.svg, %s/tokens-per-second.svg" % (args.markdown, args.charts, args.charts))


if __name__ == "__main__":
    main()

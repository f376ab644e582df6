"""MSAL Python's cache hit on the shapes of its own benchmark (tests/test_benchmark.py: 1 tenant × 10 tokens,
1,000 tenants × 10 tokens, here also 10,000 × 10), and a cold acquisition against a running emulator.

  msal_cache_hit.py hits [--shapes 1x10,1000x10,10000x10] [--samples N] [--budget-seconds S]
  msal_cache_hit.py cold --authority URL --tenant T --client-id ID --secret-file F --scope S --ca-file PEM [--count 20]

Each prints one JSON object on stdout.

The hit shape, as MSAL's benchmark builds it: MSAL Python binds a ConfidentialClientApplication to one authority
(tenant), so there is one app object per tenant, each with its own token cache; every app's cache is filled with
`tokens_per_tenant` tokens (scopes scope_0 … scope_9) plus the one token that is then hit ("scope"), by real
acquire_token_for_client calls answered by a fake http_client (OIDC discovery and the token endpoint, no network).
A timed hit is acquire_token_for_client(["scope"]) on an app chosen at random (chosen before the clock starts); the
fake http_client counts requests and the run fails if a timed call reached it (a miss). Each call is timed alone
with perf_counter_ns. MSAL's per-app caches hold 11 tokens whatever the number of tenants: its "1,000 tenants"
shape is 1,000 small caches, not one cache of 10,000 entries.
"""
import argparse
import gc
import json
import os
import random
import statistics
import sys
import time

import msal


class FakeResponse:
    def __init__(self, status_code, text):
        self.status_code = status_code
        self.text = text
        self.headers = {}

    def raise_for_status(self):
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}")


class FakeHttpClient:
    """Answers MSAL's OIDC discovery (GET) and token requests (POST) in memory, counting them."""

    def __init__(self):
        self.posts = 0
        self.gets = 0

    def get(self, url, params=None, headers=None, **kwargs):
        self.gets += 1
        if "openid-configuration" in url:
            base = url.split("/v2.0/.well-known")[0]
            return FakeResponse(200, json.dumps({
                "authorization_endpoint": base + "/oauth2/v2.0/authorize",
                "token_endpoint": base + "/oauth2/v2.0/token",
                "issuer": base + "/v2.0",
            }))
        # Instance discovery (when MSAL asks): the authority is valid as is.
        return FakeResponse(200, json.dumps({
            "tenant_discovery_endpoint":
                "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
            "api-version": "1.1", "metadata": [],
        }))

    def post(self, url, params=None, data=None, headers=None, **kwargs):
        self.posts += 1
        scope = data.get("scope", "") if isinstance(data, dict) else ""
        return FakeResponse(200, json.dumps({
            "access_token": "AT-%d for %s" % (self.posts, scope), "token_type": "Bearer",
            "expires_in": 3599, "ext_expires_in": 3599,
        }))

    def close(self):
        pass


def percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * (len(sorted_values) - 1)))))
    return sorted_values[index]


def hit_shape(tenants, tokens_per_tenant, samples, budget_seconds):
    http = FakeHttpClient()
    apps = []
    started = time.monotonic()
    truncated = False
    for t in range(tenants):
        if time.monotonic() - started > budget_seconds:
            truncated = True
            break
        app = msal.ConfidentialClientApplication(
            "bench-client-id", client_credential="bench-secret",
            authority="https://login.microsoftonline.com/tenant_%d" % t,
            http_client=http,
        )
        for i in range(tokens_per_tenant):
            app.acquire_token_for_client(["scope_%d" % i])
        result = app.acquire_token_for_client(["scope"])  # the token each timed call hits
        assert "access_token" in result, result
        apps.append(app)
    populate_seconds = time.monotonic() - started
    posts_before = http.posts
    rng = random.Random(18)
    for app in rng.choices(apps, k=min(1000, samples)):  # warm-up
        app.acquire_token_for_client(["scope"])
    chosen = rng.choices(apps, k=samples)
    durations = []
    clock = time.perf_counter_ns
    gc.disable()
    try:
        for app in chosen:
            t0 = clock()
            result = app.acquire_token_for_client(["scope"])
            durations.append(clock() - t0)
    finally:
        gc.enable()
    if http.posts != posts_before or result.get("token_source") != "cache":
        raise SystemExit("a timed call was not a cache hit (%d requests)" % (http.posts - posts_before))
    durations.sort()
    return {
        "tenants": tenants, "tokens_per_tenant": tokens_per_tenant,
        "tenants_populated": len(apps), "truncated": truncated,
        "entries": len(apps) * tokens_per_tenant,
        "entries_per_app_cache": tokens_per_tenant + 1,
        "populate_seconds": round(populate_seconds, 2),
        "samples": samples,
        "p50_ns": percentile(durations, 0.50), "p99_ns": percentile(durations, 0.99),
        "mean_ns": round(statistics.fmean(durations)),
    }


def cmd_hits(args):
    shapes = []
    for item in args.shapes.split(","):
        tenants, tokens = item.lower().split("x")
        shapes.append(hit_shape(int(tenants), int(tokens), args.samples, args.budget_seconds))
        print("msal hit %s: p50 %d ns, p99 %d ns (populated %d apps in %.1f s%s)" % (
            item, shapes[-1]["p50_ns"], shapes[-1]["p99_ns"], shapes[-1]["tenants_populated"],
            shapes[-1]["populate_seconds"], ", TRUNCATED by the time budget" if shapes[-1]["truncated"] else ""),
            file=sys.stderr)
    print(json.dumps({
        "msal_version": msal.__version__,
        "python": sys.version.split()[0],
        "note": "one ConfidentialClientApplication per tenant (MSAL Python binds an app object to one authority), "
                "each with its own token cache of tokens_per_tenant + 1 tokens, filled through a fake http_client; "
                "timed: acquire_token_for_client(['scope']) cache hits on a randomly chosen app",
        "shapes": shapes,
    }))


def cmd_cold(args):
    with open(args.secret_file) as f:
        secret = f.read().strip()
    authority = args.authority.rstrip("/") + "/" + args.tenant
    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's verify: point them at the emulator's CA.
    os.environ["REQUESTS_CA_BUNDLE"] = args.ca_file
    os.environ.pop("CURL_CA_BUNDLE", None)
    durations = []
    for _ in range(args.count + 1):
        t0 = time.perf_counter_ns()
        # A fresh app object (and with it a fresh requests session, OIDC discovery and TLS connection) each time.
        app = msal.ConfidentialClientApplication(
            args.client_id, client_credential=secret, authority=authority,
            instance_discovery=False, verify=args.ca_file,
        )
        result = app.acquire_token_for_client([args.scope])
        elapsed = time.perf_counter_ns() - t0
        if "access_token" not in result:
            raise SystemExit("MSAL cold acquisition failed: %s %s" % (result.get("error"), result.get("error_description", "")[:200]))
        durations.append(elapsed)
    durations = sorted(durations[1:])  # the first pays Python's imports and lazy initialisation
    print(json.dumps({
        "msal_version": msal.__version__, "count": args.count,
        "note": "a new ConfidentialClientApplication per acquisition (OIDC discovery + token request over HTTPS)",
        "cold_p50_ms": round(percentile(durations, 0.5) / 1e6, 3),
        "cold_p99_ms": round(percentile(durations, 0.99) / 1e6, 3),
    }))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("hits")
    p.add_argument("--shapes", default="1x10,1000x10,10000x10")
    p.add_argument("--samples", type=int, default=20000)
    p.add_argument("--budget-seconds", type=float, default=240.0,
                   help="stop filling a shape's app objects after this long and measure those filled")
    p.set_defaults(func=cmd_hits)
    p = sub.add_parser("cold")
    for name in ("--authority", "--tenant", "--client-id", "--secret-file", "--scope", "--ca-file"):
        p.add_argument(name, required=True)
    p.add_argument("--count", type=int, default=20)
    p.set_defaults(func=cmd_cold)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()

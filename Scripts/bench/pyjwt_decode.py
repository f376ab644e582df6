"""PyJWT's jwt.decode of the bench token (Scripts/bench/fixtures.py token) with the checks Tessera's validator makes:
signature (RS256 only), aud, iss, exp, nbf, iat and the required claims — one key object, built once from the JWKS
and reused, as a web API would hold it.

  pyjwt_decode.py --token FILE --jwks FILE --issuer ISS --audience AUD [--samples N]

Prints one JSON object: decode p50/p99 in ns, and the p50 of rejecting a malformed token.
"""
import argparse
import gc
import json
import statistics
import sys
import time

import jwt

MALFORMED = "eyJhbGciOiJSUzI1NiJ9.@@@.x"
REQUIRED = ["exp", "nbf", "iat", "aud", "iss", "sub", "tid", "oid"]


def percentile(values, fraction):
    index = min(len(values) - 1, max(0, int(round(fraction * (len(values) - 1)))))
    return values[index]


def timed(fn, samples):
    for _ in range(min(500, samples)):  # warm-up
        fn()
    clock = time.perf_counter_ns
    durations = []
    gc.disable()
    try:
        for _ in range(samples):
            t0 = clock()
            fn()
            durations.append(clock() - t0)
    finally:
        gc.enable()
    durations.sort()
    return durations


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--token", required=True)
    parser.add_argument("--jwks", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--audience", required=True)
    parser.add_argument("--samples", type=int, default=5000)
    args = parser.parse_args()
    with open(args.token) as f:
        token = f.read().strip()
    with open(args.jwks) as f:
        key = jwt.PyJWK(json.load(f)["keys"][0], algorithm="RS256").key  # one RSAPublicKey object, reused

    def decode():
        return jwt.decode(
            token, key, algorithms=["RS256"], audience=args.audience, issuer=args.issuer, leeway=300,
            options={"require": REQUIRED, "verify_signature": True, "verify_exp": True, "verify_nbf": True,
                     "verify_iat": True, "verify_aud": True, "verify_iss": True},
        )

    claims = decode()
    assert claims["tid"] and claims["roles"] == ["Reports.Read.All"], claims

    def malformed():
        try:
            jwt.decode(MALFORMED, key, algorithms=["RS256"], audience=args.audience, issuer=args.issuer)
        except jwt.InvalidTokenError:
            return
        raise SystemExit("PyJWT accepted the malformed token")

    decoded = timed(decode, args.samples)
    rejected = timed(malformed, args.samples)
    result = {
        "pyjwt_version": jwt.__version__, "python": sys.version.split()[0], "samples": args.samples,
        "checks": "RS256 signature, aud, iss, exp, nbf, iat (leeway 300 s), required " + ",".join(REQUIRED),
        "decode_p50_ns": percentile(decoded, 0.5), "decode_p99_ns": percentile(decoded, 0.99),
        "decode_mean_ns": round(statistics.fmean(decoded)),
        "malformed_p50_ns": percentile(rejected, 0.5),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""Fixtures for Scripts/bench-peers.sh, each a subcommand writing files (never secrets to stdout, except `free-port`).

  token DIR              an Entra-shaped RS256 app token (PyJWT) → DIR/token.jwt, DIR/jwks.json, DIR/token.json
                         (issuer, audience, tenant); the signing key stays in DIR/token-key.pem
  certificate DIR        a self-signed RSA-2048 certificate + key for the emulator's certificate client
                         → DIR/client-cert.pem, DIR/client-key.pem
  directory FILE         the emulator's directory (--config): a home tenant, N-1 more tenants, one multi-tenant
                         app with a secret and the certificate, Graph's User.Read.All granted in every tenant
  daemon-config DIR      daemon.json (+ tenants.json with every tenant but the home one) for `tessera run`
  assertions FILE        N client assertions, one per line, each with a fresh jti (multiprocessing)
  free-port              a free TCP port on 127.0.0.1
"""
import argparse
import base64
import datetime
import hashlib
import json
import multiprocessing
import os
import socket
import time
import uuid

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

# Fixed identifiers: the bench directory's home tenant, its daemon app, the API the validation token is for.
HOME_TENANT = "b3c4d5e6-0000-4000-8000-000000000001"
CLIENT_ID = "b3c4d5e6-0000-4000-8000-0000000000c1"
API_AUDIENCE = "b3c4d5e6-0000-4000-8000-0000000000a1"
GRAPH = "https://graph.microsoft.com"


def b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def write_private(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def tenant_id(index: int) -> str:
    """Tenant 0 is the home tenant; the others are GUIDs derived from their index (stable across runs)."""
    if index == 0:
        return HOME_TENANT
    return str(uuid.UUID(int=(0xB3C4D5E6 << 96) | (0x7 << 76) | (0x8 << 60) | index))


def secret_value(folder: str) -> str:
    """The app's client secret, made once per folder (mode 0600), read by the script from the file."""
    path = os.path.join(folder, "client-secret")
    if not os.path.exists(path):
        write_private(path, ("bench~" + b64url(os.urandom(24))).encode())
    with open(path) as f:
        return f.read().strip()


def cmd_token(args):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    kid = b64url(hashlib.sha256(numbers.n.to_bytes(256, "big")).digest()[:15])
    tid = str(uuid.uuid4())
    issuer = f"https://login.microsoftonline.com/{tid}/v2.0"
    now = int(time.time())
    oid = str(uuid.uuid4())
    claims = {
        "aud": API_AUDIENCE,
        "iss": issuer,
        "iat": now - 60,
        "nbf": now - 60,
        "exp": now + 3600,
        "azp": CLIENT_ID,
        "azpacr": "2",
        "idtyp": "app",
        "oid": oid,
        "sub": oid,
        "roles": ["Reports.Read.All"],
        "tid": tid,
        "uti": b64url(os.urandom(16)),
        "ver": "2.0",
    }
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid, "typ": "JWT"})
    jwks = {"keys": [{"kty": "RSA", "use": "sig", "kid": kid, "n": b64url_uint(numbers.n), "e": b64url_uint(numbers.e)}]}
    os.makedirs(args.dir, exist_ok=True)
    with open(os.path.join(args.dir, "token.jwt"), "w") as f:
        f.write(token)
    with open(os.path.join(args.dir, "jwks.json"), "w") as f:
        json.dump(jwks, f)
    with open(os.path.join(args.dir, "token.json"), "w") as f:
        json.dump({"issuer": issuer, "audience": API_AUDIENCE, "tenant": tid, "kid": kid, "exp": claims["exp"]}, f)
    write_private(
        os.path.join(args.dir, "token-key.pem"),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )


def cmd_certificate(args):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tessera bench daemon")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    os.makedirs(args.dir, exist_ok=True)
    with open(os.path.join(args.dir, "client-cert.pem"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    write_private(
        os.path.join(args.dir, "client-key.pem"),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )


def cmd_directory(args):
    folder = os.path.dirname(os.path.abspath(args.file))
    with open(os.path.join(folder, "client-cert.pem")) as f:
        cert = f.read()
    tenants = [{"id": tenant_id(i), "domains": [f"t{i}.bench.example"]} for i in range(args.tenants)]
    expires = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    model = {
        "tenants": tenants,
        "applications": [
            {
                "clientId": CLIENT_ID,
                "displayName": "bench daemon",
                "homeTenant": HOME_TENANT,
                "multiTenant": args.tenants > 1,
                "secrets": [{"value": secret_value(folder), "expires": expires}],
                "certificates": [{"pem": cert}],
                "redirectUris": ["https://localhost/consent-done"],
                "requiredResourceAccess": [{"resource": GRAPH, "roles": ["User.Read.All"]}],
            }
        ],
        "grants": [
            {"tenant": t["id"], "client": CLIENT_ID, "resource": GRAPH, "roles": ["User.Read.All"]} for t in tenants
        ],
    }
    fd = os.open(args.file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(model, out)


def cmd_daemon_config(args):
    folder = os.path.abspath(args.dir)
    os.makedirs(folder, exist_ok=True)
    secret = secret_value(os.path.abspath(args.secret_dir))
    base = args.base_url.rstrip("/")
    job = {
        "Name": "bench",
        "Url": base + "/v1.0/",
        "Scopes": [GRAPH + "/.default"],
        "RelativePath": "users?$top=1",
        "Paged": False,
        "Schedule": args.schedule,
        "Output": "-",
    }
    daemon = {"ShutdownTimeoutSeconds": 2, "Jobs": [job]}
    if args.tenants > 1:
        # 1,000 tenants: the home tenant plus every other one recorded as onboarded (Daemon.Onboarding's
        # TenantsFile, read at each run by a PerTenant job). RedirectUri is required by the section, never visited.
        job["PerTenant"] = True
        daemon["Onboarding"] = {"RedirectUri": "http://127.0.0.1/onboarding/callback", "TenantsFile": "tenants.json"}
        entries = [{"id": tenant_id(i), "onboardedAt": "2025-01-01T00:00:00Z"} for i in range(1, args.tenants)]
        fd = os.open(os.path.join(folder, "tenants.json"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump({"tenants": entries}, out)
    config = {
        "AzureAd": {"Instance": base + "/", "TenantId": HOME_TENANT, "ClientId": CLIENT_ID, "ClientSecret": secret},
        "Daemon": daemon,
    }
    fd = os.open(os.path.join(folder, "daemon.json"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(config, out, indent=1)


# --- client assertions -------------------------------------------------------------------------------------------

_signing = {}


def _init_signer(key_pem: bytes, header: dict, claims: dict, algorithm: str):
    _signing["key"] = serialization.load_pem_private_key(key_pem, None)
    _signing["header"] = header
    _signing["claims"] = claims
    _signing["algorithm"] = algorithm


def _sign(count: int) -> list:
    out = []
    for _ in range(count):
        claims = dict(_signing["claims"], jti=str(uuid.uuid4()))
        out.append(jwt.encode(claims, _signing["key"], algorithm=_signing["algorithm"], headers=_signing["header"]))
    return out


def cmd_assertions(args):
    with open(args.key, "rb") as f:
        key_pem = f.read()
    header = {}
    if args.cert:
        der = x509.load_pem_x509_certificate(open(args.cert, "rb").read()).public_bytes(serialization.Encoding.DER)
        header["x5t#S256"] = b64url(hashlib.sha256(der).digest())
        header["x5t"] = b64url(hashlib.sha1(der).digest())
    now = int(time.time())
    # Integer times (Glewlwyd refuses a decimal exp); valid for the run and well within both servers' maximum.
    claims = {"iss": args.client_id, "sub": args.client_id, "aud": args.audience, "iat": now, "nbf": now - 5,
              "exp": now + args.lifetime}
    workers = max(1, os.cpu_count() or 1)
    chunk = 500
    sizes = [chunk] * (args.count // chunk) + ([args.count % chunk] if args.count % chunk else [])
    started = time.monotonic()
    with multiprocessing.Pool(workers, _init_signer, (key_pem, header, claims, args.algorithm)) as pool:
        with open(args.file, "w") as out:
            for part in pool.imap(_sign, sizes):
                out.write("\n".join(part) + "\n")
    elapsed = time.monotonic() - started
    print(json.dumps({"assertions": args.count, "algorithm": args.algorithm, "sign_seconds": round(elapsed, 2)}))


def cmd_free_port(_args):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("token")
    p.add_argument("dir")
    p.set_defaults(func=cmd_token)
    p = sub.add_parser("certificate")
    p.add_argument("dir")
    p.set_defaults(func=cmd_certificate)
    p = sub.add_parser("directory")
    p.add_argument("file")
    p.add_argument("--tenants", type=int, default=1)
    p.set_defaults(func=cmd_directory)
    p = sub.add_parser("daemon-config")
    p.add_argument("dir")
    p.add_argument("--base-url", required=True)
    p.add_argument("--secret-dir", required=True, help="the folder holding client-secret (the directory's)")
    p.add_argument("--tenants", type=int, default=1)
    p.add_argument("--schedule", default="once")
    p.set_defaults(func=cmd_daemon_config)
    p = sub.add_parser("assertions")
    p.add_argument("file")
    p.add_argument("--key", required=True)
    p.add_argument("--cert", help="certificate whose thumbprints go in the header (the emulator's x5t#S256)")
    p.add_argument("--client-id", required=True)
    p.add_argument("--audience", required=True, help="the token endpoint the assertions are POSTed to")
    p.add_argument("--algorithm", default="RS256", choices=["RS256", "PS256"])
    p.add_argument("--count", type=int, default=60000)
    p.add_argument("--lifetime", type=int, default=1800)
    p.set_defaults(func=cmd_assertions)
    p = sub.add_parser("free-port")
    p.set_defaults(func=cmd_free_port)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Drive the real Python peers (MSAL Python, azure-identity, PyJWT) against a running TesseraEmulator.

Prints one JSON line per case ({"case", "ok", "detail"}), then {"summary": {"passed", "failed"}}; exits 0 only if
every case passed. Secrets, private keys and tokens are never printed (at most a token's first 12 characters).
Needs Python 3.11 and Scripts/requirements.txt.
"""
import argparse
import contextlib
import functools
import json
import os
import re
import sys

import jwt
import msal
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import (CertificateCredential, ClientSecretCredential, EnvironmentCredential,
                            ManagedIdentityCredential, WorkloadIdentityCredential)
from cryptography import x509
from cryptography.hazmat.primitives import hashes

A = argparse.Namespace()  # the command line, filled in by main()
SECRET_KINDS = ("secret", "wrong_secret", "environment")
WRONG_SECRET = "not-the-registered-secret"
PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----\n?", re.S)


class CaseFailed(Exception):
    pass


def fail(message):
    raise CaseFailed(message) from None  # the message already says what went wrong


def http():
    """A session that trusts only the dev CA and ignores REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE and proxies."""
    session = requests.Session()
    session.trust_env = False
    session.verify = A.ca_file
    return session


@functools.cache
def pem_parts(path):
    """(certificate PEM, private key PEM, SHA-1 hex thumbprint) of a combined PEM file; the first cert is the leaf."""
    blocks = {}
    for match in PEM_BLOCK.finditer(open(path).read()):
        blocks.setdefault(match.group(1), match.group(0))
    cert = blocks["CERTIFICATE"]
    key = next(v for k, v in blocks.items() if k.endswith("PRIVATE KEY"))
    sha1 = x509.load_pem_x509_certificate(cert.encode()).fingerprint(hashes.SHA1()).hex()
    return cert, key, sha1


@functools.cache
def signing_keys():
    """Issuer and {kid: key} from the tenant's discovery document and its jwks_uri."""
    with http() as session:
        config = session.get(f"{A.base_url}/{A.tenant}/v2.0/.well-known/openid-configuration", timeout=30)
        config.raise_for_status()
        config = config.json()
        jwks = session.get(config["jwks_uri"], timeout=30)
        jwks.raise_for_status()
    keys = {k.key_id: k for k in jwt.PyJWKSet.from_dict(jwks.json()).keys}
    return config.get("issuer"), keys


def check_token(token, azpacr, client_id=None):
    """Verify the access token's signature and standard claims; returns a short description."""
    issuer = f"{A.base_url}/{A.tenant}/v2.0"
    discovered_issuer, keys = signing_keys()
    if discovered_issuer != issuer:
        fail(f"discovery issuer {discovered_issuer!r} != {issuer!r}")
    kid = jwt.get_unverified_header(token).get("kid")
    if kid not in keys:
        fail(f"token kid {kid!r} not in JWKS {sorted(keys)}")
    try:
        claims = jwt.decode(token, keys[kid], algorithms=["RS256"], audience=A.expected_aud, issuer=issuer, leeway=60,
                            options={"require": ["aud", "iss", "exp", "iat", "nbf", "oid", "sub", "tid"]})
    except jwt.InvalidTokenError as error:
        seen = jwt.decode(token, options={"verify_signature": False})
        fail(f"{type(error).__name__}: {error} (aud={seen.get('aud')!r}, iss={seen.get('iss')!r}, "
             f"alg={jwt.get_unverified_header(token).get('alg')!r})")
    expected = {"idtyp": "app", "azp": client_id or A.client_id, "tid": A.tenant, "ver": "2.0", "azpacr": azpacr,
                "sub": claims["oid"], "roles": sorted(A.expected_roles)}
    actual = dict(claims, roles=sorted(claims.get("roles", [])))
    wrong = [f"{k}={actual.get(k)!r} (want {v!r})" for k, v in expected.items() if actual.get(k) != v]
    if "scp" in claims:
        wrong.append(f"unexpected scp={claims['scp']!r}")
    if wrong:
        fail("claims: " + "; ".join(wrong))
    return f"token {token[:12]}... kid={kid} azpacr={azpacr} roles={expected['roles']}"


def exception_text(error):
    """The message of an exception and of everything it was raised from (MSAL hides the HTTP body in __context__)."""
    texts, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        texts.append(f"{type(error).__name__}: {error}")
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return " <- ".join(texts)


def expect_in_exception(error, code):
    text = exception_text(error)
    match = re.search(rf"AADSTS{code}\b", text)
    if not match:
        fail(f"expected AADSTS{code}, got {text}")
    return f"{type(error).__name__} ... {text[match.start():match.start() + 160]}"


def expect_error_result(result, code):
    if "access_token" in result:
        fail(f"expected AADSTS{code}, got a token {result['access_token'][:12]}...")
    description = result.get("error_description", "")
    if code not in result.get("error_codes", []) or not description.startswith(f"AADSTS{code}:"):
        fail(f"expected AADSTS{code}, got error={result.get('error')!r} error_codes={result.get('error_codes')!r} "
             f"description={description[:200]!r}")
    return f"error={result['error']} {description[:120]}"


def msal_credential(kind, pem):
    if kind in SECRET_KINDS:
        return A.secret if kind == "secret" else WRONG_SECRET
    if kind == "pfx":
        return {"private_key_pfx_path": A.cert_pfx, "passphrase": A.pfx_password}
    cert, key, sha1 = pem_parts(pem)
    if kind == "thumbprint":  # RS256 + x5t (SHA-1)
        return {"private_key": key, "thumbprint": sha1}
    return {"private_key": key, "public_certificate": cert}  # PS256 + x5t#S256 + x5c


def msal_case(cred, tenant=None, scope=None, discovery=False, unregistered=False, expect=None):
    """ConfidentialClientApplication.acquire_token_for_client; a token when expect is None, else AADSTS{expect}.

    tenant names the option holding the authority's tenant (default --tenant); scope replaces /.default."""
    credential = msal_credential(cred, A.unregistered_cert_pem if unregistered else A.cert_pem)
    authority = f"{A.base_url}/{getattr(A, tenant) if tenant else A.tenant}"
    instance_discovery = f"{A.base_url}/common/discovery/instance" if discovery else False
    scopes = [A.scope.removesuffix("/.default") + "/" + scope if scope else A.scope]
    try:
        app = msal.ConfidentialClientApplication(A.client_id, client_credential=credential, authority=authority,
                                                 http_client=http(), instance_discovery=instance_discovery, timeout=30)
        result = app.acquire_token_for_client(scopes)
    except Exception as error:  # e.g. MSAL's ValueError when tenant discovery answers 400
        if expect is None:
            raise
        return expect_in_exception(error, expect)
    if expect is not None:
        return expect_error_result(result, expect)
    if "access_token" not in result:
        fail(f"no token: error={result.get('error')!r} {result.get('error_description', '')[:200]!r}")
    if str(result.get("token_type", "")).lower() != "bearer":
        fail(f"token_type={result.get('token_type')!r}")
    return check_token(result["access_token"], "1" if cred in SECRET_KINDS else "2")


@contextlib.contextmanager
def environment(values):
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def azure_case(cred, expect=None):
    """An azure-identity credential's get_token; a token when expect is None, else ClientAuthenticationError."""
    options = dict(disable_instance_discovery=True, connection_verify=A.ca_file)
    env = {}
    if cred == "environment":
        env = {"AZURE_TENANT_ID": A.tenant, "AZURE_CLIENT_ID": A.client_id, "AZURE_CLIENT_SECRET": A.secret,
               "AZURE_AUTHORITY_HOST": A.base_url}
    with environment(env):
        if cred == "environment":
            credential = EnvironmentCredential(**options)
        elif cred in SECRET_KINDS:
            secret = A.secret if cred == "secret" else WRONG_SECRET
            credential = ClientSecretCredential(A.tenant, A.client_id, secret, authority=A.base_url, **options)
        else:
            path, password = (A.cert_pem, None) if cred == "pem" else (A.cert_pfx, A.pfx_password)
            credential = CertificateCredential(A.tenant, A.client_id, certificate_path=path, password=password,
                                               authority=A.base_url, **options)
        try:
            with credential:
                token = credential.get_token(A.scope).token
        except ClientAuthenticationError as error:
            if expect is None:
                raise
            return expect_in_exception(error, expect)
    if expect is not None:
        fail(f"expected ClientAuthenticationError with AADSTS{expect}, got a token {token[:12]}...")
    return check_token(token, "1" if cred in SECRET_KINDS else "2")


def app_service_environment():
    return {"IDENTITY_ENDPOINT": f"{A.base_url}/msi/token", "IDENTITY_HEADER": A.identity_header}


def azure_managed_identity_case():
    """ManagedIdentityCredential on "App Service" (IDENTITY_ENDPOINT + IDENTITY_HEADER) against the emulator."""
    with environment(app_service_environment()):
        with ManagedIdentityCredential() as credential:
            token = credential.get_token(A.scope).token
    return check_token(token, "2", client_id=A.mi_client_id)


def azure_workload_identity_case():
    """WorkloadIdentityCredential whose federated token is the managed identity's api://AzureADTokenExchange token."""
    with environment(app_service_environment()):
        with ManagedIdentityCredential() as credential:
            federated = credential.get_token("api://AzureADTokenExchange/.default").token
    path = os.path.join(os.path.dirname(A.cert_pem), "federated-token")
    with open(path, "w") as file:
        file.write(federated)
    try:
        with WorkloadIdentityCredential(tenant_id=A.tenant, client_id=A.client_id, token_file_path=path,
                                        authority=A.base_url, disable_instance_discovery=True,
                                        connection_verify=A.ca_file) as credential:
            token = credential.get_token(A.scope).token
    finally:
        os.unlink(path)
    return check_token(token, "2")


CASES = [  # name, runner, arguments
    ("msal_secret", msal_case, dict(cred="secret")),
    ("msal_cert_sha1_thumbprint", msal_case, dict(cred="thumbprint")),
    ("msal_cert_public_certificate", msal_case, dict(cred="public_certificate")),
    ("msal_cert_pfx", msal_case, dict(cred="pfx")),
    ("msal_custom_instance_discovery", msal_case, dict(cred="secret", discovery=True)),
    ("msal_tenant_domain", msal_case, dict(cred="secret", tenant="tenant_domain")),
    ("azure_client_secret_credential", azure_case, dict(cred="secret")),
    ("azure_certificate_credential_pem", azure_case, dict(cred="pem")),
    ("azure_certificate_credential_pfx", azure_case, dict(cred="pfx")),
    ("azure_environment_credential", azure_case, dict(cred="environment")),
    ("msal_wrong_secret", msal_case, dict(cred="wrong_secret", expect=7000215)),
    ("msal_unregistered_certificate", msal_case, dict(cred="public_certificate", unregistered=True, expect=700027)),
    ("msal_unregistered_certificate_sha1", msal_case, dict(cred="thumbprint", unregistered=True, expect=700027)),
    ("msal_unknown_tenant", msal_case, dict(cred="secret", tenant="unknown_tenant", expect=90002)),
    ("msal_app_not_in_tenant", msal_case, dict(cred="secret", tenant="other_tenant", expect=700016)),
    ("msal_scope_without_default", msal_case, dict(cred="secret", scope="Data.Read", expect=1002012)),
    ("azure_wrong_secret", azure_case, dict(cred="wrong_secret", expect=7000215)),
    ("azure_managed_identity_app_service", azure_managed_identity_case, {}),
    ("azure_workload_identity_from_managed_identity", azure_workload_identity_case, {}),
]


def redact(text):
    for secret in (A.secret, A.pfx_password, WRONG_SECRET, A.identity_header):
        if secret:
            text = text.replace(secret, "***")
    text = re.sub(r"(eyJ[\w-]{9})[\w-]*\.[\w-]+\.[\w-]*", r"\1...", text)  # any JWT: keep its first 12 characters
    return re.sub(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", "[key]", text,
                  flags=re.S)[:600]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("base-url", "ca-file", "tenant", "tenant-domain", "client-id", "secret", "cert-pem", "cert-pfx",
                 "pfx-password", "scope", "expected-aud", "expected-roles", "unregistered-cert-pem", "unknown-tenant",
                 "other-tenant", "identity-header", "mi-client-id"):
        parser.add_argument("--" + name, required=True)
    parser.parse_args(namespace=A)
    A.base_url = A.base_url.rstrip("/")
    A.expected_roles = [r.strip() for r in A.expected_roles.split(",") if r.strip()]
    os.environ["REQUESTS_CA_BUNDLE"] = A.ca_file  # requests lets this override verify= on sessions that trust env
    os.environ.pop("CURL_CA_BUNDLE", None)

    passed = failed = 0
    for name, runner, arguments in CASES:
        try:
            ok, detail = True, runner(**arguments)
        except Exception as error:  # one case's failure must not stop the others
            ok, detail = False, str(error) if isinstance(error, CaseFailed) else exception_text(error)
        passed, failed = passed + ok, failed + (not ok)
        print(json.dumps({"case": name, "ok": ok, "detail": redact(detail)}), flush=True)
    print(json.dumps({"summary": {"passed": passed, "failed": failed}}), flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

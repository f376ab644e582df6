#!/usr/bin/env bash
# Starts Debian's Glewlwyd 2.7 (a C OAuth 2.0 / OpenID Connect server) on 127.0.0.1 for the interop suite, with a
# fresh SQLite database, one OIDC plugin instance `oidc` (RS256 JWT access tokens, discovery, JWKS) and two
# confidential clients allowed the client-credentials grant for the scope `api.read`:
#   daemon-secret  client_secret_basic or client_secret_post, secret "s3cr3t-value"
#   daemon-cert    private_key_jwt with the public key of $CLIENT_PUBKEY (a PEM public key or certificate)
#
# Environment: STATE (required) the folder it works in; PORT (required) the loopback port; CLIENT_PUBKEY (required).
# Needs: glewlwyd sqlite3 openssl curl python3 (Scripts/test.sh installs them).
# Prints, as its last line: GLEWLWYD_PID=<pid> GLEWLWYD_BASE=<url> GLEWLWYD_ISSUER=<url>. Stop it with kill <pid>.
set -euo pipefail
: "${STATE:?set STATE to a new folder}" "${PORT:?set PORT}" "${CLIENT_PUBKEY:?set CLIENT_PUBKEY to a PEM file}"
mkdir -p "$STATE"
cd "$STATE"
base="http://127.0.0.1:$PORT"
issuer="$base/api/oidc"

# The server's signing key, and the daemon-cert client's public key.
openssl genrsa -out signing.key 2048 2>/dev/null
openssl rsa -in signing.key -pubout -out signing.pub 2>/dev/null
if grep -q "BEGIN CERTIFICATE" "$CLIENT_PUBKEY"; then
  openssl x509 -in "$CLIENT_PUBKEY" -pubkey -noout >client.pub
else
  cp "$CLIENT_PUBKEY" client.pub
fi

# The schema Debian ships, plus the scope and the OIDC plugin instance (its parameters are a JSON document).
rm -f glewlwyd.db
zcat /usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz | sqlite3 glewlwyd.db
ISSUER="$issuer" python3 - <<'PY'
import json, os, sqlite3

plugin = {
    "iss": os.environ["ISSUER"],
    "jwt-type": "rsa", "jwt-key-size": "256",
    "key": open("signing.key").read(), "cert": open("signing.pub").read(),
    "access-token-duration": 3600, "refresh-token-duration": 1209600, "code-duration": 600,
    "refresh-token-rolling": False, "allow-non-oidc": True,
    "auth-type-client-enabled": True,
    "auth-type-code-enabled": False, "auth-type-token-enabled": False, "auth-type-none-enabled": False,
    "auth-type-password-enabled": False, "auth-type-refresh-enabled": False,
    "client-pubkey-parameter": "pubkey", "client-jwks-parameter": "jwks", "client-jwks_uri-parameter": "jwks_uri",
    "request-maximum-exp": 3600, "request-parameter-allow": True,
    "jwks-show": True, "discovery-display-all": True,
    "scope": [{"name": "api.read", "refresh-token-rolling": False}],
}
with sqlite3.connect("glewlwyd.db") as db:
    db.execute(
        "INSERT INTO g_scope (gs_name, gs_display_name, gs_description, gs_password_required, gs_password_max_age)"
        " VALUES ('api.read', 'API read', 'app-only scope', 0, 0)")
    db.execute(
        "INSERT INTO g_plugin_module_instance (gpmi_module, gpmi_name, gpmi_display_name, gpmi_parameters)"
        " VALUES ('oidc', 'oidc', 'OIDC', ?)", (json.dumps(plugin),))

clients = [
    {"client_id": "daemon-secret", "name": "daemon with a secret", "client_secret": "s3cr3t-value",
     "token_endpoint_auth_method": ["client_secret_basic", "client_secret_post"]},
    {"client_id": "daemon-cert", "name": "daemon with a certificate", "pubkey": open("client.pub").read(),
     "token_endpoint_auth_method": ["private_key_jwt"]},
]
for client in clients:
    client.update({"confidential": True, "enabled": True, "redirect_uri": [],
                   "authorization_type": ["client_credentials"], "scope": ["api.read"]})
    with open(client["client_id"] + ".json", "w") as out:
        json.dump(client, out)
PY

cat >glewlwyd.conf <<CONF
port=$PORT
bind_address="127.0.0.1"
external_url="$base"
api_prefix="api"
log_mode="console"
log_level="${LOG_LEVEL:-WARNING}"
cookie_secure=0
session_expiration=3600
session_key="GLEWLWYD2_SESSION_ID"
admin_session_authentication="cookie"
profile_session_authentication="cookie"
login_api_enabled=true
admin_scope="g_admin"
profile_scope="g_profile"
user_module_path="/usr/lib/glewlwyd/user"
client_module_path="/usr/lib/glewlwyd/client"
user_auth_scheme_module_path="/usr/lib/glewlwyd/scheme"
plugin_module_path="/usr/lib/glewlwyd/plugin"
hash_algorithm="SHA512"
database = { type = "sqlite3" path = "$STATE/glewlwyd.db" }
CONF

glewlwyd -c "$STATE/glewlwyd.conf" >glewlwyd.log 2>&1 &
pid=$!
echo "$pid" >glewlwyd.pid
ready=0
for _ in $(seq 1 150); do
  if curl -fsS -o /dev/null "$issuer/.well-known/openid-configuration" 2>/dev/null; then ready=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ "$ready" != 1 ]; then
  echo "glewlwyd did not start on $base; its log:" >&2
  tail -20 glewlwyd.log >&2
  kill "$pid" 2>/dev/null || true
  exit 1
fi

# The clients go in through the admin API (the default admin/password account of Debian's database).
curl -fsS -c admin.cookies -H 'Content-Type: application/json' -d '{"username":"admin","password":"password"}' \
  "$base/api/auth/" >/dev/null
for client in daemon-secret daemon-cert; do
  curl -fsS -b admin.cookies -H 'Content-Type: application/json' -d @"$client.json" \
    "$base/api/client/?source=database" >/dev/null
done

echo "GLEWLWYD_PID=$pid GLEWLWYD_BASE=$base GLEWLWYD_ISSUER=$issuer"

/// What each AADSTS code a daemon meets means, and what to do about it.
enum EntraErrorCatalog {
    struct Entry {
        let code: IdentityError.Code
        let advice: String
    }

    static let entries: [Int: Entry] = [
        700016: Entry(
            code: .applicationNotFound,
            advice:
                "the application (client ID) was not found in the tenant: check the client ID and tenant; for a multi-tenant "
                + "app, an administrator of that tenant must grant admin consent first (tessera consent-url)."
        ),
        7_000_215: Entry(
            code: .invalidClient,
            advice:
                "the client secret is wrong: use the secret's Value (not its Secret ID); it may have been rotated."
        ),
        7_000_222: Entry(
            code: .invalidClient,
            advice:
                "the client secret has expired: create a new secret on the app registration and update the daemon's configuration."
        ),
        70021: Entry(
            code: .invalidClient,
            advice:
                "no federated identity credential of the app matches the presented token: add one (issuer, subject, audience "
                + "api://AzureADTokenExchange) to the app registration, matching the workload's token (tessera decode < token file)."
        ),
        700211: Entry(
            code: .invalidClient,
            advice:
                "no federated identity credential of the app has the token's issuer: add one with exactly that issuer (e.g. the "
                + "cluster's OIDC issuer URL, no trailing slash difference), or point AZURE_FEDERATED_TOKEN_FILE at the right token."
        ),
        700212: Entry(
            code: .invalidClient,
            advice:
                "the federated token's audience is not one the app's federated credential accepts: request the token for "
                + "api://AzureADTokenExchange (the service account token's audience) or add its audience to the credential."
        ),
        700213: Entry(
            code: .invalidClient,
            advice:
                "no federated identity credential of the app has the token's subject: add one for it (Kubernetes: "
                + "system:serviceaccount:<namespace>:<service account>), or run the workload under the configured identity."
        ),
        50166: Entry(
            code: .invalidClient,
            advice:
                "Entra could not fetch the federated token issuer's OpenID configuration or keys: the issuer must be reachable "
                + "from the internet over HTTPS (check the cluster's OIDC issuer publication)."
        ),
        50013: Entry(
            code: .invalidClient,
            advice:
                "the federated token's signature did not verify with its issuer's published keys: the token may come from "
                + "another issuer, or the issuer rotated keys without publishing them."
        ),
        700027: Entry(
            code: .invalidClient,
            advice:
                "the client assertion's signature did not verify, or its certificate is not registered on the app: upload the "
                + "certificate (see its thumbprint) to the app registration, or load the matching private key."
        ),
        700024: Entry(
            code: .invalidClient,
            advice:
                "the client assertion is outside its validity window: this machine's clock is probably wrong; synchronize it (NTP)."
        ),
        700023: Entry(
            code: .invalidClient,
            advice:
                "the client assertion's audience does not match the token endpoint: check the authority (cloud host and tenant)."
        ),
        5_002_741: Entry(
            code: .invalidClient,
            advice:
                "the client assertion named several audiences; it must name exactly the token endpoint."
        ),
        7_000_274: Entry(
            code: .invalidClient,
            advice:
                "the credential was rejected: check the secret or certificate registered on the app."
        ),
        700025: Entry(
            code: .invalidClient,
            advice:
                "the app is registered as a public client, which cannot use client credentials: turn off 'Allow public client flows'."
        ),
        7_000_218: Entry(
            code: .invalidClient,
            advice:
                "the request carried no credential: configure a client secret, certificate or assertion."
        ),
        1_002_012: Entry(
            code: .invalidScope,
            advice:
                "client credentials need the scope '{resource}/.default' (for example https://graph.microsoft.com/.default)."
        ),
        70011: Entry(
            code: .invalidScope,
            advice:
                "the scope is not valid: request exactly one '{resource}/.default' scope."
        ),
        500011: Entry(
            code: .invalidResource,
            advice:
                "the resource (API) was not found in the tenant: check the resource's App ID URI or client ID, and that the API "
                + "is registered or consented in that tenant."
        ),
        90002: Entry(
            code: .unknownTenant,
            advice:
                "the tenant was not found: check the tenant ID or domain, and that the authority's cloud is the tenant's cloud."
        ),
        90033: Entry(code: .unknownTenant, advice: "the tenant is not valid: check the tenant ID or domain."),
        7_000_112: Entry(
            code: .applicationDisabled,
            advice:
                "the application or its service principal is disabled in the tenant: an administrator must enable it."
        ),
        501051: Entry(
            code: .consentRequired,
            advice:
                "the API requires an app-role assignment that this app lacks: an administrator must grant the app role."
        ),
        65001: Entry(
            code: .consentRequired,
            advice:
                "an administrator has not consented to the app's permissions in this tenant: grant admin consent."
        ),
        50196: Entry(
            code: .throttled,
            advice:
                "Entra detected a request loop: the daemon sent the same request too often; cache tokens and back off."
        ),
        70003: Entry(
            code: .unauthorizedClient,
            advice:
                "the app may not use the client-credentials grant."
        ),
        50011: Entry(
            code: .invalidRequest,
            advice:
                "the redirect URI does not match one registered on the app."
        ),
        53003: Entry(
            code: .accessDenied,
            advice:
                "a Conditional Access policy blocked the request: ask the tenant's administrators."
        ),
    ]

    static let oauthErrors: [String: (IdentityError.Code, String)] = [
        "invalid_client": (
            .invalidClient,
            "the server rejected the client's credentials: check the client ID and the secret or certificate."
        ),
        "unauthorized_client": (
            .unauthorizedClient,
            "the client may not use the client-credentials grant: enable it for this client on the server."
        ),
        "invalid_scope": (.invalidScope, "the scope was rejected: check that the client may request it."),
        "invalid_grant": (.invalidGrant, "the grant was rejected."),
        "invalid_request": (.invalidRequest, "the server found the request malformed."),
        "unsupported_grant_type": (
            .unauthorizedClient, "the server does not support the client-credentials grant for this client."
        ),
        "access_denied": (.accessDenied, "access was denied by the server's policy."),
        "temporarily_unavailable": (.serverError, "the server is temporarily unavailable; try again later."),
        "server_error": (.serverError, "the server failed; try again later."),
    ]
}

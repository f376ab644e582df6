import Foundation

/// An error the emulator answers as Entra does: status, OAuth `error`, and `AADSTSnnnn: …` description.
struct EntraError: Error, Sendable {
    let status: Int
    let error: String
    let code: Int
    let description: String

    static func unsupportedGrant(_ grant: String) -> EntraError {
        EntraError(
            status: 400,
            error: "unsupported_grant_type",
            code: 70003,
            description: "The app requested an unsupported grant type '\(grant.prefix(64))'."
        )
    }
    static func tenantNotFound(_ tenant: String) -> EntraError {
        EntraError(
            status: 400,
            error: "invalid_tenant",
            code: 90002,
            description:
                "Tenant '\(tenant.prefix(64))' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
        )
    }
    static func applicationNotFound(_ client: String, tenant: String) -> EntraError {
        EntraError(
            status: 400,
            error: "unauthorized_client",
            code: 700016,
            description:
                "Application with identifier '\(client.prefix(64))' was not found in the directory '\(tenant)'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."
        )
    }
    static let invalidSecret = EntraError(
        status: 401,
        error: "invalid_client",
        code: 7_000_215,
        description:
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID."
    )
    static let expiredSecret = EntraError(
        status: 401,
        error: "invalid_client",
        code: 7_000_222,
        description:
            "The provided client secret keys are expired. Visit the Azure portal to create new keys for your app."
    )
    static let noCredential = EntraError(
        status: 401,
        error: "invalid_client",
        code: 7_000_218,
        description: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."
    )
    static let bothCredentials = EntraError(
        status: 400,
        error: "invalid_request",
        code: 90014,
        description: "Only one client authentication method may be used: a secret or a client assertion, not both."
    )
    static func assertionSignature(_ detail: String) -> EntraError {
        EntraError(
            status: 401,
            error: "invalid_client",
            code: 700027,
            description: "Client assertion failed signature validation. \(detail)"
        )
    }
    /// A client assertion signed with a registered certificate that is expired or not yet valid. Entra answers
    /// `invalid_client` with AADSTS700027: "Client assertion contains an invalid signature. [Reason - The key used is
    /// expired., Thumbprint of key used by client: '…', Found key 'Start=…, End=…' …]"; the emulator says the same and
    /// adds the dates and the fix: "The certificate used to sign the client assertion is expired (notBefore …,
    /// notAfter …). Register a current certificate for application '…' and sign with it."
    static func assertionKeyNotCurrent(
        thumbprint: String,
        notBefore: Date,
        notAfter: Date,
        expired: Bool,
        clientID: String
    ) -> EntraError {
        let formatter = ISO8601DateFormatter()
        let start = formatter.string(from: notBefore)
        let end = formatter.string(from: notAfter)
        let reason = expired ? "The key used is expired." : "The key used is not yet valid."
        let state = expired ? "expired" : "not yet valid"
        return EntraError(
            status: 401,
            error: "invalid_client",
            code: 700027,
            description:
                "Client assertion contains an invalid signature. [Reason - \(reason), Thumbprint of key used by "
                + "client: '\(thumbprint)', Found key 'Start=\(start), End=\(end)'] The certificate used to sign the "
                + "client assertion is \(state) (notBefore \(start), notAfter \(end)). Register a current certificate "
                + "for application '\(clientID.prefix(64))' and sign with it."
        )
    }
    static let assertionTime = EntraError(
        status: 401,
        error: "invalid_client",
        code: 700024,
        description: "Client assertion is not within its valid time range."
    )
    static let assertionAudience = EntraError(
        status: 401,
        error: "invalid_client",
        code: 700023,
        description: "Client assertion audience claim does not match Realm issuer."
    )
    static let assertionAudiences = EntraError(
        status: 401,
        error: "invalid_client",
        code: 5_002_741,
        description: "Client assertion contains multiple audiences."
    )
    static let assertionSubject = EntraError(
        status: 401,
        error: "invalid_client",
        code: 700021,
        description: "Client assertion application identifier doesn't match 'client_id' parameter."
    )
    static let assertionMalformed = EntraError(
        status: 401,
        error: "invalid_client",
        code: 50027,
        description: "Invalid JWT token. The client assertion is not a well-formed JWT."
    )
    static let assertionType = EntraError(
        status: 400,
        error: "invalid_request",
        code: 700025,
        description: "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer."
    )
    static func federatedNoMatch(_ what: String, issuer: String, subject: String, audience: String) -> EntraError {
        let code = ["issuer": 700211, "subject": 700213, "audience": 700212][what] ?? 70021
        let which = code == 70021 ? "" : " \(what)"
        return EntraError(
            status: 400,
            error: "invalid_client",
            code: code,
            description:
                "No matching federated identity record found for presented assertion\(which). Assertion Issuer: '\(issuer.prefix(200))'. "
                + "Assertion Subject: '\(subject.prefix(200))'. Assertion Audience: '\(audience.prefix(200))'."
        )
    }
    static func federatedKeys(_ issuer: String) -> EntraError {
        EntraError(
            status: 401,
            error: "invalid_client",
            code: 50166,
            description: "Request to External OIDC endpoint failed. Issuer: '\(issuer.prefix(200))'."
        )
    }
    static func federatedSignature(_ detail: String) -> EntraError {
        EntraError(
            status: 401,
            error: "invalid_client",
            code: 50013,
            description: "Assertion failed signature validation. \(detail)"
        )
    }
    static func scopeWithoutDefault(_ scope: String) -> EntraError {
        EntraError(
            status: 400,
            error: "invalid_scope",
            code: 1_002_012,
            description:
                "The provided value for scope \(scope.prefix(200)) is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
        )
    }
    static func resourceNotFound(_ resource: String, tenant: String) -> EntraError {
        EntraError(
            status: 400,
            error: "invalid_resource",
            code: 500011,
            description:
                "The resource principal named \(resource.prefix(200)) was not found in the tenant named \(tenant). This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."
        )
    }
    static let roleAssignmentRequired = EntraError(
        status: 400,
        error: "invalid_grant",
        code: 501051,
        description: "Application is not assigned to a role for the application."
    )
    static let redirectURIMismatch = EntraError(
        status: 400,
        error: "invalid_request",
        code: 50011,
        description:
            "The redirect URI specified in the request does not match the redirect URIs configured for the application."
    )

    /// An admin-consent POST without the admin key and without a good one-time token from the consent page.
    static let consentFormInvalid = EntraError(
        status: 400,
        error: "invalid_request",
        code: 90023,
        description:
            "The admin consent form is missing, expired (after 10 minutes), already used or was shown for another "
            + "request. Open the admin consent URL again and press Accept on the page it shows, or POST with "
            + "'Authorization: Bearer <adminKey>'. Nothing was granted."
    )

    func json(correlationID: String, now: Date = Date()) -> [String: Any] {
        let timestamp = ISO8601DateFormatter().string(from: now)
        let traceID = UUID().uuidString.lowercased()
        return [
            "error": error,
            "error_description":
                "AADSTS\(code): \(description) Trace ID: \(traceID) Correlation ID: \(correlationID) Timestamp: \(timestamp)",
            "error_codes": [code], "timestamp": timestamp, "trace_id": traceID, "correlation_id": correlationID,
            "error_uri": "https://login.microsoftonline.com/error?code=\(code)",
        ]
    }
}

import Foundation

/// Every failure the client reports: one type, a code to switch on, and a message that names the cause and the fix.
///
/// Shaped like AsyncHTTPClient's `HTTPClientError`: a struct wrapping a private code with static members, so codes can
/// be added without breaking callers. Entra answers keep their AADSTS code, correlation ID and trace ID. Nothing here
/// ever contains a secret, key, assertion or token.
public struct IdentityError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Backing: String, Sendable {
            case invalidConfiguration, tenantRequired, credentialUnavailable, invalidClient, invalidScope,
                invalidResource,
                unknownTenant, applicationNotFound, consentRequired, applicationDisabled, unauthorizedClient,
                invalidRequest, invalidGrant, accessDenied, throttled, serverError, network, tls, timeout,
                protocolViolation, requestRejected, clientShutDown
        }
        let backing: Backing
        /// The code's name, e.g. `invalidClient`.
        public var description: String { backing.rawValue }

        /// A setting is missing or wrong (authority, client ID, URL scheme …). Fix the configuration.
        public static let invalidConfiguration = Code(backing: .invalidConfiguration)
        /// The request would go to `common`, `organizations` or `consumers`: client credentials need a real tenant.
        public static let tenantRequired = Code(backing: .tenantRequired)
        /// The credential could not be loaded or produced (unreadable certificate, assertion provider failed …).
        public static let credentialUnavailable = Code(backing: .credentialUnavailable)
        /// The identity provider rejected the client's credential (wrong, expired or unregistered secret/certificate).
        public static let invalidClient = Code(backing: .invalidClient)
        /// The scope is not valid for client credentials (it must be `{resource}/.default`).
        public static let invalidScope = Code(backing: .invalidScope)
        /// The requested resource (API) does not exist in the tenant.
        public static let invalidResource = Code(backing: .invalidResource)
        /// The tenant does not exist (in this cloud).
        public static let unknownTenant = Code(backing: .unknownTenant)
        /// The application does not exist in the tenant: wrong client ID, or no admin consented there (AADSTS700016).
        public static let applicationNotFound = Code(backing: .applicationNotFound)
        /// The resource requires an app-role assignment the app does not have (AADSTS501051).
        public static let consentRequired = Code(backing: .consentRequired)
        /// The application or its service principal is disabled.
        public static let applicationDisabled = Code(backing: .applicationDisabled)
        /// The client may not use this grant.
        public static let unauthorizedClient = Code(backing: .unauthorizedClient)
        /// The request was malformed in the server's view.
        public static let invalidRequest = Code(backing: .invalidRequest)
        /// The grant was rejected.
        public static let invalidGrant = Code(backing: .invalidGrant)
        /// Access was denied by policy.
        public static let accessDenied = Code(backing: .accessDenied)
        /// The identity provider throttled the client (HTTP 429, or AADSTS50196 loop detection). See ``retryAfter``.
        public static let throttled = Code(backing: .throttled)
        /// The identity provider failed (HTTP 5xx). Transient.
        public static let serverError = Code(backing: .serverError)
        /// The identity provider could not be reached (DNS, refused connection, reset). Transient.
        public static let network = Code(backing: .network)
        /// TLS failed: the server's certificate is not trusted or the handshake failed.
        public static let tls = Code(backing: .tls)
        /// The identity provider did not answer in time. Transient.
        public static let timeout = Code(backing: .timeout)
        /// The answer was not a valid token response (not JSON, truncated, too large, missing fields …).
        public static let protocolViolation = Code(backing: .protocolViolation)
        /// Another refusal (a 4xx with no recognised error).
        public static let requestRejected = Code(backing: .requestRejected)
        /// The client was shut down (``ConfidentialClient/shutdown()``, or the end of its `run()`): it makes no more
        /// requests. Keep it running while it is used (``withConfidentialClient(configuration:httpClient:logger:metricsFactory:_:)``).
        public static let clientShutDown = Code(backing: .clientShutDown)
    }

    /// What kind of failure this is.
    public let code: Code
    /// What happened and what to do about it.
    public let message: String
    /// The AADSTS code from `error_codes` or the `error_description`, when Entra answered.
    public let aadstsCode: Int?
    /// The OAuth `error` value (`invalid_client`, …), when the server sent one.
    public let oauthError: String?
    /// The HTTP status of the answer, when there was one.
    public let httpStatus: Int?
    /// The correlation ID (the `client-request-id` we sent, echoed by Entra): quote it to Microsoft support.
    public let correlationID: String?
    /// Entra's `trace_id`.
    public let traceID: String?
    /// How long the server asked us to wait (`Retry-After`).
    public let retryAfter: Duration?
    /// The server's own description (first line, bounded, with anything we sent as a secret removed).
    public let serverDescription: String?

    init(
        _ code: Code,
        _ message: String,
        aadstsCode: Int? = nil,
        oauthError: String? = nil,
        httpStatus: Int? = nil,
        correlationID: String? = nil,
        traceID: String? = nil,
        retryAfter: Duration? = nil,
        serverDescription: String? = nil
    ) {
        self.code = code
        self.message = message
        self.aadstsCode = aadstsCode
        self.oauthError = oauthError
        self.httpStatus = httpStatus
        self.correlationID = correlationID
        self.traceID = traceID
        self.retryAfter = retryAfter
        self.serverDescription = serverDescription
    }

    /// This error, with the request's correlation ID when it has none (network, TLS and size failures).
    func correlated(_ id: String) -> IdentityError {
        guard correlationID == nil else { return self }
        return IdentityError(
            code,
            message,
            aadstsCode: aadstsCode,
            oauthError: oauthError,
            httpStatus: httpStatus,
            correlationID: id,
            traceID: traceID,
            retryAfter: retryAfter,
            serverDescription: serverDescription
        )
    }

    /// Whether trying again later can succeed without changing anything (5xx, timeouts, network, throttling).
    public var isTransient: Bool {
        [.serverError, .network, .timeout, .throttled].contains(code)
    }

    /// `IdentityError.{code}`, then the AADSTS code, HTTP status, message, server description, correlation and trace
    /// IDs that are known; never a secret or token (the server's text has what was sent as a secret redacted).
    public var description: String {
        var text = "IdentityError.\(code)"
        if let aadstsCode { text += " (AADSTS\(aadstsCode))" }
        if let httpStatus { text += " [HTTP \(httpStatus)]" }
        text += ": \(message)"
        if let serverDescription { text += " Server said: \(serverDescription)" }
        if let correlationID { text += " correlation_id=\(correlationID)" }
        if let traceID { text += " trace_id=\(traceID)" }
        return text
    }
}

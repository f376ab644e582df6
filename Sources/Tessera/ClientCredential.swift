import Foundation

/// What a credential is asked to authenticate: the client, the endpoint the request goes to, and the time.
public struct CredentialContext: Sendable {
    /// The application (client) ID.
    public let clientID: String
    /// The token endpoint (and issuer) of this request: a client assertion's audience.
    public let endpoint: TokenEndpoint
    /// The current time (from the client's clock).
    public let now: Date

    public init(clientID: String, endpoint: TokenEndpoint, now: Date) {
        self.clientID = clientID
        self.endpoint = endpoint
        self.now = now
    }
}

/// How one token request is authenticated: form fields and/or an HTTP Basic header.
public struct ClientAuthentication: Sendable {
    /// Fields added to the token request's form body.
    public var formFields: [(name: String, value: String)]
    /// `client_secret_basic`: user and password before form-encoding (RFC 6749 §2.3.1).
    public var basic: (user: String, password: String)?
    /// Values that must never appear in logs or errors (secrets, assertions): server text echoing them is redacted.
    public var sensitiveValues: [String]

    public init(formFields: [(name: String, value: String)] = [], basic: (user: String, password: String)? = nil, sensitiveValues: [String] = []) {
        self.formFields = formFields
        self.basic = basic
        self.sensitiveValues = sensitiveValues
    }
}

/// A client credential: proves the daemon's identity on each token request.
///
/// Implementations: ``ClientSecretCredential``, ``ClientCertificateCredential``, ``ClientAssertionCredential``.
/// Conform your own to plug in another source (a hardware key, a vault).
public protocol ClientCredential: Sendable {
    /// A stable, non-secret identity of this credential (part of the token cache key, safe to log).
    var identity: String { get }
    /// The authentication for one request. Called for every attempt: assertions are never reused.
    func authentication(for context: CredentialContext) async throws -> ClientAuthentication
}

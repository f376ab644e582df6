import TesseraJOSE

/// A client secret (the app registration's secret *Value*).
public struct ClientSecretCredential: ClientCredential, CustomStringConvertible {
    /// How the secret is sent.
    public struct Method: Sendable, Hashable {
        enum Backing: Sendable, Hashable { case post, basic }
        let backing: Backing
        /// `client_secret` in the form body: what Entra and MSAL use. The default for Microsoft authorities.
        public static let post = Method(backing: .post)
        /// HTTP Basic (RFC 6749 §2.3.1): what generic servers must support. The default for generic authorities.
        public static let basic = Method(backing: .basic)
    }

    private let secret: String
    /// The chosen method; `nil` picks by authority (post for Microsoft, basic for generic OIDC).
    public let method: Method?
    /// `secret:` and the secret's fingerprint (keyed by this process); never the secret.
    public let identity: String
    /// `secret:` and a digest of the secret that every process computes alike (for shared cache keys only).
    public let sharedCacheIdentity: String

    /// A credential for `secret`, sent by `method` (default `nil`: chosen by the authority).
    public init(secret: String, method: Method? = nil) {
        self.secret = secret
        self.method = method
        self.identity = "secret:" + secretFingerprint(secret)
        self.sharedCacheIdentity = "secret:" + sharedSecretDigest(secret)
    }

    /// The secret as the `client_secret` form field (post) or as the HTTP Basic password (basic), marked sensitive.
    public func authentication(for context: CredentialContext) async throws -> ClientAuthentication {
        let usePost = method.map { $0 == .post } ?? context.endpoint.isMicrosoft
        if usePost {
            return ClientAuthentication(formFields: [("client_secret", secret)], sensitiveValues: [secret])
        }
        return ClientAuthentication(basic: (context.clientID, secret), sensitiveValues: [secret])
    }

    /// `ClientSecretCredential(…)` with its ``identity``; never the secret.
    public var description: String { "ClientSecretCredential(\(identity))" }
}

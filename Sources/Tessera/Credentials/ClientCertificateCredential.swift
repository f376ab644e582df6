import Foundation
import TesseraJOSE

/// A certificate credential: signs a fresh client assertion (RFC 7523) for every token request.
///
/// Defaults follow Entra's current form: `PS256` with `x5t#S256`. ``AssertionOptions/algorithm`` `.rs256` sends the
/// older `x5t` (SHA-1) form that some servers and azure-identity use.
public struct ClientCertificateCredential: ClientCredential, CustomStringConvertible {
    /// Shape of the signed assertion.
    public struct AssertionOptions: Sendable {
        /// Which `aud` the assertion names.
        public struct Audience: Sendable, Hashable {
            enum Backing: Sendable, Hashable { case tokenEndpoint, issuer }
            let backing: Backing
            /// The token endpoint URL the request is POSTed to (RFC 7523, Entra, Glewlwyd). The default.
            public static let tokenEndpoint = Audience(backing: .tokenEndpoint)
            /// draft-ietf-oauth-rfc7523bis: the issuer, with `typ: client-authentication+jwt`. Opt-in.
            public static let issuer = Audience(backing: .issuer)
        }

        /// `PS256` (default, with `x5t#S256`) or `RS256` (with `x5t`).
        public var algorithm: JWSAlgorithm = .ps256
        /// Send the certificate chain as `x5c` (for subject-name/issuer authentication). Default `false`.
        public var sendCertificateChain = false
        /// The audience form. Default ``Audience/tokenEndpoint``.
        public var audience: Audience = .tokenEndpoint
        /// Assertion lifetime, at most 10 minutes. Default 10 minutes.
        public var lifetime: Duration = .seconds(600)
        /// Extra claims signed into the assertion (MSAL's "client claims"); registered claims cannot be overridden.
        public var extraClaims: [String: JSONValue] = [:]

        /// The defaults: `PS256`, no `x5c`, the token endpoint as audience, 10 minutes, no extra claims.
        public init() {}
    }

    /// The certificate and key.
    public let certificate: SigningCertificate
    /// The shape of the assertions it signs.
    public let options: AssertionOptions
    /// `certificate:` and the certificate's `x5t#S256` thumbprint.
    public let identity: String

    /// A credential that signs with `certificate`'s key, in the shape of `options` (default: Entra's current form).
    public init(certificate: SigningCertificate, options: AssertionOptions = AssertionOptions()) {
        self.certificate = certificate
        self.options = options
        self.identity = "certificate:" + certificate.thumbprint.x5tS256
    }

    /// Loads a PEM (combined, or with `keyPath`) or PFX file.
    public static func load(
        path: String,
        keyPath: String? = nil,
        password: String? = nil,
        options: AssertionOptions = AssertionOptions()
    ) throws(IdentityError) -> ClientCertificateCredential {
        do {
            return ClientCertificateCredential(
                certificate: try SigningCertificate.load(path: path, keyPath: keyPath, password: password),
                options: options
            )
        } catch {
            throw IdentityError(
                .credentialUnavailable,
                "the certificate credential could not be loaded: \(error.message)"
            )
        }
    }

    /// A freshly signed assertion (``makeAssertion(for:)``) as `client_assertion` (jwt-bearer), marked sensitive.
    public func authentication(for context: CredentialContext) async throws -> ClientAuthentication {
        let assertion = try await makeAssertion(for: context)
        return ClientAuthentication(
            formFields: [
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ("client_assertion", assertion),
            ],
            sensitiveValues: [assertion]
        )
    }

    /// Signs one assertion for `context`: integer times, a fresh `jti`, exactly one `aud`.
    public func makeAssertion(for context: CredentialContext) async throws -> String {
        let now = Int64(context.now.timeIntervalSince1970.rounded(.down))
        let lifetime = min(max(options.lifetime.components.seconds, 1), 600)
        var claims = options.extraClaims
        let registered: [String: JSONValue] = [
            "aud": .string(options.audience == .issuer ? context.endpoint.issuer : context.endpoint.url),
            "iss": .string(context.clientID),
            "sub": .string(context.clientID),
            "jti": .string(UUID().uuidString.lowercased()),
            "nbf": .number(Double(now)),
            "iat": .number(Double(now)),
            "exp": .number(Double(now + lifetime)),
        ]
        claims.merge(registered) { _, registered in registered }

        var header = JWSHeader()
        header.type = options.audience == .issuer ? "client-authentication+jwt" : "JWT"
        if options.algorithm == .rs256 {
            header.x5t = certificate.thumbprint.x5t
        } else {
            header.x5tS256 = certificate.thumbprint.x5tS256
        }
        if options.sendCertificateChain { header.x5cPEM = try certificate.chainPEM() }
        let signer = try await JWSSigner(privateKey: certificate.privateKey, algorithm: options.algorithm)
        return try await signer.sign(claims: claims, header: header)
    }

    /// `ClientCertificateCredential(…)` with the algorithm and the certificate's SHA-1 thumbprint; never the key.
    public var description: String {
        "ClientCertificateCredential(\(options.algorithm), sha1: \(certificate.thumbprint.sha1Hex))"
    }
}

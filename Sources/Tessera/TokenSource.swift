import Foundation
import TesseraJOSE

/// Anything that hands out access tokens: the identity provider itself, a cache in front of it, or your own.
///
/// One method, composable wrappers, like `golang.org/x/oauth2`'s `TokenSource`: credential → request → cache → caller.
public protocol TokenSource: Sendable {
    func token(for request: TokenRequest) async throws -> AccessToken
}

extension TokenSource {
    /// A token for one scope (`{resource}/.default` for Microsoft), optionally for another tenant.
    public func token(scope: String, tenant: String? = nil) async throws -> AccessToken {
        try await token(for: TokenRequest(scope: scope, tenant: tenant))
    }
}

/// What token is wanted.
public struct TokenRequest: Sendable, Hashable {
    /// The scopes; for Microsoft exactly one `{resource}/.default`.
    public var scopes: [String]
    /// The tenant for this request, overriding the authority's (one multi-tenant app object serving many tenants).
    public var tenant: String?
    /// A claims request (JSON), e.g. a claims challenge from an API. Sent as the `claims` form field.
    public var claims: String?
    /// Skip any cache and ask the identity provider.
    public var forceRefresh: Bool

    public init(scopes: [String], tenant: String? = nil, claims: String? = nil, forceRefresh: Bool = false) {
        self.scopes = scopes
        self.tenant = tenant
        self.claims = claims
        self.forceRefresh = forceRefresh
    }

    public init(scope: String, tenant: String? = nil, claims: String? = nil, forceRefresh: Bool = false) {
        self.init(scopes: [scope], tenant: tenant, claims: claims, forceRefresh: forceRefresh)
    }
}

/// An access token and what is known about it. `description` never shows the token.
public struct AccessToken: Sendable, CustomStringConvertible {
    /// Where a token came from.
    public struct Source: Sendable, Hashable, CustomStringConvertible {
        let name: String
        public static let identityProvider = Source(name: "identityProvider")
        public static let cache = Source(name: "cache")
        public var description: String { name }
    }

    /// The bearer token.
    public let token: String
    /// `Bearer`.
    public let tokenType: String
    /// When the token expires (from `expires_in`).
    public let expiresOn: Date
    /// When it will be refreshed: `refresh_in` from the server; from a ``CachingTokenSource``, its refresh point.
    public var refreshOn: Date?
    /// Entra's `ext_expires_in`, when sent.
    public let extendedExpiresOn: Date?
    /// The lifetime the server granted, in seconds.
    public let lifetime: Int64
    /// The tenant and scopes it was issued for.
    public let tenant: String?
    public let scopes: [String]
    /// Cache or identity provider.
    public var source: Source
    /// The `client-request-id` of the request that got it.
    public let correlationID: String?
    /// Time spent on the HTTP exchange with the identity provider (zero for a cache hit).
    public var httpDuration: Duration
    /// Time spent in the cache.
    public var cacheDuration: Duration

    public init(
        token: String, tokenType: String = "Bearer", expiresOn: Date, refreshOn: Date? = nil, extendedExpiresOn: Date? = nil,
        lifetime: Int64, tenant: String? = nil, scopes: [String], source: Source = .identityProvider,
        correlationID: String? = nil, httpDuration: Duration = .zero, cacheDuration: Duration = .zero
    ) {
        self.token = token
        self.tokenType = tokenType
        self.expiresOn = expiresOn
        self.refreshOn = refreshOn
        self.extendedExpiresOn = extendedExpiresOn
        self.lifetime = lifetime
        self.tenant = tenant
        self.scopes = scopes
        self.source = source
        self.correlationID = correlationID
        self.httpDuration = httpDuration
        self.cacheDuration = cacheDuration
    }

    public var description: String {
        "AccessToken(\(tokenType), expiresOn: \(expiresOn), source: \(source), fingerprint: \(fingerprint))"
    }

    /// A short SHA-256 fingerprint of the token, safe to log.
    public var fingerprint: String { secretFingerprint(token) }
}

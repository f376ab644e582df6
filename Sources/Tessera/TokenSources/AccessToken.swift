import Foundation
import TesseraJOSE

/// An access token and what is known about it. `description` never shows the token.
public struct AccessToken: Sendable, CustomStringConvertible {
    /// Where a token came from.
    public struct Source: Sendable, Hashable, CustomStringConvertible {
        let name: String
        /// Fetched from the identity provider, not from a cache.
        public static let identityProvider = Source(name: "identityProvider")
        /// Served from a ``CachingTokenSource`` (a hit, or a cached token served through an outage).
        public static let cache = Source(name: "cache")
        /// Taken from the fleet's ``SharedTokenCache`` on a miss of this process's cache (another replica fetched it).
        public static let sharedCache = Source(name: "sharedCache")
        /// The source's name: `identityProvider`, `cache` or `sharedCache`.
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
    /// The tenant it was issued for, when known.
    public let tenant: String?
    /// The scopes it was requested for.
    public let scopes: [String]
    /// Cache or identity provider.
    public var source: Source
    /// The `client-request-id` of the request that got it.
    public let correlationID: String?
    /// Time spent on the HTTP exchange with the identity provider (zero for a cache hit).
    public var httpDuration: Duration
    /// Time spent in the cache waiting for the identity provider's answer (a miss); zero for a hit, which is not timed.
    public var cacheDuration: Duration

    /// A token and what is known about it; only the token, expiry, lifetime and scopes are required.
    public init(
        token: String,
        tokenType: String = "Bearer",
        expiresOn: Date,
        refreshOn: Date? = nil,
        extendedExpiresOn: Date? = nil,
        lifetime: Int64,
        tenant: String? = nil,
        scopes: [String],
        source: Source = .identityProvider,
        correlationID: String? = nil,
        httpDuration: Duration = .zero,
        cacheDuration: Duration = .zero
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

    /// The token type, expiry, source and ``fingerprint``; never the token.
    public var description: String {
        "AccessToken(\(tokenType), expiresOn: \(expiresOn), source: \(source), fingerprint: \(fingerprint))"
    }

    /// A short SHA-256 fingerprint of the token, safe to log.
    public var fingerprint: String { secretFingerprint(token) }
}

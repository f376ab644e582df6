import Foundation
import TesseraJOSE

/// An access token and what is known about it. `description` never shows the token.
///
/// What the server said is held in one immutable shared box, so a copy — what every cache hit hands out — is a single
/// reference-count increment, however many fields there are.
public struct AccessToken: Sendable, CustomStringConvertible {
    /// Where a token came from.
    public struct Source: Sendable, Hashable, CustomStringConvertible {
        let code: UInt8
        /// Fetched from the identity provider, not from a cache.
        public static let identityProvider = Source(code: 0)
        /// Served from a ``CachingTokenSource`` (a hit, or a cached token served through an outage).
        public static let cache = Source(code: 1)
        /// Taken from the fleet's ``SharedTokenCache`` on a miss of this process's cache (another replica fetched it).
        public static let sharedCache = Source(code: 2)
        /// The source's name: `identityProvider`, `cache` or `sharedCache`.
        public var description: String {
            switch code {
            case 1: "cache"
            case 2: "sharedCache"
            default: "identityProvider"
            }
        }
    }

    /// The server's answer: immutable, shared by every copy.
    final class Issued: Sendable {
        let token: String
        let tokenType: String
        let expiresOn: Date
        let extendedExpiresOn: Date?
        let lifetime: Int64
        let tenant: String?
        let scopes: [String]
        let correlationID: String?

        init(
            token: String,
            tokenType: String,
            expiresOn: Date,
            extendedExpiresOn: Date?,
            lifetime: Int64,
            tenant: String?,
            scopes: [String],
            correlationID: String?
        ) {
            self.token = token
            self.tokenType = tokenType
            self.expiresOn = expiresOn
            self.extendedExpiresOn = extendedExpiresOn
            self.lifetime = lifetime
            self.tenant = tenant
            self.scopes = scopes
            self.correlationID = correlationID
        }
    }

    let issued: Issued

    /// The bearer token.
    public var token: String { issued.token }
    /// `Bearer`.
    public var tokenType: String { issued.tokenType }
    /// When the token expires (from `expires_in`).
    public var expiresOn: Date { issued.expiresOn }
    /// When it will be refreshed: `refresh_in` from the server; from a ``CachingTokenSource``, its refresh point.
    public var refreshOn: Date?
    /// Entra's `ext_expires_in`, when sent.
    public var extendedExpiresOn: Date? { issued.extendedExpiresOn }
    /// The lifetime the server granted, in seconds.
    public var lifetime: Int64 { issued.lifetime }
    /// The tenant it was issued for, when known.
    public var tenant: String? { issued.tenant }
    /// The scopes it was requested for.
    public var scopes: [String] { issued.scopes }
    /// Cache or identity provider.
    public var source: Source
    /// The `client-request-id` of the request that got it.
    public var correlationID: String? { issued.correlationID }
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
        self.issued = Issued(
            token: token,
            tokenType: tokenType,
            expiresOn: expiresOn,
            extendedExpiresOn: extendedExpiresOn,
            lifetime: lifetime,
            tenant: tenant,
            scopes: scopes,
            correlationID: correlationID
        )
        self.refreshOn = refreshOn
        self.source = source
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

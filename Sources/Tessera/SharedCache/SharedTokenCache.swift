import Foundation

/// A second-level token cache shared by the replicas of a fleet, behind each replica's in-memory
/// ``CachingTokenSource`` (the first level). `TesseraPostgres`'s `PostgresTokenCache` implements it on PostgreSQL.
///
/// The protocol ``CachingTokenSource`` follows: an L1 hit never touches L2; an L1 miss reads L2; a token request happens
/// only when L2 has no fresh token and this replica holds the key's **lease** (single flight across the fleet, by lease,
/// never by a lock held across the HTTP call). The holder publishes with a write conditional on its lease and on a newer
/// expiry; the others wait for a change (or poll) until the lease expires, then claim it themselves. A failed request
/// is shared (`Retry-After`, the identical-4xx memory, a short back-off after a transient failure), so every replica
/// fails fast — or serves its cached token — without a request. Every call is bounded by the cache policy's
/// ``TokenCachePolicy/sharedCacheReadTimeout`` or ``TokenCachePolicy/sharedCacheWriteTimeout``; a failing or slow L2
/// is a miss, never an outage.
///
/// Keys are ``CachingTokenSource/sharedPartition`` (authority URL, client ID, the credential's
/// ``ClientCredential/sharedCacheIdentity``), tenant, scopes and token type: an implementation must not store or log
/// them as they are — it stores a hash keyed by the deployment's key (the credential part is a digest of the secret,
/// the same in every replica).
public protocol SharedTokenCache: Sendable {
    /// The shared entry for `key`, or `nil` when there is none.
    func read(_ key: String) async throws -> SharedTokenCacheEntry?

    /// Claims the right to ask the identity provider for `key` for `leaseDuration` (on the cache's clock). Succeeds
    /// only when no other lease is live, no shared failure is in force, and the entry has no token, a token that
    /// expires before `staleBefore`, or a token past its refresh point — or `replacingUnreadable` is set (the entry's
    /// token could not be read here). `nil`: someone else holds it, or the entry is fresh.
    func claim(
        _ key: String,
        leaseDuration: Duration,
        staleBefore: Date,
        replacingUnreadable: Bool
    ) async throws
        -> SharedTokenCacheLease?

    /// Publishes `token`, to be refreshed from `refreshAt`, under `lease`, and tells the waiters. `false` (nothing
    /// written) when the lease was lost or the entry holds a token that lives longer — unless `replacingUnreadable`.
    func publish(
        _ token: AccessToken,
        refreshAt: Date,
        for key: String,
        lease: SharedTokenCacheLease,
        replacingUnreadable: Bool
    ) async throws -> Bool

    /// Gives `lease` back after a failed request; `failure`, when given, is shared until it ends. Tells the waiters.
    func release(_ key: String, lease: SharedTokenCacheLease, failure: SharedTokenCacheFailure?) async throws

    /// Returns when `key` may have changed (a notification) or once `timeout` has passed, whichever is first.
    func waitForChange(of key: String, timeout: Duration) async throws

    /// The shortest read timeout this cache can honour, whatever ``TokenCachePolicy/sharedCacheReadTimeout`` says
    /// (a file cache on a loaded host needs more than a database round trip). Default zero.
    var minimumReadTimeout: Duration { get }
}

extension SharedTokenCache {
    /// No floor: the policy's read timeout applies.
    public var minimumReadTimeout: Duration { .zero }
}

/// What a ``SharedTokenCache`` holds for one key.
public struct SharedTokenCacheEntry: Sendable {
    /// The token, when there is one that could be read (possibly from a row sealed under an earlier key).
    public var token: AccessToken?
    /// When the token is to be refreshed (the same point for every replica: jittered per entry, not per replica).
    public var refreshAt: Date?
    /// The entry to claim holds a token that could not be read here (tampered, swapped, a newer format): a claim must
    /// replace it.
    public var unreadable: Bool
    /// How long another replica's live lease has left, on the cache's clock; `nil` when none is live.
    public var leaseRemaining: Duration?
    /// A failure shared by the replica that got it, while it is in force.
    public var failure: SharedTokenCacheFailure?

    /// An entry; by default empty.
    public init(
        token: AccessToken? = nil,
        refreshAt: Date? = nil,
        unreadable: Bool = false,
        leaseRemaining: Duration? = nil,
        failure: SharedTokenCacheFailure? = nil
    ) {
        self.token = token
        self.refreshAt = refreshAt
        self.unreadable = unreadable
        self.leaseRemaining = leaseRemaining
        self.failure = failure
    }
}

extension SharedTokenCacheEntry {
    /// The entry a read answers: `current` (the entry under the first key), with its token and refresh point replaced
    /// by `earlier`'s — one sealed under an earlier key during a rotation — when that one lives longer. `unreadable`
    /// and the lease stay the current entry's (they say what a claim must replace).
    package static func serving(
        _ current: SharedTokenCacheEntry?,
        orEarlier earlier: (token: AccessToken, refreshAt: Date?)?
    ) -> SharedTokenCacheEntry? {
        guard let earlier, earlier.token.expiresOn > (current?.token?.expiresOn ?? .distantPast) else { return current }
        var entry = current ?? SharedTokenCacheEntry()
        entry.token = earlier.token
        entry.refreshAt = earlier.refreshAt
        return entry
    }
}

/// A claim on a key: its generation is the fencing token a publish is conditional on.
public struct SharedTokenCacheLease: Sendable, Hashable {
    /// Increases with every claim of the key.
    public var generation: Int64

    /// The lease of this generation.
    public init(generation: Int64) { self.generation = generation }
}

/// A token-request failure one replica shares with the fleet: until it ends, identical requests fail fast with it.
/// It holds what an ``IdentityError`` says (code, message, AADSTS code, status) — never a secret.
public struct SharedTokenCacheFailure: Sendable, Equatable {
    /// How long it stays in force (when read: what is left of it).
    public var remaining: Duration
    /// ``IdentityError/Code``'s name, e.g. `throttled`.
    public var code: String
    /// The error's message.
    public var message: String
    /// The HTTP status, when there was one.
    public var httpStatus: Int?
    /// The AADSTS code, when Entra sent one.
    public var aadstsCode: Int?

    /// A failure with these facts.
    public init(remaining: Duration, code: String, message: String, httpStatus: Int? = nil, aadstsCode: Int? = nil) {
        self.remaining = remaining
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.aadstsCode = aadstsCode
    }

    /// `error`, shared for `duration`.
    public init(_ error: IdentityError, for duration: Duration) {
        self.init(
            remaining: duration,
            code: error.code.description,
            message: error.message,
            httpStatus: error.httpStatus,
            aadstsCode: error.aadstsCode
        )
    }

    /// The error a replica fails fast with while this is in force (`Retry-After`: what is left).
    public var error: IdentityError {
        let code = IdentityError.Code.Backing(rawValue: code).map(IdentityError.Code.init(backing:)) ?? .requestRejected
        return IdentityError(
            code,
            message + " (shared by another replica through the token cache; in force for \(remaining) more)",
            aadstsCode: aadstsCode,
            httpStatus: httpStatus,
            retryAfter: code == .throttled ? remaining : nil
        )
    }
}

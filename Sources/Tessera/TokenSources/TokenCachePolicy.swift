import Foundation

/// How a ``CachingTokenSource`` decides when to refresh, retry and back off. Every default is documented; tests
/// inject the clock, sleep and randomness.
public struct TokenCachePolicy: Sendable {
    /// Largest number of cached tokens; the least recently used is evicted beyond it. Default 100,000.
    public var capacity = 100_000
    /// A token is not handed out with less than this left (except while the identity provider fails). Default 5 min.
    public var expiryBuffer: Duration = .seconds(300)
    /// While the identity provider fails, a cached token is served until this long before its `exp`. Default 1 min.
    public var outageMargin: Duration = .seconds(60)
    /// Without `refresh_in`, refresh starts after this fraction of the lifetime, jittered uniformly. Default
    /// 0.35–0.45: a 3599-s token has more than 30 minutes left when refreshing starts.
    public var refreshFraction: ClosedRange<Double> = 0.35...0.45
    /// Foreground (a caller waits, nothing usable cached): one retry of a 5xx or timeout after this delay, as MSAL.
    /// Default 1 s.
    public var foregroundRetryDelay: Duration = .seconds(1)
    /// Background refresh back-off: full jitter between `minimumBackoff` and min(cap, minimum × 2^failures).
    /// Default 5 s … 5 min.
    public var minimumBackoff: Duration = .seconds(5)
    /// The back-off's cap (a longer `Retry-After` is still honoured); also the least time between refresh-failure
    /// warnings. Default 5 min.
    public var maximumBackoff: Duration = .seconds(300)
    /// How long a 429 without `Retry-After` blocks identical requests. Default 5 s (MSAL Python's).
    public var defaultThrottle: Duration = .seconds(5)
    /// How long an identical request that got a 4xx (not 429) fails fast from memory. Default 15 s (≤ 60 s).
    public var rejectionMemory: Duration = .seconds(15)
    /// Bound on the throttle memory's entries. Default 10,000.
    public var throttleMemoryCapacity = 10_000

    /// The longest one upstream request may take, its own fallbacks (region, clock, next credential) included, before
    /// it is cancelled and fails with ``IdentityError/Code/timeout``: no shared fetch (even one nobody waits for any
    /// more) and no background refresh runs past it. Default `nil`: 60 s, or twice the ``HTTPConfiguration``'s
    /// `requestTimeout` for a ``ConfidentialClient``.
    public var requestTimeout: Duration?
    /// How the cache waits for ``requestTimeout`` to pass (tests inject one). Default: `Task.sleep`.
    public var timeoutSleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }

    /// How long an L1 miss waits for the shared (second-level) cache to answer a read before it goes on without it.
    /// Default 50 ms: a slow or unreachable L2 costs a miss that long, never an outage.
    public var sharedCacheReadTimeout: Duration = .milliseconds(50)
    /// How long a claim, publish or release on the shared cache may take before the cache goes on without it.
    /// Default 2 s.
    public var sharedCacheWriteTimeout: Duration = .seconds(2)
    /// How often a replica waiting on another's lease re-reads the shared entry (besides its notifications), and how
    /// long a replica that lost a refresh claim waits before it looks again. Default 250 ms.
    public var sharedCachePollInterval: Duration = .milliseconds(250)
    /// The least time between two warnings that the shared cache is not answering. Default 60 s.
    public var sharedCacheWarningInterval: Duration = .seconds(60)

    /// The wall clock. Default: the system clock read at its tick resolution (Linux `CLOCK_REALTIME_COARSE`: at most
    /// a few milliseconds behind, a fifth of the cost of `Date()` — on a hit, the clock read is a quarter of the
    /// work); elsewhere `Date()`.
    public var now: @Sendable () -> Date = { CoarseWallClock.now() }
    /// How the cache waits before a foreground retry. Default: `Task.sleep`.
    public var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    /// A uniform random number in 0..<1 (jitter). Default: the system generator.
    public var random: @Sendable () -> Double = { Double.random(in: 0..<1) }

    /// A policy with every default.
    public init() {}

    /// The expiry buffer for a token of this lifetime: ``expiryBuffer``, but never more than half the lifetime (a
    /// 5-minute token would otherwise never be served from the cache).
    func buffer(forLifetime lifetime: Int64) -> Duration {
        min(expiryBuffer, .seconds(max(lifetime, 0) / 2))
    }

    /// The failure policy with this cache's delays and memories.
    var failurePolicy: FailurePolicy {
        var policy = FailurePolicy()
        policy.foregroundRetryDelay = foregroundRetryDelay
        policy.defaultThrottle = defaultThrottle
        policy.rejectionMemory = rejectionMemory
        return policy
    }

    func refreshDate(for token: AccessToken, issuedAt: Date) -> Date {
        if let refreshOn = token.refreshOn { return refreshOn }
        let fraction = refreshFraction.lowerBound + (refreshFraction.upperBound - refreshFraction.lowerBound) * random()
        return issuedAt.addingTimeInterval(Double(token.lifetime) * fraction)
    }

    func backoff(failures: Int, retryAfter: Duration?) -> Duration {
        let exponent = min(failures, 16)
        let ceiling = min(maximumBackoff, minimumBackoff * (1 << exponent))
        let jittered = minimumBackoff + (ceiling - minimumBackoff) * random()
        if let retryAfter, retryAfter > jittered { return min(retryAfter, RetryAfter.cap) }
        return jittered
    }
}

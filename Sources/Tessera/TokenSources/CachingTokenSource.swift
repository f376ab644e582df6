import CoreMetrics
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
@_spi(TesseraInternal) import TesseraJOSE

/// A token cache in front of another ``TokenSource``: O(1) hits under a `Mutex` (no actor hop), bounded LRU,
/// single-flight misses, proactive background refresh, serve-through-outage, foreground retry, throttle memory.
///
/// - A hit returns the cached token while it has more than ``TokenCachePolicy/expiryBuffer`` left.
/// - While ``run()`` runs (a `Service`: ``ConfidentialClient`` runs it), from the refresh point (`refresh_in`, else
///   ~40% of the lifetime, jittered) the first caller starts one background refresh and keeps the current token; a
///   failed refresh backs off (≥ 5 s, full jitter, `Retry-After` honoured) and never reaches a caller while a token is
///   usable. Without `run()` tokens are still served; they are renewed in the foreground once inside the buffer.
/// - While the identity provider fails, the token is served until ``TokenCachePolicy/outageMargin`` before `exp`.
/// - Any number of concurrent callers on a missing key cause one request, run as a task the cache owns: a cancelled
///   caller leaves at once with `CancellationError`, the others still get the token. No request runs past
///   ``TokenCachePolicy/requestTimeout``; ``shutdown()`` cancels and awaits what is left.
/// - 429 / `Retry-After` and identical 4xx answers are remembered, so identical requests fail fast.
/// - Every failure is decided by one ``FailurePolicy``.
public final class CachingTokenSource: TokenSource, Service {
    /// A tenant and a normalized scope set (``CacheKeyParts``), hashed by their precomputed hash values.
    struct Key: Hashable, Sendable {
        let tenant: String
        let scopes: String
        let tenantHash: Int
        let scopesHash: Int

        init(tenant: String, scopes: String) {
            self.init(tenant: tenant, tenantHash: tenant.hashValue, scopes: scopes, scopesHash: scopes.hashValue)
        }

        init(tenant: String, tenantHash: Int, scopes: String, scopesHash: Int) {
            self.tenant = tenant
            self.scopes = scopes
            self.tenantHash = tenantHash
            self.scopesHash = scopesHash
        }

        static func == (left: Key, right: Key) -> Bool {
            left.tenantHash == right.tenantHash && left.scopesHash == right.scopesHash && left.tenant == right.tenant
                && left.scopes == right.scopes
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(tenantHash)
            hasher.combine(scopesHash)
        }

        /// What a `Dictionary` asks for in place of `hash(into:)`: the two parts are already this process's seeded
        /// SipHash of the strings, so they are mixed with the table's seed by one multiply-xorshift, not run through
        /// SipHash again (a hit's largest single cost before). Equal keys have equal parts, so equal raw hashes.
        func _rawHashValue(seed: Int) -> Int {
            var mixed = UInt64(truncatingIfNeeded: tenantHash) &* 0x9E37_79B9_7F4A_7C15
            mixed ^= UInt64(truncatingIfNeeded: scopesHash) ^ UInt64(truncatingIfNeeded: seed)
            mixed = (mixed ^ (mixed >> 31)) &* 0xBF58_476D_1CE4_E5B9
            return Int(truncatingIfNeeded: mixed ^ (mixed >> 29))
        }

        /// This key's tenant with `parts`' scopes.
        func with(scopes parts: CacheKeyParts) -> Key {
            Key(tenant: tenant, tenantHash: tenantHash, scopes: parts.scopes, scopesHash: parts.scopesHash)
        }
    }

    struct Entry {
        /// The token as a hit hands it out (made once, here): source ``AccessToken/Source/cache``, `refreshOn` the
        /// refresh point, no HTTP or cache time.
        let token: AccessToken
        let refreshAt: Date
        /// Served until then: the expiry less the expiry buffer.
        let usableUntil: Date
        var refreshing = false
        var failures = 0
        var nextAttemptAt: Date = .distantPast
        var lastWarning: Date = .distantPast

        /// Whether a hit at `now` starts the background refresh: past the refresh point and the back-off, none
        /// running, and ``run()`` hosting it.
        func refreshDue(at now: Date, hosting: Bool) -> Bool {
            hosting && now >= refreshAt && !refreshing && now >= nextAttemptAt
        }

        init(token: AccessToken, refreshAt: Date, policy: TokenCachePolicy) {
            var served = token
            served.source = .cache
            served.refreshOn = refreshAt
            served.httpDuration = .zero
            served.cacheDuration = .zero
            self.token = served
            self.refreshAt = refreshAt
            usableUntil = token.expiresOn.adding(.zero - policy.buffer(forLifetime: token.lifetime))
        }
    }

    struct Throttle {
        let until: Date
        let error: IdentityError
    }

    /// Whether ``run()`` hosts background refreshes.
    enum Host {
        case idle
        case running(AsyncStream<Refresh>.Continuation)
        /// `hosted`: ``run()`` ran, so ``hostDrained`` will be (or was) finished.
        case stopped(hosted: Bool)
    }

    struct Refresh: Sendable {
        let key: Key
        let request: TokenRequest
    }

    struct State {
        var entries: LRUMap<Key, Entry>
        var inFlight: [Key: SharedResult<AccessToken>] = [:]
        var throttles: LRUMap<Key, Throttle>
        var host = Host.idle {
            didSet {
                if case .running = host { hosting = true } else { hosting = false }
            }
        }
        /// Whether ``host`` is `.running`, kept beside it: a hit reads a flag, not a copy of the enum.
        private(set) var hosting = false

        /// Idle (not hosting), so ``hosting`` starts true to ``host``: `didSet` does not run in an initializer.
        init(entries: LRUMap<Key, Entry>, throttles: LRUMap<Key, Throttle>) {
            self.entries = entries
            self.throttles = throttles
        }
    }

    enum Decision {
        case hit(AccessToken, refresh: Bool)
        case wait(SharedResult<AccessToken>, start: Bool)
        case fail(IdentityError)
    }

    /// The source asked on a miss or a refresh.
    public let upstream: any TokenSource
    /// When to refresh, retry and back off.
    public let policy: TokenCachePolicy
    /// The tenant of requests that name none.
    public let defaultTenant: String
    /// The ``defaultTenant`` as keys spell it (lower-cased, hashed once).
    let defaultTenantKey: Key
    /// What every key of this cache shares: authority URL, client ID and credential identity (a secret appears as
    /// this process's fingerprint). In memory one cache serves one client, so entries are keyed by tenant and scope
    /// set within it; ``cacheKey(for:)`` spells the whole key.
    public let partition: String
    /// The ``partition`` as every process of the deployment spells it (the credential's
    /// ``ClientCredential/sharedCacheIdentity``): the start of each key given to the ``sharedCache``. Never log it.
    public let sharedPartition: String
    let state: Mutex<State>
    let refreshesRunning = Atomic<Int>(0)
    /// The shared fetches: cancelled and awaited by ``shutdown()``.
    let tasks = OwnedTasks()
    /// Finished when ``run()`` has ended and its refreshes with it.
    let hostDrained = SharedResult<Void>()
    let logger: Logger
    let metrics: CacheMetrics
    /// The second level, shared by the fleet's replicas; `nil`: this process's memory only.
    public let sharedCache: (any SharedTokenCache)?
    /// When the shared cache's failure was last warned about.
    let sharedCacheWarning = Mutex(Date.distantPast)
    /// Whether the shared cache has answered once (before that, reads get the longer first-contact timeout).
    let sharedCacheAnswered = Atomic<Bool>(false)
    /// Whether an unreadable shared entry was logged (once per cache).
    let unreadableLogged = Atomic<Bool>(false)

    /// A cache in front of `upstream` (a `nil` `defaultTenant` is kept as an empty tenant), with `sharedCache` as its
    /// second level when given (its keys start with `sharedPartition`, by default the `partition`). Logs and metrics
    /// go nowhere by default.
    public init(
        upstream: any TokenSource,
        defaultTenant: String?,
        partition: String = "",
        sharedPartition: String? = nil,
        policy: TokenCachePolicy = TokenCachePolicy(),
        sharedCache: (any SharedTokenCache)? = nil,
        logger: Logger = Logger(label: "tessera.cache", factory: { _ in SwiftLogNoOpLogHandler() }),
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.upstream = upstream
        self.policy = policy
        self.defaultTenant = defaultTenant ?? ""
        self.defaultTenantKey = Key(tenant: CacheKeyParts.lowercased(defaultTenant ?? ""), scopes: "")
        self.partition = partition
        self.sharedPartition = sharedPartition ?? partition
        self.sharedCache = sharedCache
        self.state = Mutex(
            State(
                entries: LRUMap(capacity: policy.capacity),
                throttles: LRUMap(capacity: policy.throttleMemoryCapacity)
            )
        )
        self.logger = logger
        self.metrics = CacheMetrics(factory: metricsFactory)
    }

    /// Number of cached tokens.
    public var count: Int { state.withLock { $0.entries.count } }
    /// Background refreshes running now.
    public var activeRefreshes: Int { refreshesRunning.load(ordering: .acquiring) }
    /// Number of tokens evicted by the LRU bound.
    public var evictions: Int { state.withLock { $0.entries.evictions } }

    func key(for request: TokenRequest) -> Key {
        let parts = request.cacheKeyParts
        guard let tenant = parts.tenant else { return defaultTenantKey.with(scopes: parts) }
        return Key(tenant: tenant, tenantHash: parts.tenantHash, scopes: parts.scopes, scopesHash: parts.scopesHash)
    }

    /// The full cache key of a request: partition (host, client, credential), tenant and normalized scopes.
    public func cacheKey(for request: TokenRequest) -> String {
        let key = key(for: request)
        return "\(partition)|\(key.tenant)|\(key.scopes)"
    }

    /// The cached token while usable (starting a background refresh from its refresh point), else the result of one
    /// shared upstream request. A claims request or ``TokenRequest/forceRefresh`` bypasses the cache and replaces the
    /// entry.
    ///
    /// A hit is one clock read, one look-up under the lock and a copy of the stored token (made in its served form
    /// when stored); it counts a hit and logs nothing, allocates nothing and is not timed (its `cacheDuration` is zero).
    /// It is inlined into the caller and synchronous: no task frame, no executor hop.
    @inlinable
    public func token(for request: TokenRequest) async throws -> AccessToken {
        if let token = servedFromMemory(request) { return token }
        return try await resolve(request)
    }

    /// The hit of ``token(for:)``: the entry's token while usable and short of a due refresh, else `nil` (the rest —
    /// a due refresh, an outage, a miss — is ``resolve(_:)``'s, which looks again).
    @usableFromInline
    func servedFromMemory(_ request: TokenRequest) -> AccessToken? {
        guard request.claims == nil, !request.forceRefresh else { return nil }
        let key = key(for: request)
        let now = policy.now()
        let token = state.withLock { state in
            let hosting = state.hosting
            return state.entries.access(key) { entry -> AccessToken? in
                now < entry.usableUntil && !entry.refreshDue(at: now, hosting: hosting) ? entry.token : nil
            }
        }
        guard let token, let token else { return nil }
        metrics.hits.increment()
        return token
    }

    /// ``token(for:)`` past the hit: a due background refresh, an outage, throttle memory, a shared miss, a bypass.
    @usableFromInline
    func resolve(_ request: TokenRequest) async throws -> AccessToken {
        if request.claims != nil || request.forceRefresh { return try await bypassingCache(request) }
        let key = key(for: request)
        let now = policy.now()
        let decision: Decision = state.withLock { state in
            let hosting = state.hosting
            let served = state.entries.access(key) { entry -> Decision? in
                if now < entry.usableUntil {
                    if entry.refreshDue(at: now, hosting: hosting) {
                        entry.refreshing = true
                        return .hit(entry.token, refresh: true)
                    }
                    return .hit(entry.token, refresh: false)
                }
                if entry.failures > 0, now < entry.token.expiresOn.adding(.zero - policy.outageMargin) {
                    // Outage: serve, and keep probing at the back-off pace — in the background while run() hosts
                    // refreshes, else by one shared foreground fetch that serves this token if it fails again.
                    let probe = !entry.refreshing && now >= entry.nextAttemptAt
                    if hosting || !probe {
                        if probe { entry.refreshing = true }
                        return .hit(entry.token, refresh: probe)
                    }
                }
                return nil
            }
            if let served, let decision = served { return decision }
            if let throttle = state.throttles.peek(key), now < throttle.until { return .fail(throttle.error) }
            if let shared = state.inFlight[key] { return .wait(shared, start: false) }
            let shared = SharedResult<AccessToken>()
            state.inFlight[key] = shared
            return .wait(shared, start: true)
        }
        switch decision {
        case .hit(let token, let refresh):
            metrics.hits.increment()
            if refresh {
                logger.debug(
                    "refresh point reached: refreshing in the background",
                    metadata: ["tenant": "\(key.tenant)"]
                )
                startBackgroundRefresh(key: key, request: request)
            }
            return token
        case .fail(let error):
            metrics.throttled.increment()
            logger.debug(
                "identical request throttled: failing fast",
                metadata: ["tenant": "\(key.tenant)", "error": "\(error.code)"]
            )
            throw error
        case .wait(let shared, let start):
            let started = ContinuousClock.now
            metrics.misses.increment()
            logger.debug(
                "cache miss: waiting for the identity provider",
                metadata: ["tenant": "\(key.tenant)", "scopes": "\(key.scopes)"]
            )
            if start { startSharedFetch(shared, key: key, request: request) }
            var token = try await shared.value()
            token.cacheDuration = ContinuousClock.now - started - token.httpDuration
            return token
        }
    }

    /// A claims challenge or a forced refresh bypasses the cache and replaces the entry — but not the throttle memory,
    /// and it never falls back to the token the API just refused. The caller's own task runs it.
    private func bypassingCache(_ request: TokenRequest) async throws -> AccessToken {
        let key = key(for: request)
        if let throttle = state.withLock({ $0.throttles.peek(key) }), policy.now() < throttle.until {
            metrics.throttled.increment()
            throw throttle.error
        }
        guard !tasks.isClosed else { throw IdentityError.shutDown }
        metrics.refreshes(request.claims != nil ? "claims" : "forced").increment()
        return try await fetch(key: key, request: request, fallback: false)
    }

    /// Runs the shared fetch of `key` as an owned task; without one (after ``shutdown()``) its waiters fail at once.
    private func startSharedFetch(_ shared: SharedResult<AccessToken>, key: Key, request: TokenRequest) {
        let started = tasks.start {
            let result: Result<AccessToken, any Error>
            do {
                if let shared = self.sharedCache {
                    result = .success(try await self.fetchThroughSharedCache(shared, key: key, request: request))
                } else {
                    result = .success(try await self.fetch(key: key, request: request, fallback: true))
                }
            } catch {
                // Cancelled by shutdown(): the waiters were not, so they learn why.
                result = .failure(error is CancellationError && self.tasks.isClosed ? IdentityError.shutDown : error)
            }
            self.state.withLock { _ = $0.inFlight.removeValue(forKey: key) }
            shared.finish(result)
        }
        if !started {
            state.withLock { _ = $0.inFlight.removeValue(forKey: key) }
            shared.finish(.failure(IdentityError.shutDown))
        }
    }

    /// Asks upstream and stores the answer; ``FailurePolicy`` decides a failure: one foreground retry of a 5xx or
    /// timeout, throttle memory, and — `fallback` — a cached token still short of its real expiry served through an
    /// outage.
    func fetch(key: Key, request: TokenRequest, fallback: Bool) async throws -> AccessToken {
        let failurePolicy = policy.failurePolicy
        var attempt = AttemptState(foregroundRetriesLeft: 1)
        while true {
            let error: IdentityError
            do {
                let token = try await upstreamToken(for: request)
                var stored = token
                stored.refreshOn = store(token, key: key)
                return stored
            } catch let identityError as IdentityError {
                error = identityError
            }
            let now = policy.now()
            let cached: AccessToken? =
                fallback
                ? state.withLock { state in
                    guard let entry = state.entries.peek(key),
                        now < entry.token.expiresOn.adding(.zero - policy.outageMargin)
                    else { return nil }
                    return entry.token
                } : nil
            attempt.cachedTokenUsable = cached != nil
            let action = failurePolicy.action(for: .tokenRequest(error), in: attempt)
            if case .retry(let wait) = action {
                attempt.foregroundRetriesLeft -= 1
                logger.debug("retrying once after a transient failure", metadata: ["error": "\(error.code)"])
                try await policy.sleep(wait)
                continue
            }
            remember(error, for: action.failFastFor, key: key)
            state.withLock { state in
                _ = state.entries.update(key) { entry in
                    entry.failures += 1
                    entry.nextAttemptAt = now.adding(
                        policy.backoff(failures: entry.failures, retryAfter: error.retryAfter)
                    )
                }
            }
            if case .serveCachedToken = action, var cached {
                logger.warning(
                    "identity provider failing; serving the cached token until shortly before it expires",
                    metadata: ["error": "\(error.code)"]
                )
                cached.source = .cache
                return cached
            }
            throw error
        }
    }

    /// One upstream request, cancelled and failed with a timeout once ``TokenCachePolicy/requestTimeout`` passes.
    func upstreamToken(for request: TokenRequest) async throws -> AccessToken {
        let timeout = policy.requestTimeout ?? .seconds(60)
        return try await withDeadline(
            timeout,
            sleep: policy.timeoutSleep,
            timedOut: {
                IdentityError(
                    .timeout,
                    "the token request did not finish within \(timeout) (TokenCachePolicy.requestTimeout): the "
                        + "identity provider is slow or unreachable"
                )
            },
            { try await self.upstream.token(for: request) }
        )
    }

    /// Stores `token` and returns when it will be refreshed.
    @discardableResult
    func store(_ token: AccessToken, key: Key) -> Date {
        let now = policy.now()
        let entry = Entry(token: token, refreshAt: policy.refreshDate(for: token, issuedAt: now), policy: policy)
        let evicted = state.withLock { state in
            state.throttles.remove(key)
            return state.entries.set(key, entry)
        }
        if evicted != nil { metrics.evictions.increment() }
        return entry.refreshAt
    }

    /// Identical requests fail fast with `error` for `duration`, when the policy gave one.
    func remember(_ error: IdentityError, for duration: Duration?, key: Key) {
        guard let duration else { return }
        let now = policy.now()
        _ = state.withLock { $0.throttles.set(key, Throttle(until: now.adding(duration), error: error)) }
    }
}

extension FailureAction {
    /// How long identical requests fail fast after this action, when it says.
    var failFastFor: Duration? {
        switch self {
        case .fail(let duration), .serveCachedToken(let duration): return duration
        default: return nil
        }
    }
}

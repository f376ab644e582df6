import CoreMetrics
import Foundation
import Logging
import Synchronization
import TesseraJOSE

/// A token cache in front of another ``TokenSource``: O(1) hits under a `Mutex` (no actor hop), bounded LRU,
/// single-flight misses, proactive background refresh, serve-through-outage, foreground retry, throttle memory.
///
/// - A hit returns the cached token while it has more than ``TokenCachePolicy/expiryBuffer`` left.
/// - From the refresh point (`refresh_in`, else ~40% of the lifetime, jittered) the first caller starts one background
///   refresh and keeps the current token; a failed refresh backs off (≥ 5 s, full jitter, `Retry-After` honoured) and
///   never reaches a caller while a token is usable.
/// - While the identity provider fails, the token is served until ``TokenCachePolicy/outageMargin`` before `exp`.
/// - Any number of concurrent callers on a missing key cause one request; all await its result or error.
/// - 429 / `Retry-After` and identical 4xx answers are remembered, so identical requests fail fast.
public final class CachingTokenSource: TokenSource {
    struct Key: Hashable, Sendable {
        let tenant: String
        let scopes: String
    }

    struct Entry {
        var token: AccessToken
        var refreshAt: Date
        var refreshing = false
        var failures = 0
        var nextAttemptAt: Date = .distantPast
        var lastWarning: Date = .distantPast
    }

    struct Throttle {
        let until: Date
        let error: IdentityError
    }

    struct State {
        var entries: LRUMap<Key, Entry>
        var inFlight: [Key: Task<AccessToken, any Error>] = [:]
        var throttles: LRUMap<Key, Throttle>
    }

    enum Decision {
        case hit(AccessToken, refreshAt: Date, refresh: Bool)
        case wait(Task<AccessToken, any Error>)
        case fail(IdentityError)
    }

    /// The source asked on a miss or a refresh.
    public let upstream: any TokenSource
    /// When to refresh, retry and back off.
    public let policy: TokenCachePolicy
    /// The tenant of requests that name none.
    public let defaultTenant: String
    /// What every key of this cache shares: authority host, client ID and credential identity. In memory one cache
    /// serves one client, so entries are keyed by tenant and scope set within it; ``cacheKey(for:)`` spells the whole
    /// key for a shared (second-level) cache.
    public let partition: String
    private let state: Mutex<State>
    private let refreshesRunning = Atomic<Int>(0)
    private let logger: Logger
    private let metrics: CacheMetrics

    /// A cache in front of `upstream` (a `nil` `defaultTenant` is kept as an empty tenant). Logs and metrics go nowhere
    /// by default.
    public init(
        upstream: any TokenSource,
        defaultTenant: String?,
        partition: String = "",
        policy: TokenCachePolicy = TokenCachePolicy(),
        logger: Logger = Logger(label: "tessera.cache", factory: { _ in SwiftLogNoOpLogHandler() }),
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.upstream = upstream
        self.policy = policy
        self.defaultTenant = defaultTenant ?? ""
        self.partition = partition
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
        let scopes =
            request.scopes.count == 1
            ? Self.lowercased(request.scopes[0])
            : request.scopes.map { $0.lowercased() }.sorted().joined(separator: " ")
        return Key(tenant: Self.lowercased(request.tenant ?? defaultTenant), scopes: scopes)
    }

    /// The full cache key of a request: partition (host, client, credential), tenant and normalized scopes.
    public func cacheKey(for request: TokenRequest) -> String {
        let key = key(for: request)
        return "\(partition)|\(key.tenant)|\(key.scopes)"
    }

    /// Lower-cases only when needed: the usual already-lower-case scope and tenant are shared, not copied (hot path).
    static func lowercased(_ text: String) -> String {
        text.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) ? text.lowercased() : text
    }

    /// The cached token while usable (starting a background refresh from its refresh point), else the result of one
    /// shared upstream request. A claims request or ``TokenRequest/forceRefresh`` bypasses the cache and replaces the
    /// entry.
    public func token(for request: TokenRequest) async throws -> AccessToken {
        let started = ContinuousClock.now
        let key = key(for: request)
        let now = policy.now()
        if request.claims != nil || request.forceRefresh {
            // A claims challenge or a forced refresh bypasses the cache and replaces the entry — but not the throttle
            // memory, and it never falls back to the token the API just refused.
            if let throttle = state.withLock({ $0.throttles.peek(key) }), now < throttle.until {
                metrics.throttled.increment()
                throw throttle.error
            }
            metrics.refreshes(request.claims != nil ? "claims" : "forced").increment()
            return try await fetch(key: key, request: request, registered: false, fallback: false)
        }
        let decision: Decision = state.withLock { state in
            if let entry = state.entries.get(key) {
                let expires = entry.token.expiresOn
                if now < expires.adding(.zero - policy.buffer(forLifetime: entry.token.lifetime)) {
                    if now >= entry.refreshAt, !entry.refreshing, now >= entry.nextAttemptAt {
                        _ = state.entries.update(key) { $0.refreshing = true }
                        return .hit(entry.token, refreshAt: entry.refreshAt, refresh: true)
                    }
                    return .hit(entry.token, refreshAt: entry.refreshAt, refresh: false)
                }
                if entry.failures > 0, now < expires.adding(.zero - policy.outageMargin) {
                    // Outage: serve, and keep probing in the background at the back-off pace.
                    let refresh = !entry.refreshing && now >= entry.nextAttemptAt
                    if refresh { _ = state.entries.update(key) { $0.refreshing = true } }
                    return .hit(entry.token, refreshAt: entry.refreshAt, refresh: refresh)
                }
            }
            if let throttle = state.throttles.peek(key), now < throttle.until { return .fail(throttle.error) }
            if let task = state.inFlight[key] { return .wait(task) }
            let task = Task { try await self.fetch(key: key, request: request, registered: true, fallback: true) }
            state.inFlight[key] = task
            return .wait(task)
        }
        switch decision {
        case .hit(var token, let refreshAt, let refresh):
            metrics.hits.increment()
            logger.trace("cache hit")
            if refresh {
                logger.debug(
                    "refresh point reached: refreshing in the background",
                    metadata: ["tenant": "\(key.tenant)"]
                )
                startBackgroundRefresh(key: key, request: request)
            }
            token.source = .cache
            token.refreshOn = refreshAt
            token.httpDuration = .zero
            token.cacheDuration = ContinuousClock.now - started
            return token
        case .fail(let error):
            metrics.throttled.increment()
            logger.debug(
                "identical request throttled: failing fast",
                metadata: ["tenant": "\(key.tenant)", "error": "\(error.code)"]
            )
            throw error
        case .wait(let task):
            metrics.misses.increment()
            logger.debug(
                "cache miss: waiting for the identity provider",
                metadata: ["tenant": "\(key.tenant)", "scopes": "\(key.scopes)"]
            )
            var token = try await task.value
            token.cacheDuration = ContinuousClock.now - started - token.httpDuration
            return token
        }
    }

    /// Asks upstream (with one foreground retry of a 5xx or timeout), stores the answer, remembers throttling.
    /// `registered`: this is the single-flight task of `key` (it removes itself when done). `fallback`: on a transient
    /// failure, a cached token still short of its real expiry is returned instead (outage).
    private func fetch(key: Key, request: TokenRequest, registered: Bool, fallback: Bool) async throws -> AccessToken {
        defer { if registered { state.withLock { _ = $0.inFlight.removeValue(forKey: key) } } }
        do {
            let token: AccessToken
            do {
                token = try await upstream.token(for: request)
            } catch let error as IdentityError
                where (error.code == .serverError || error.code == .timeout) && error.retryAfter == nil
            {
                logger.debug("retrying once after a transient failure", metadata: ["error": "\(error.code)"])
                try await policy.sleep(policy.foregroundRetryDelay)
                token = try await upstream.token(for: request)
            }
            var stored = token
            stored.refreshOn = store(token, key: key)
            return stored
        } catch let error as IdentityError {
            remember(error, key: key)
            // Outage: a token short of its real expiry still serves the caller.
            let now = policy.now()
            let fallback: AccessToken? = state.withLock { state in
                let counted = state.entries.update(key) { entry in
                    entry.failures += 1
                    entry.nextAttemptAt = now.adding(
                        policy.backoff(failures: entry.failures, retryAfter: error.retryAfter)
                    )
                }
                guard fallback, error.isTransient, counted,
                    let entry = state.entries.peek(key), now < entry.token.expiresOn.adding(.zero - policy.outageMargin)
                else { return nil }
                return entry.token
            }
            if var fallback {
                logger.warning(
                    "identity provider failing; serving the cached token until shortly before it expires",
                    metadata: ["error": "\(error.code)"]
                )
                fallback.source = .cache
                return fallback
            }
            throw error
        }
    }

    /// Stores `token` and returns when it will be refreshed.
    @discardableResult
    private func store(_ token: AccessToken, key: Key) -> Date {
        let now = policy.now()
        let entry = Entry(token: token, refreshAt: policy.refreshDate(for: token, issuedAt: now))
        let evicted = state.withLock { state in
            state.throttles.remove(key)
            return state.entries.set(key, entry)
        }
        if evicted != nil { metrics.evictions.increment() }
        return entry.refreshAt
    }

    private func remember(_ error: IdentityError, key: Key) {
        let now = policy.now()
        let duration: Duration?
        if error.code == .throttled {
            duration = error.retryAfter ?? policy.defaultThrottle
        } else if let retryAfter = error.retryAfter {
            duration = retryAfter
        } else if let status = error.httpStatus, (400..<500).contains(status) {
            duration = policy.rejectionMemory
        } else {
            duration = nil
        }
        guard let duration else { return }
        _ = state.withLock { $0.throttles.set(key, Throttle(until: now.adding(duration), error: error)) }
    }

    private func startBackgroundRefresh(key: Key, request: TokenRequest) {
        metrics.refreshes("proactive").increment()
        refreshesRunning.add(1, ordering: .relaxed)
        Task {
            defer { refreshesRunning.subtract(1, ordering: .releasing) }
            do {
                let token = try await upstream.token(for: request)
                store(token, key: key)
                logger.debug("background refresh succeeded", metadata: ["token": "\(token.fingerprint)"])
            } catch {
                let identityError = error as? IdentityError
                if let identityError { remember(identityError, key: key) }
                let now = policy.now()
                let warn: Bool = state.withLock { state in
                    var warn = false
                    _ = state.entries.update(key) { entry in
                        entry.refreshing = false
                        entry.failures += 1
                        entry.nextAttemptAt = now.adding(
                            policy.backoff(failures: entry.failures, retryAfter: identityError?.retryAfter)
                        )
                        if now.timeIntervalSince(entry.lastWarning) >= policy.maximumBackoff.seconds {
                            entry.lastWarning = now
                            warn = true
                        }
                    }
                    return warn
                }
                metrics.refreshFailures.increment()
                if warn {
                    logger.warning(
                        "background token refresh failing; callers keep the cached token",
                        metadata: ["error": "\(identityError?.code.description ?? "\(type(of: error))")"]
                    )
                }
            }
        }
    }
}

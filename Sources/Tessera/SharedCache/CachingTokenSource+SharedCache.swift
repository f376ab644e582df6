import Foundation
import Logging
@_spi(TesseraInternal) import TesseraJOSE

/// A call to the second-level cache that did not answer in time or failed: the caller goes on without it.
struct SharedCacheUnavailable: Error {}

extension CachingTokenSource {
    /// How long a lease lasts: the token-request timeout plus 5 s. A holder whose foreground retry runs past it may
    /// see another replica fetch too — two valid tokens, the later one kept (the publish is conditional): a lease is
    /// for efficiency, not correctness.
    var leaseDuration: Duration { (policy.requestTimeout ?? .seconds(60)) + .seconds(5) }

    /// The read timeout: ``TokenCachePolicy/sharedCacheReadTimeout``, except for the first call (the cache connects and
    /// prepares its schema meanwhile), which gets the write timeout, so that a process's first miss can use it; after
    /// that first call (answered or not) reads get the short timeout.
    var sharedReadTimeout: Duration {
        let read = max(policy.sharedCacheReadTimeout, sharedCache?.minimumReadTimeout ?? .zero)
        return sharedCacheAnswered.load(ordering: .relaxed) ? read : max(read, policy.sharedCacheWriteTimeout)
    }

    /// The shared-cache key of an L1 key: ``sharedPartition``, tenant, scopes and the token type (bearer; a bound token
    /// will add its certificate's `x5t#S256`).
    func sharedKey(_ key: Key) -> String { "\(sharedPartition)|\(key.tenant)|\(key.scopes)|bearer" }

    /// The cold miss with a second-level cache: its fresh token, else the token this replica fetches under the key's
    /// lease, else the token another replica publishes while this one waits (at most until that lease expires, then it
    /// claims the key itself). A shared failure fails fast (or serves a cached token still short of its expiry). An L2
    /// that does not answer in time is skipped: the request goes to the identity provider (per-process single flight).
    func fetchThroughSharedCache(
        _ shared: any SharedTokenCache,
        key: Key,
        request: TokenRequest
    ) async throws -> AccessToken {
        let name = sharedKey(key)
        // Bounded: however the L2 answers, this replica asks the identity provider itself past two leases.
        let giveUpAt = policy.now().adding(leaseDuration * 2)
        var counted = false
        var waited = false
        while true {
            let now = policy.now()
            guard now < giveUpAt,
                let entry = try await sharedCacheCall(sharedReadTimeout, { try await shared.read(name) })
            else { return try await fetch(key: key, request: request, fallback: true) }
            if let entry, let token = entry.token, isFresh(token, at: now) {
                metrics.sharedHits.increment()
                return storeShared(token, refreshAt: entry.refreshAt, key: key)
            }
            if let failure = entry?.failure, failure.remaining > .zero {
                metrics.sharedThrottles.increment()
                let error = failure.error
                remember(error, for: failure.remaining, key: key)
                if let cached = usableThroughOutage(key: key, at: now) { return cached }
                throw error
            }
            if entry?.unreadable == true { noteUnreadable() }
            if !counted { metrics.sharedMisses.increment() }
            counted = true
            if entry?.leaseRemaining == nil {
                let staleBefore = now.adding(policy.buffer(forLifetime: entry?.token?.lifetime ?? 0))
                let replacing = entry?.unreadable == true
                let claim = try await sharedCacheCall(policy.sharedCacheWriteTimeout) {
                    try await shared.claim(
                        name,
                        leaseDuration: self.leaseDuration,
                        staleBefore: staleBefore,
                        replacingUnreadable: replacing
                    )
                }
                guard let claim else { return try await fetch(key: key, request: request, fallback: true) }
                if let lease = claim {
                    metrics.leasesAcquired.increment()
                    if waited { metrics.leasesTimedOut.increment() }  // the holder's lease ran out
                    return try await fetchUnderLease(
                        shared,
                        lease: lease,
                        key: key,
                        request: request,
                        replacing: replacing
                    )
                }
            }
            // Another replica holds the lease: wait for its publish (a notification, or the next poll), then re-read.
            if !waited { metrics.leasesWaited.increment() }
            waited = true
            let wait = min(policy.sharedCachePollInterval, entry?.leaseRemaining ?? policy.sharedCachePollInterval)
            _ = try await sharedCacheCall(wait + policy.sharedCacheReadTimeout) {
                try await shared.waitForChange(of: name, timeout: wait)
            }
        }
    }

    /// This replica holds the lease: ask the identity provider, publish the token (or share the failure), return it.
    private func fetchUnderLease(
        _ shared: any SharedTokenCache,
        lease: SharedTokenCacheLease,
        key: Key,
        request: TokenRequest,
        replacing: Bool
    ) async throws -> AccessToken {
        let name = sharedKey(key)
        let token: AccessToken
        do {
            token = try await fetch(key: key, request: request, fallback: true)
        } catch {
            let failure = (error as? IdentityError).flatMap { error in
                sharedFailureDuration(for: error).map { SharedTokenCacheFailure(error, for: $0) }
            }
            if failure != nil { metrics.sharedThrottlesPublished.increment() }
            _ = try? await sharedCacheCall(policy.sharedCacheWriteTimeout) {
                try await shared.release(name, lease: lease, failure: failure)
            }
            throw error
        }
        guard token.source == .identityProvider, let refreshAt = token.refreshOn else {
            // Served from L1 through an outage: nothing new to publish; the lease is given back.
            _ = try? await sharedCacheCall(policy.sharedCacheWriteTimeout) {
                try await shared.release(name, lease: lease, failure: nil)
            }
            return token
        }
        try await publish(token, refreshAt: refreshAt, shared: shared, name: name, lease: lease, replacing: replacing)
        return token
    }

    /// Publishes under `lease`; when the publish fails or times out, gives the lease back (best effort), so the
    /// others do not wait out a lease nobody works on.
    func publish(
        _ token: AccessToken,
        refreshAt: Date,
        shared: any SharedTokenCache,
        name: String,
        lease: SharedTokenCacheLease,
        replacing: Bool
    ) async throws {
        let published = try await sharedCacheCall(policy.sharedCacheWriteTimeout) {
            try await shared.publish(
                token,
                refreshAt: refreshAt,
                for: name,
                lease: lease,
                replacingUnreadable: replacing
            )
        }
        if published != true {  // failed, timed out, or refused: fenced by the generation, so always harmless
            _ = try? await sharedCacheCall(policy.sharedCacheWriteTimeout) {
                try await shared.release(name, lease: lease, failure: nil)
            }
        }
    }

    /// A proactive refresh with a second-level cache: a newer token in L2 is taken without a request; otherwise one
    /// replica claims the key and refreshes it, and the others keep their L1 token and look again after a poll
    /// interval. `nil` when L2 did not answer (the caller refreshes on its own).
    func refreshThroughSharedCache(
        _ shared: any SharedTokenCache,
        key: Key,
        request: TokenRequest
    ) async throws
        -> Bool?
    {
        let name = sharedKey(key)
        let now = policy.now()
        let current = state.withLock { $0.entries.peek(key)?.token.expiresOn } ?? .distantPast
        // No caller waits on a proactive refresh: a slow L2 gets the write timeout before this replica goes alone.
        guard let entry = try await sharedCacheCall(policy.sharedCacheWriteTimeout, { try await shared.read(name) })
        else { return nil }
        if let entry, let token = entry.token, token.expiresOn > current, isFresh(token, at: now) {
            metrics.sharedHits.increment()
            _ = storeShared(token, refreshAt: entry.refreshAt, key: key)
            return true
        }
        if entry?.failure.map({ $0.remaining > .zero }) == true || entry?.leaseRemaining != nil {
            postpone(key, by: policy.sharedCachePollInterval)
            return false
        }
        let replacing = entry?.unreadable == true
        let staleBefore = now.adding(policy.buffer(forLifetime: entry?.token?.lifetime ?? 0))
        guard
            let claim = try await sharedCacheCall(
                policy.sharedCacheWriteTimeout,
                {
                    try await shared.claim(
                        name,
                        leaseDuration: self.leaseDuration,
                        staleBefore: staleBefore,
                        replacingUnreadable: replacing
                    )
                }
            )
        else { return nil }
        guard let lease = claim else {
            postpone(key, by: policy.sharedCachePollInterval)
            return false
        }
        metrics.leasesAcquired.increment()
        let token: AccessToken
        do {
            token = try await upstreamToken(for: request)
        } catch {
            let failure = (error as? IdentityError).flatMap { error in
                sharedFailureDuration(for: error).map { SharedTokenCacheFailure(error, for: $0) }
            }
            _ = try? await sharedCacheCall(policy.sharedCacheWriteTimeout) {
                try await shared.release(name, lease: lease, failure: failure)
            }
            throw error
        }
        let refreshAt = store(token, key: key)
        try await publish(token, refreshAt: refreshAt, shared: shared, name: name, lease: lease, replacing: replacing)
        return true
    }

    /// How long a failure is shared with the fleet: what the failure policy remembers it for (`Retry-After`, the
    /// identical-4xx memory), else, for a transient failure, the first back-off step — so the replicas waiting on
    /// this one do not each ask in turn.
    func sharedFailureDuration(for error: IdentityError) -> Duration? {
        let action = policy.failurePolicy.action(for: .tokenRequest(error), in: AttemptState(foregroundRetriesLeft: 0))
        if let duration = action.failFastFor { return duration }
        return error.isTransient ? policy.minimumBackoff : nil
    }

    /// `operation` on the shared cache, bounded by `timeout` whatever it does: it runs as an owned task, and the
    /// caller stops waiting when the time is up (the task is cancelled, and awaited by ``shutdown()``). `nil` when it
    /// failed or timed out (counted, and warned about once per interval); cancellation of the caller is rethrown.
    func sharedCacheCall<Value: Sendable>(
        _ timeout: Duration,
        _ operation: @escaping @Sendable () async throws -> Value
    ) async throws -> Value? {
        let started = ContinuousClock.now
        let result = SharedResult<Value>()
        let running = tasks.startTask {
            do {
                result.finish(.success(try await operation()))
            } catch {
                result.finish(.failure(error))
            }
        }
        guard let running else { throw IdentityError.shutDown }
        do {
            let value = try await withDeadline(
                timeout,
                sleep: policy.timeoutSleep,
                timedOut: { SharedCacheUnavailable() },
                { try await result.value() }
            )
            metrics.sharedLatency.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            sharedCacheAnswered.store(true, ordering: .relaxed)
            return value
        } catch {
            if Task.isCancelled { throw CancellationError() }
            sharedCacheAnswered.store(true, ordering: .relaxed)  // the first contact is over: short reads from now on
            running.cancel()  // owned: shutdown() still awaits it
            noteSharedCacheFailure(error)
            return nil
        }
    }

    /// A token from L2 into L1, with the entry's refresh point (every replica refreshes at the same jittered point).
    func storeShared(_ token: AccessToken, refreshAt: Date?, key: Key) -> AccessToken {
        let refreshAt = refreshAt ?? policy.refreshDate(for: token, issuedAt: policy.now())
        let evicted = state.withLock { state in
            state.throttles.remove(key)
            return state.entries.set(key, Entry(token: token, refreshAt: refreshAt, policy: policy))
        }
        if evicted != nil { metrics.evictions.increment() }
        var served = token
        served.source = .sharedCache
        served.refreshOn = refreshAt
        return served
    }

    /// Whether `token` may be handed out at `now` (more than the expiry buffer left).
    func isFresh(_ token: AccessToken, at now: Date) -> Bool {
        now < token.expiresOn.adding(.zero - policy.buffer(forLifetime: token.lifetime))
    }

    /// The L1 token of `key` while it is short of its expiry by more than the outage margin.
    func usableThroughOutage(key: Key, at now: Date) -> AccessToken? {
        state.withLock { state in
            guard let entry = state.entries.peek(key), now < entry.token.expiresOn.adding(.zero - policy.outageMargin)
            else { return nil }
            var token = entry.token
            token.source = .cache
            return token
        }
    }

    /// The next proactive refresh of `key` waits `delay` (another replica is refreshing it).
    func postpone(_ key: Key, by delay: Duration) {
        let next = policy.now().adding(delay)
        state.withLock { _ = $0.entries.update(key) { $0.nextAttemptAt = next } }
    }

    func noteSharedCacheFailure(_ error: any Error) {
        metrics.sharedErrors.increment()
        let now = policy.now()
        let warn = sharedCacheWarning.withLock { last in
            guard now.timeIntervalSince(last) >= policy.sharedCacheWarningInterval.seconds else { return false }
            last = now
            return true
        }
        if warn {
            logger.warning(
                "the shared token cache is not answering: tokens come from this process's cache and the identity provider",
                metadata: [
                    "error": "\(error is SharedCacheUnavailable ? "timed out" : String(describing: type(of: error)))"
                ]
            )
        }
    }

    func noteUnreadable() {
        metrics.sharedUnreadable.increment()
        if !unreadableLogged.exchange(true, ordering: .relaxed) {
            logger.warning(
                "a shared token cache entry could not be decrypted or parsed (another key, or tampered): treated as a miss"
            )
        }
    }
}

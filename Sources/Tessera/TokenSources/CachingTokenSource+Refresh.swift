import Foundation
import Logging
import ServiceLifecycle
@_spi(TesseraInternal) import TesseraJOSE

extension CachingTokenSource {
    /// Hosts proactive background refreshes until graceful shutdown, cancellation or ``shutdown()``; then lets the
    /// in-flight refreshes end (each within ``TokenCachePolicy/requestTimeout``) and returns. No refresh starts after.
    /// Run it once; after ``shutdown()`` it returns at once.
    public func run() async throws {
        let (refreshes, continuation) = AsyncStream.makeStream(of: Refresh.self)
        let host: Host = state.withLock { state in
            let before = state.host
            if case .idle = before { state.host = .running(continuation) }
            return before
        }
        switch host {
        case .idle: break
        case .stopped: return  // shut down before it ran: nothing to host (hostDrained is not awaited)
        case .running:
            throw IdentityError(.invalidConfiguration, "run() was called twice: a cache hosts its refreshes once")
        }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await refresh in refreshes {
                    guard state.withLock({ $0.hosting }) else {
                        abandon(refresh)
                        continue
                    }
                    group.addTask { await self.refresh(refresh) }
                }
            }
        } onGracefulShutdown: {
            self.stopHosting()
        }
        stopHosting()
        hostDrained.finish(.success(()))
    }

    /// Stops background refreshes (waiting for the in-flight ones if ``run()`` hosts them), then cancels and awaits
    /// the shared fetches. Later misses fail with ``IdentityError/Code/clientShutDown``; cached tokens still serve.
    public func shutdown() async {
        // Every call waits while run() drains, whoever stopped it (a graceful shutdown, another shutdown()).
        if stopHosting() { try? await hostDrained.value() }
        await tasks.shutdown()
    }

    /// Whether ``run()`` hosts background refreshes now.
    package var isHostingRefreshes: Bool { state.withLock { $0.hosting } }

    /// Callers waiting on shared fetches now.
    package var sharedFetchWaiters: Int { state.withLock { $0.inFlight.values.reduce(0) { $0 + $1.waiting } } }

    /// Ends the hosting; `true` when ``run()`` hosted refreshes (its drain is then awaited).
    @discardableResult
    func stopHosting() -> Bool {
        let (continuation, hosted): (AsyncStream<Refresh>.Continuation?, Bool) = state.withLock { state in
            switch state.host {
            case .running(let continuation):
                state.host = .stopped(hosted: true)
                return (continuation, true)
            case .stopped(let hosted):
                return (nil, hosted)
            case .idle:
                state.host = .stopped(hosted: false)
                return (nil, false)
            }
        }
        continuation?.finish()
        return hosted
    }

    func startBackgroundRefresh(key: Key, request: TokenRequest) {
        metrics.refreshes("proactive").increment()
        refreshesRunning.add(1, ordering: .relaxed)
        let queued: Bool = state.withLock { state in
            guard case .running(let continuation) = state.host else { return false }
            if case .enqueued = continuation.yield(Refresh(key: key, request: request)) { return true }
            return false
        }
        if !queued { abandon(Refresh(key: key, request: request)) }
    }

    /// Postpones `key`'s proactive refresh by a back-off step when its token is still good for more than twice the
    /// expiry buffer; `false` when it is not (the refresh should go on now).
    func postponeWhileUsable(_ key: Key) -> Bool {
        let now = policy.now()
        return state.withLock { state in
            guard let entry = state.entries.peek(key),
                now < entry.token.expiresOn.adding(.zero - policy.buffer(forLifetime: entry.token.lifetime) * 3)
            else { return false }
            _ = state.entries.update(key) { entry in
                entry.refreshing = false
                entry.nextAttemptAt = now.adding(policy.backoff(failures: 1, retryAfter: nil))
            }
            return true
        }
    }

    /// A refresh that will not run (hosting ended): the entry may be refreshed again.
    func abandon(_ refresh: Refresh) {
        state.withLock { _ = $0.entries.update(refresh.key) { $0.refreshing = false } }
        refreshesRunning.subtract(1, ordering: .releasing)
    }

    func refresh(_ refresh: Refresh) async {
        let key = refresh.key
        defer { refreshesRunning.subtract(1, ordering: .releasing) }
        do {
            if let shared = sharedCache,
                let refreshed = try await refreshThroughSharedCache(shared, key: key, request: refresh.request)
            {
                // Not refreshed: another replica is refreshing, and this one looks again after a poll interval.
                state.withLock { _ = $0.entries.update(key) { $0.refreshing = false } }
                if refreshed { logger.debug("background refresh succeeded (through the shared cache)") }
                return
            }
            if sharedCache != nil, postponeWhileUsable(key) {
                // The shared cache did not answer, and the token has long to live: look again after a back-off
                // rather than every replica refreshing on its own; near the expiry buffer this replica goes alone.
                return
            }
            let token = try await upstreamToken(for: refresh.request)
            store(token, key: key)
            logger.debug("background refresh succeeded", metadata: ["token": "\(token.fingerprint)"])
        } catch {
            if error is CancellationError || Task.isCancelled {
                state.withLock { _ = $0.entries.update(key) { $0.refreshing = false } }
                return
            }
            let identityError = error as? IdentityError
            if let identityError {
                let action = policy.failurePolicy.action(
                    for: .tokenRequest(identityError),
                    in: AttemptState(cachedTokenUsable: true)
                )
                remember(identityError, for: action.failFastFor, key: key)
            }
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

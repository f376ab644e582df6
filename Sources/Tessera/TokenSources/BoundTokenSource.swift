import Foundation
import Synchronization

/// A token source bound to one scope set and tenant — golang.org/x/oauth2's `ReuseTokenSource` shape — for the code
/// that always asks for the same token (one downstream API). ``token()`` is a lock, a clock read and an expiry check
/// while the held token is short of its refresh point and of the cache's expiry buffer; past either it goes through
/// the keyed ``CachingTokenSource``, which it shares entries, single flight, proactive refresh and failure handling
/// with (it is a view on that cache, not a second one). Get one from ``ConfidentialClient/tokenSource(scope:tenant:)``.
public final class BoundTokenSource: TokenSource {
    /// The request every ``token()`` stands for.
    public let request: TokenRequest
    /// The keyed cache behind it.
    public let cache: CachingTokenSource

    /// The token handed out and until when (its refresh point, or its expiry less the buffer, whichever is first).
    struct Held {
        let token: AccessToken
        let until: Date
    }

    private let held = Mutex<Held?>(nil)

    /// A source for `request` through `cache`. A claims request or a forced refresh is never held: each call of such
    /// a source goes to the cache.
    public init(request: TokenRequest, cache: CachingTokenSource) {
        self.request = request
        self.cache = cache
    }

    /// The held token while it is short of its refresh point and the expiry buffer, else the cache's answer (which
    /// is then held).
    ///
    /// A hit is one clock read and a copy of the held token (one reference) under a lock: it counts a cache hit, logs
    /// nothing, allocates nothing and starts no span; it is inlined into the caller and synchronous (no task frame,
    /// no executor hop).
    @inlinable
    public func token() async throws -> AccessToken {
        if let token = heldToken() { return token }
        return try await fetchAndHold()
    }

    /// The hit of ``token()``: the held token while short of its `until`, counted as a cache hit.
    @usableFromInline
    func heldToken() -> AccessToken? {
        let now = cache.policy.now()
        guard let token = held.withLock({ held in held.flatMap { now < $0.until ? $0.token : nil } }) else {
            return nil
        }
        cache.metrics.hits.increment()
        return token
    }

    /// Past the hit: the keyed cache's answer, held (in the form a hit hands out) unless a claims request or a forced
    /// refresh.
    @usableFromInline
    func fetchAndHold() async throws -> AccessToken {
        let answer = try await cache.token(for: request)
        guard request.claims == nil, !request.forceRefresh else { return answer }
        var token = answer
        let usableUntil = token.expiresOn.adding(.zero - cache.policy.buffer(forLifetime: token.lifetime))
        let until = min(token.refreshOn ?? usableUntil, usableUntil)
        // What a hit hands out, made once here: a cache answer without HTTP or cache time of its own.
        token.source = .cache
        token.httpDuration = .zero
        token.cacheDuration = .zero
        let stored = token
        held.withLock { $0 = Held(token: stored, until: until) }
        return answer
    }

    /// ``token()`` for this source's request; any other request goes to the keyed cache.
    public func token(for request: TokenRequest) async throws -> AccessToken {
        request == self.request ? try await token() : try await cache.token(for: request)
    }
}

extension ConfidentialClient {
    /// A token source bound to `scope` (and `tenant`, else the authority's), sharing this client's cache: its hit is
    /// cheaper than a keyed ``token(for:)`` because nothing is looked up.
    public func tokenSource(scope: String, tenant: String? = nil) -> BoundTokenSource {
        BoundTokenSource(request: TokenRequest(scope: scope, tenant: tenant), cache: cache)
    }
}

import Foundation
import Synchronization
@_spi(TesseraInternal) import TesseraJOSE
import TesseraTestSupport
import Testing

@testable import Tessera

/// A wall clock tests move by hand.
final class TestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: Double) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// Runs `body` with a cached client on an injected clock; sleeps are recorded, not slept; jitter is fixed at 0.5.
func withCachedClient<R: Sendable>(
    _ server: TestTokenServer,
    clock: TestClock,
    configure: (inout TokenCachePolicy) -> Void = { _ in },
    _ body: (ConfidentialClient) async throws -> R
) async throws -> R {
    try await withClient(
        server,
        credential: ClientSecretCredential(secret: testSecret),
        configure: { configuration in
            configuration.now = { clock.now }
            configuration.cache.sleep = { _ in }
            configuration.cache.random = { 0.5 }
            configure(&configuration.cache)
        },
        body
    )
}

@Suite("Token cache")
struct CacheTests {
    let graph = "https://graph.microsoft.com/.default"

    @Test("1,000 concurrent callers on a cold key cause exactly 1 request; on K keys exactly K")
    func singleFlight() async throws {
        let clock = TestClock()
        try await TestTokenServer.daemon().run { server in
            try await withCachedClient(server, clock: clock) { client in
                let tokens = try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<1000 { group.addTask { try await client.token(scope: graph).token } }
                    return try await group.reduce(into: Set<String>()) { $0.insert($1) }
                }
                #expect(tokens.count == 1)
                #expect(server.tokenRequests.count == 1)
                let tenants = (0..<5).map { "tenant\($0).example" }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<1000 {
                        group.addTask { _ = try await client.token(scope: graph, tenant: tenants[index % 5]) }
                    }
                    try await group.waitForAll()
                }
                #expect(server.tokenRequests.count == 1 + 5)
                #expect(Set(server.tokenRequests.map(\.path)).count == 6, "per-request tenants are separate keys")
            }
        }
    }

    @Test("a hit comes from the cache; the scope set is normalized")
    func hit() async throws {
        let clock = TestClock()
        try await TestTokenServer.daemon().run { server in
            try await withCachedClient(server, clock: clock) { client in
                let first = try await client.token(scope: graph)
                let second = try await client.token(scope: "https://GRAPH.microsoft.com/.default")
                #expect(first.source == .identityProvider)
                #expect(second.source == .cache)
                #expect(second.token == first.token)
                #expect(second.httpDuration == .zero)
                #expect(server.tokenRequests.count == 1)
                let key = client.cache.cacheKey(for: TokenRequest(scope: "https://GRAPH.microsoft.com/.default"))
                #expect(
                    key
                        == "\(server.baseURL)|\(daemonClientID)|\(ClientSecretCredential(secret: testSecret).identity)|\(tenantID)|https://graph.microsoft.com/.default"
                )
            }
        }
    }

    @Test("expiry buffer: a token with less than 5 minutes left is not handed out")
    func expiryBuffer() async throws {
        let clock = TestClock()
        try await TestTokenServer.daemon(expiresIn: 3599).run { server in
            try await withCachedClient(server, clock: clock, configure: { $0.refreshFraction = 0.99...0.99 }) {
                client in
                let first = try await client.token(scope: graph)
                clock.advance(3599 - 301)
                #expect(try await client.token(scope: graph).token == first.token, "5 min 1 s left: still served")
                clock.advance(2)
                let second = try await client.token(scope: graph)
                #expect(second.token != first.token)
                #expect(second.source == .identityProvider)
            }
        }
    }

    @Test("proactive refresh at ~40% of the lifetime runs in the background; callers keep the current token")
    func proactiveRefresh() async throws {
        let clock = TestClock()
        try await TestTokenServer.daemon(expiresIn: 3599).run { server in
            try await withCachedClient(server, clock: clock) { client in
                let first = try await client.token(scope: graph)
                clock.advance(3599 * 0.39)
                _ = try await client.token(scope: graph)
                #expect(server.tokenRequests.count == 1, "before the refresh point (40% with jitter 0.5)")
                clock.advance(3599 * 0.02)
                let during = try await client.token(scope: graph)
                #expect(during.token == first.token, "the caller keeps the current token")
                #expect(during.source == .cache)
                await eventually { server.tokenRequests.count == 2 }
                #expect(server.tokenRequests.count == 2)
                for _ in 0..<200 {
                    if try await client.token(scope: graph).token != first.token { break }
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(try await client.token(scope: graph).token != first.token, "the refreshed token replaces it")
                #expect(
                    first.expiresOn.timeIntervalSince(clock.now) > 30 * 60,
                    "more than 30 min in hand when refreshing starts"
                )
            }
        }
    }

    @Test("refresh_in from the server sets the refresh point")
    func refreshIn() async throws {
        let clock = TestClock()
        let server = TestTokenServer.daemon()
        server.enqueue(
            .init(
                status: 200,
                body: #"{"access_token":"first","token_type":"Bearer","expires_in":3599,"refresh_in":600}"#
            )
        )
        try await server.run { server in
            try await withCachedClient(server, clock: clock) { client in
                _ = try await client.token(scope: graph)
                clock.advance(599)
                _ = try await client.token(scope: graph)
                #expect(server.tokenRequests.count == 1)
                clock.advance(2)
                #expect(try await client.token(scope: graph).token == "first")
                await eventually { server.tokenRequests.count == 2 }
                #expect(server.tokenRequests.count == 2)
            }
        }
    }

    @Test("a 30-minute outage from the refresh point of a 3599-s token: 0 failed calls, at most 1 request per 5 s")
    func outage() async throws {
        let clock = TestClock()
        let server = TestTokenServer.daemon(expiresIn: 3599)
        try await server.run { server in
            try await withCachedClient(server, clock: clock) { client in
                let first = try await client.token(scope: graph)
                clock.advance(3599 * 0.40)
                let unavailable = TestTokenServer.Canned(
                    status: 503,
                    headers: ["Content-Type": "text/html"],
                    body: "<html>down</html>"
                )
                server.enqueue(contentsOf: Array(repeating: unavailable, count: 2000))
                var failures = 0
                var requestTimes: [Date] = []
                // Calls every second for 30 minutes.
                for _ in 0..<(30 * 60) {
                    let before = server.tokenRequests.count
                    do {
                        let token = try await client.token(scope: graph)
                        #expect(token.token == first.token)
                    } catch {
                        failures += 1
                    }
                    await eventually { client.cache.activeRefreshes == 0 }
                    await Task.yield()
                    if server.tokenRequests.count > before { requestTimes.append(clock.now) }
                    clock.advance(1)
                }
                await eventually { true }
                #expect(failures == 0)
                let gaps = zip(requestTimes.dropFirst(), requestTimes).map { $0.timeIntervalSince($1) }
                #expect(gaps.allSatisfy { $0 >= 5 }, "never more than 1 request per 5 s: \(gaps.prefix(10))")
                #expect(server.tokenRequests.count > 2, "it kept trying")
                #expect(server.tokenRequests.count <= 1 + 30 * 60 / 5)
            }
        }
    }

    @Test(
        "while the provider fails, the token is served inside the 5-min buffer until 1 min before exp, then the error"
    )
    func serveUntilExpMinusOneMinute() async throws {
        let clock = TestClock()
        try await TestTokenServer.daemon(expiresIn: 3599).run { server in
            try await withCachedClient(server, clock: clock, configure: { $0.refreshFraction = 0.99...0.99 }) {
                client in
                let first = try await client.token(scope: graph)
                let down = TestTokenServer.Canned(status: 503, body: "")
                server.enqueue(contentsOf: Array(repeating: down, count: 50))
                clock.advance(3599 - 240)  // 4 min left: inside the buffer
                let served = try await client.token(scope: graph)
                #expect(served.token == first.token)
                #expect(served.source == .cache)
                clock.advance(120)  // 2 min left
                #expect(try await client.token(scope: graph).token == first.token)
                clock.advance(70)  // 50 s left: past exp − 1 min
                let error = await expectIdentityError { _ = try await client.token(scope: graph) }
                #expect(error?.code == .serverError)
            }
        }
    }

    @Test("foreground: a 5xx is retried once; a second 5xx is the error")
    func foregroundRetry() async throws {
        let clock = TestClock()
        let server = TestTokenServer.daemon()
        server.enqueue(.init(status: 500, body: ""))
        try await server.run { server in
            try await withCachedClient(server, clock: clock) { client in
                let token = try await client.token(scope: graph)
                #expect(token.source == .identityProvider)
                #expect(server.tokenRequests.count == 2)
                server.enqueue(.init(status: 503, body: ""), .init(status: 503, body: ""))
                let error = await expectIdentityError {
                    _ = try await client.token(scope: graph, tenant: "other.example")
                }
                #expect(error?.code == .serverError)
                #expect(server.tokenRequests.count == 4)
            }
        }
    }

    @Test("429 with Retry-After: identical requests fail fast until it passes", arguments: ["30", "HTTP-date"])
    func throttleMemory(form: String) async throws {
        let clock = TestClock()
        let server = TestTokenServer.daemon()
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        try await server.run { server in
            try await withCachedClient(server, clock: clock) { client in
                let retryAfter = form == "30" ? "30" : formatter.string(from: Date().addingTimeInterval(30))
                server.enqueue(.init(status: 429, headers: ["Retry-After": retryAfter], body: ""))
                let first = await expectIdentityError { _ = try await client.token(scope: graph) }
                #expect(first?.code == .throttled)
                let again = await expectIdentityError { _ = try await client.token(scope: graph) }
                #expect(again?.code == .throttled)
                #expect(server.tokenRequests.count == 1, "the second call did not reach the server")
                _ = try await client.token(scope: graph, tenant: "other.example")
                #expect(server.tokenRequests.count == 2, "other keys are not throttled")
                clock.advance(31)
                _ = try await client.token(scope: graph)
                #expect(server.tokenRequests.count == 3)
            }
        }
    }

    @Test("an identical 400 is remembered briefly (no hammering: AADSTS50196)")
    func rejectionMemory() async throws {
        let clock = TestClock()
        try await TestTokenServer.daemon(secret: "other").run { server in
            try await withCachedClient(server, clock: clock) { client in
                for _ in 0..<5 { _ = await expectIdentityError { _ = try await client.token(scope: graph) } }
                #expect(server.tokenRequests.count == 1)
                clock.advance(16)
                _ = await expectIdentityError { _ = try await client.token(scope: graph) }
                #expect(server.tokenRequests.count == 2)
            }
        }
    }

    @Test("a claims challenge bypasses the cache, is sent, and replaces the entry")
    func claimsBypass() async throws {
        let clock = TestClock()
        try await TestTokenServer.daemon().run { server in
            try await withCachedClient(server, clock: clock) { client in
                let first = try await client.token(scope: graph)
                let claims = #"{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"#
                let challenged = try await client.token(for: TokenRequest(scope: graph, claims: claims))
                #expect(challenged.token != first.token)
                #expect(server.tokenRequests.last?.form["claims"] == claims)
                #expect(try await client.token(scope: graph).token == challenged.token)
                let forced = try await client.token(for: TokenRequest(scope: graph, forceRefresh: true))
                #expect(forced.token != challenged.token)
                #expect(server.tokenRequests.count == 3)
            }
        }
    }

    @Test("client capabilities (cp1) are sent as xms_cc and merged with a claims challenge")
    func clientCapabilities() async throws {
        try await TestTokenServer.daemon().run { server in
            try await withClient(
                server,
                credential: ClientSecretCredential(secret: testSecret),
                configure: { $0.clientCapabilities = ["cp1"] }
            ) { client in
                _ = try await client.token(scope: graph)
                let challenge = #"{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"#
                _ = try await client.token(for: TokenRequest(scope: graph, claims: challenge))
            }
            #expect(server.tokenRequests[0].form["claims"] == #"{"access_token":{"xms_cc":{"values":["cp1"]}}}"#)
            #expect(
                server.tokenRequests[1].form["claims"]
                    == #"{"access_token":{"nbf":{"essential":true,"value":"1700000000"},"xms_cc":{"values":["cp1"]}}}"#
            )
        }
    }

    @Test("short-lived tokens are still cached (the buffer is at most half the lifetime)")
    func shortLived() async throws {
        let clock = TestClock()
        try await TestTokenServer.daemon(expiresIn: 240).run { server in
            try await withCachedClient(server, clock: clock, configure: { $0.refreshFraction = 0.99...0.99 }) {
                client in
                _ = try await client.token(scope: graph)
                clock.advance(100)
                #expect(try await client.token(scope: graph).source == .cache)
                #expect(server.tokenRequests.count == 1)
            }
        }
    }

    @Test("a forced refresh respects the throttle memory and never falls back to the refused token")
    func forcedRespectsThrottle() async throws {
        let clock = TestClock()
        let server = TestTokenServer.daemon()
        try await server.run { server in
            try await withCachedClient(server, clock: clock) { client in
                _ = try await client.token(scope: graph)
                server.enqueue(.init(status: 429, headers: ["Retry-After": "60"], body: ""))
                let first = await expectIdentityError {
                    _ = try await client.token(for: TokenRequest(scope: graph, forceRefresh: true))
                }
                #expect(first?.code == .throttled)
                let second = await expectIdentityError {
                    _ = try await client.token(for: TokenRequest(scope: graph, claims: "{}"))
                }
                #expect(second?.code == .throttled)
                #expect(server.tokenRequests.count == 2, "the second forced request did not reach the server")
                server.enqueue(.init(status: 503, body: ""), .init(status: 503, body: ""))
                clock.advance(61)
                let failed = await expectIdentityError {
                    _ = try await client.token(for: TokenRequest(scope: graph, claims: #"{"access_token":{}}"#))
                }
                #expect(failed?.code == .serverError, "a claims challenge gets the error, not the refused cached token")
            }
        }
    }

    @Test("LRU bound: the least recently used token is evicted and counted")
    func lru() async throws {
        let clock = TestClock()
        try await TestTokenServer.daemon().run { server in
            try await withCachedClient(server, clock: clock, configure: { $0.capacity = 2 }) { client in
                _ = try await client.token(scope: graph, tenant: "a.example")
                _ = try await client.token(scope: graph, tenant: "b.example")
                _ = try await client.token(scope: graph, tenant: "a.example")  // a is now most recent
                _ = try await client.token(scope: graph, tenant: "c.example")  // evicts b
                #expect(client.cache.count == 2)
                #expect(client.cache.evictions == 1)
                _ = try await client.token(scope: graph, tenant: "a.example")
                #expect(server.tokenRequests.count == 3, "a stayed cached")
                _ = try await client.token(scope: graph, tenant: "b.example")
                #expect(server.tokenRequests.count == 4, "b was evicted")
            }
        }
    }

    @Test("LRUMap order and slot reuse")
    func lruMap() {
        var map = LRUMap<String, Int>(capacity: 3)
        map.set("a", 1)
        map.set("b", 2)
        map.set("c", 3)
        #expect(map.keysByRecency == ["c", "b", "a"])
        _ = map.get("a")
        #expect(map.keysByRecency == ["c", "b", "a"], "a look-up only marks a as used")
        #expect(map.set("d", 4) == "b", "a, used, got its second chance; b was next")
        #expect(map.keysByRecency == ["d", "a", "c"])
        map.remove("a")
        map.set("e", 5)
        #expect(map.keysByRecency == ["e", "d", "c"])
        #expect(map.evictions == 1)
        #expect(map.peek("c") == 3)
    }
}

extension TestTokenServer {
    func enqueue(contentsOf responses: [Canned]) { for response in responses { enqueue(response) } }
}

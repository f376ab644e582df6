import Foundation
import Logging
import MetricsTestKit
import TesseraTestSupport
import Testing

@testable import Tessera

@Suite("Token cache policy: jitter, back-off, Retry-After, warnings, metrics")
struct CachePolicyTests {
    let graph = "https://graph.microsoft.com/.default"

    func token(lifetime: Int64, refreshOn: Date? = nil, at now: Date) -> AccessToken {
        AccessToken(
            token: "t",
            expiresOn: now.addingTimeInterval(Double(lifetime)),
            refreshOn: refreshOn,
            lifetime: lifetime,
            scopes: [graph]
        )
    }

    @Test(
        "refresh point jitter stays within 35–45% of the lifetime; a 3599-s token keeps > 30 min",
        arguments: [0.0, 0.25, 0.5, 0.999]
    )
    func jitterBounds(random: Double) {
        var policy = TokenCachePolicy()
        policy.random = { random }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let refreshAt = policy.refreshDate(for: token(lifetime: 3599, at: now), issuedAt: now)
        let fraction = refreshAt.timeIntervalSince(now) / 3599
        #expect(fraction >= 0.35 - 1e-6 && fraction <= 0.45 + 1e-6)
        #expect(now.addingTimeInterval(3599).timeIntervalSince(refreshAt) > 30 * 60)
    }

    @Test("refresh_in wins over the computed point")
    func refreshInWins() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let refreshOn = now.addingTimeInterval(600)
        #expect(
            TokenCachePolicy().refreshDate(for: token(lifetime: 3599, refreshOn: refreshOn, at: now), issuedAt: now)
                == refreshOn
        )
    }

    @Test("back-off: full jitter from 5 s, doubling, capped; never under 5 s; Retry-After honoured")
    func backoffTimeline() {
        var policy = TokenCachePolicy()
        policy.random = { 0 }
        #expect(
            (1...20).allSatisfy { policy.backoff(failures: $0, retryAfter: nil) == .seconds(5) },
            "lowest jitter is the floor"
        )
        policy.random = { 0.999_999 }
        let ceilings = (1...8).map { policy.backoff(failures: $0, retryAfter: nil).components.seconds }
        #expect(ceilings == [9, 19, 39, 79, 159, 299, 299, 299])
        #expect(policy.backoff(failures: 1, retryAfter: .seconds(120)) == .seconds(120))
        #expect(policy.backoff(failures: 1, retryAfter: .seconds(999_999)) == RetryAfter.cap)
    }

    @Test(
        "a background refresh answered 429 Retry-After waits that long before the next attempt; one warning per interval"
    )
    func backgroundRetryAfter() async throws {
        let clock = TestClock()
        let handler = CapturingLogHandler()
        let logger = {
            var logger = Logger(label: "cache", factory: { _ in handler })
            logger.logLevel = .warning
            return logger
        }()
        let server = TestTokenServer.daemon(expiresIn: 3599)
        try await server.run { server in
            try await withClient(
                server,
                credential: ClientSecretCredential(secret: testSecret),
                logger: logger,
                configure: { configuration in
                    configuration.now = { clock.now }
                    configuration.cache.random = { 0.5 }
                }
            ) { client in
                _ = try await client.token(scope: graph)
                server.enqueue(
                    contentsOf: Array(
                        repeating: .init(status: 429, headers: ["Retry-After": "120"], body: ""),
                        count: 10
                    )
                )
                clock.advance(3599 * 0.41)
                _ = try await client.token(scope: graph)
                await eventually { client.cache.activeRefreshes == 0 && server.tokenRequests.count == 2 }
                for _ in 0..<119 {
                    clock.advance(1)
                    _ = try await client.token(scope: graph)
                }
                await eventually { client.cache.activeRefreshes == 0 }
                #expect(server.tokenRequests.count == 2, "no attempt inside Retry-After")
                clock.advance(2)
                _ = try await client.token(scope: graph)
                await eventually { client.cache.activeRefreshes == 0 && server.tokenRequests.count == 3 }
                #expect(server.tokenRequests.count == 3)
            }
        }
        let warnings = handler.all.components(separatedBy: "background token refresh failing").count - 1
        #expect(warnings == 1, "one warning per interval, not one per failure")
    }

    @Test("hits, misses, evictions, throttles and refreshes are counted")
    func metrics() async throws {
        let metrics = TestMetrics()
        let clock = TestClock()
        try await TestTokenServer.daemon().run { server in
            try await withClient(
                server,
                credential: ClientSecretCredential(secret: testSecret),
                metrics: metrics,
                configure: { configuration in
                    configuration.now = { clock.now }
                    configuration.cache.capacity = 1
                }
            ) { client in
                _ = try await client.token(scope: graph)
                _ = try await client.token(scope: graph)
                _ = try await client.token(scope: graph, tenant: "b.example")
                _ = try await client.token(for: TokenRequest(scope: graph, forceRefresh: true))
                server.enqueue(.init(status: 429, body: ""))
                _ = await expectIdentityError { _ = try await client.token(scope: graph, tenant: "c.example") }
                _ = await expectIdentityError { _ = try await client.token(scope: graph, tenant: "c.example") }
            }
        }
        #expect(try metrics.expectCounter("tessera_cache_hits_total").totalValue == 1)
        #expect(try metrics.expectCounter("tessera_cache_misses_total").totalValue == 3)
        #expect(try metrics.expectCounter("tessera_cache_evictions_total").totalValue == 2)
        #expect(try metrics.expectCounter("tessera_throttled_total").totalValue == 1)
        #expect(try metrics.expectCounter("tessera_refreshes_total", [("reason", "forced")]).totalValue == 1)
    }

    @Test("the result reports when the cache will refresh")
    func refreshOnReported() async throws {
        let clock = TestClock()
        try await TestTokenServer.daemon().run { server in
            try await withCachedClient(server, clock: clock) { client in
                let miss = try await client.token(scope: graph)
                let hit = try await client.token(scope: graph)
                let expected = clock.now.addingTimeInterval(3599 * 0.40)
                #expect(abs(try #require(miss.refreshOn).timeIntervalSince(expected)) < 1)
                #expect(hit.refreshOn == miss.refreshOn)
            }
        }
    }
}

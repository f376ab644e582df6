// Token requests per simulated hour for a fleet (default 50 replicas × 1,000 tenants over 2 simulated hours), without
// and with the PostgreSQL shared cache, on the simulated SQL clock; and the latency of an L2 hit (an empty L1 served
// from PostgreSQL). Scripts/bench-fleet.sh starts a throwaway PostgreSQL and runs it. Environment: FLEET_CACHE (a
// postgres:// URL, required), FLEET_REPLICAS, FLEET_TENANTS, FLEET_HOURS, FLEET_STEP_SECONDS (60).
import Foundation
import Synchronization
import Tessera
import TesseraPostgres

/// The simulated wall clock, shared by the replicas and (through setSimulatedTime) the database.
final class SimulatedClock: Sendable {
    private let time = Mutex(Date(timeIntervalSince1970: 1_900_000_000))
    var now: Date { time.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
}

/// The identity provider: counts requests, answers at once with a 3599-s token.
final class CountingIdentityProvider: TokenSource {
    let requests = Atomic<Int>(0)
    let clock: SimulatedClock
    init(clock: SimulatedClock) { self.clock = clock }
    func token(for request: TokenRequest) async throws -> AccessToken {
        let number = requests.add(1, ordering: .relaxed).newValue
        return AccessToken(
            token: "token-\(number)",
            expiresOn: clock.now.addingTimeInterval(3599),
            lifetime: 3599,
            tenant: request.tenant,
            scopes: request.scopes
        )
    }
}

@main
struct FleetSimulation {
    static func main() async throws { try await simulate() }

    nonisolated static func simulate() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["FLEET_CACHE"] else {
            FileHandle.standardError.write(
                Data("FleetSimulation: set FLEET_CACHE (Scripts/bench-fleet.sh does)\n".utf8)
            )
            exit(2)
        }
        let replicas = Int(environment["FLEET_REPLICAS"] ?? "") ?? 50
        let tenants = Int(environment["FLEET_TENANTS"] ?? "") ?? 1000
        let hours = Double(environment["FLEET_HOURS"] ?? "") ?? 2
        let step = Double(environment["FLEET_STEP_SECONDS"] ?? "") ?? 60
        let keys = try TokenCacheKeys(text: TokenCacheKeys.newKeyLine(), source: "simulation")
        print("fleet: \(replicas) replicas × \(tenants) tenants, \(hours) simulated hours, a step every \(Int(step)) s")
        fflush(nil)
        let without = try await run(
            replicas: replicas,
            tenants: tenants,
            hours: hours,
            step: step,
            url: nil,
            keys: keys
        )
        let with = try await run(replicas: replicas, tenants: tenants, hours: hours, step: step, url: url, keys: keys)
        print(
            "token requests without the shared cache: \(without.requests) (\(Int(Double(without.requests) / hours))/simulated hour)"
        )
        print(
            "token requests with the shared cache:    \(with.requests) (\(Int(Double(with.requests) / hours))/simulated hour)"
        )
        print(
            String(format: "ratio: %.1f× fewer (floor 40×)", Double(without.requests) / Double(max(with.requests, 1)))
        )
        try await latency(url: url, keys: keys)
    }

    struct Outcome { let requests: Int }

    /// One simulation; `url` nil: every replica on its own.
    nonisolated static func run(
        replicas: Int,
        tenants: Int,
        hours: Double,
        step: Double,
        url: String?,
        keys: TokenCacheKeys
    ) async throws -> Outcome {
        let clock = SimulatedClock()
        let provider = CountingIdentityProvider(clock: clock)
        var caches: [PostgresTokenCache] = []
        if let url {
            for index in 0..<replicas {
                var configuration = try PostgresTokenCache.Configuration(url: url, keys: keys)
                configuration.clock = .simulated
                configuration.listen = .none  // 50 replicas poll; the pool is shared (20 connections)
                configuration.leaseOwner = "replica-\(index)"
                caches.append(
                    index == 0
                        ? PostgresTokenCache(configuration: configuration)
                        : PostgresTokenCache(configuration: configuration, sharingPoolOf: caches[0])
                )
            }
        }
        var policy = TokenCachePolicy()
        policy.now = { clock.now }
        policy.sharedCacheReadTimeout = .seconds(10)  // coordination is measured here, not a slow database
        policy.sharedCacheWriteTimeout = .seconds(10)
        policy.requestTimeout = .seconds(10)
        let sources = (0..<replicas).map { index in
            CachingTokenSource(
                upstream: provider,
                defaultTenant: nil,
                partition: "https://login.microsoftonline.com|simulated-client|secret:0",
                policy: policy,
                sharedCache: caches.isEmpty ? nil : caches[index]
            )
        }
        let tenantNames = (0..<tenants).map { "tenant-\($0).example" }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for cache in caches { group.addTask { try await cache.run() } }
            for source in sources { group.addTask { try await source.run() } }
            if let first = caches.first {
                try await first.setSimulatedTime(clock.now)
                _ = try await first.read("warm-up")
            }
            let steps = Int(hours * 3600 / step)
            var coldRequests = 0
            for index in 0...steps {
                if index > 0 {
                    clock.advance(step)
                    if let first = caches.first { try await first.setSimulatedTime(clock.now) }
                }
                try await withThrowingTaskGroup(of: Void.self) { callers in
                    for source in sources {
                        callers.addTask {
                            // Each replica asks for every tenant's token, 50 at a time.
                            for chunk in stride(from: 0, to: tenantNames.count, by: 50) {
                                try await withThrowingTaskGroup(of: Void.self) { batch in
                                    for tenant in tenantNames[chunk..<min(chunk + 50, tenantNames.count)] {
                                        batch.addTask {
                                            _ = try await source.token(
                                                for: TokenRequest(scope: "api://reports/.default", tenant: tenant)
                                            )
                                        }
                                    }
                                    try await batch.waitForAll()
                                }
                            }
                        }
                    }
                    try await callers.waitForAll()
                }
                while sources.contains(where: { $0.activeRefreshes > 0 }) {
                    try await Task.sleep(for: .milliseconds(5))
                }
                if index == 0 { coldRequests = provider.requests.load(ordering: .relaxed) }
            }
            print(
                "  \(url == nil ? "without" : "with") the shared cache: cold start \(coldRequests) requests, then "
                    + "\(provider.requests.load(ordering: .relaxed) - coldRequests)"
            )
            fflush(nil)
            for source in sources { await source.shutdown() }
            group.cancelAll()
            return Outcome(requests: provider.requests.load(ordering: .relaxed))
        }
    }

    /// An empty L1 served from PostgreSQL: p50 and p99 of 2,000 sequential misses of a published key.
    nonisolated static func latency(url: String, keys: TokenCacheKeys) async throws {
        let clock = SimulatedClock()
        let provider = CountingIdentityProvider(clock: clock)
        var configuration = try PostgresTokenCache.Configuration(url: url, keys: keys)
        configuration.clock = .simulated
        let cache = PostgresTokenCache(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await cache.run() }
            try await cache.setSimulatedTime(clock.now)
            var policy = TokenCachePolicy()
            policy.now = { clock.now }
            func replica() -> CachingTokenSource {
                CachingTokenSource(
                    upstream: provider,
                    defaultTenant: "latency.example",
                    partition: "https://login.microsoftonline.com|latency-client|secret:0",
                    policy: policy,
                    sharedCache: cache
                )
            }
            _ = try await replica().token(for: TokenRequest(scope: "api://reports/.default"))
            var samples: [Duration] = []
            for _ in 0..<2000 {
                let source = replica()
                let started = ContinuousClock.now
                let token = try await source.token(for: TokenRequest(scope: "api://reports/.default"))
                samples.append(ContinuousClock.now - started)
                precondition(token.source == .sharedCache)
            }
            samples.sort()
            func ms(_ duration: Duration) -> String {
                String(
                    format: "%.3f ms",
                    Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000
                )
            }
            print(
                "L2 hit (empty L1, PostgreSQL on loopback): p50 \(ms(samples[1000])), p99 \(ms(samples[1980])), requests \(provider.requests.load(ordering: .relaxed))"
            )
            group.cancelAll()
        }
    }
}
